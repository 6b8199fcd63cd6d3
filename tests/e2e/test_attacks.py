"""The attacks of the security issue, against the configuration `jjj up` generates; each is refused,
and the test sees the refusal.

Bus: no connection without a certificate the CA signed and the server maps to a
user; a jurisdiction reads only what is addressed to it, publishes only as itself,
touches only its own buckets and consumers, and deletes nothing. Adapters: no
plaintext, no caller without a client certificate of the federation's CA that is
valid and registered (and not revoked) for that adapter.
"""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from nats.js import api

from cli import natsauth
from kernel.bus import subjects
from kernel.jurisdictions import by_name
from kernel.security import pki, registry
from kernel.security.tls import TlsFiles
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.support.relay import eventually, submit_request
from tests.support.secure import connect_as, raw_nats_exchange
from tests.conftest import SHARED

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
BEIJING, HEBEI = pki.adapter_principal("beijing"), pki.adapter_principal("hebei")


# -- the bus, as a raw client would reach it --------------------------------------------


def test_plaintext_connection_is_closed(nats_server):
    assert raw_nats_exchange(nats_server.port) == b""  # closed without a PONG, let alone a message


def test_tls_connection_without_a_client_certificate_is_refused(nats_server, pki_layout):
    context = ssl.create_default_context(cafile=str(pki_layout.ca_cert))
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
        raw_nats_exchange(nats_server.port, lambda raw: context.wrap_socket(raw, server_hostname="127.0.0.1"))


def test_a_certificate_of_the_ca_that_is_no_bus_user_is_refused(nats_server, pki_layout):
    member_system = pki_files(pki_layout, pki.member_system_principal("beijing"))
    context = ssl.create_default_context(cafile=str(pki_layout.ca_cert))
    context.load_cert_chain(str(member_system.cert_file), str(member_system.key_file))
    answer = raw_nats_exchange(nats_server.port, lambda raw: context.wrap_socket(raw, server_hostname="127.0.0.1"))
    assert answer == b"-ERR 'Authorization Violation'\r\n"


@pytest.mark.parametrize("kind", ["expired", "another CA"])
def test_an_adapter_subject_on_an_expired_or_foreign_certificate_is_refused(nats_server, pki_layout, tmp_path, kind):
    """The subject alone is no identity: the certificate carrying it must be valid and the federation's."""
    now = datetime.now(UTC)
    principal = pki.Principal(BEIJING, "adapter", server=True)
    if kind == "expired":
        forged = pki.issue(pki.load_ca(pki_layout), principal, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1))
    else:
        forged = pki.issue(pki.new_ca(), principal)
    pki.write_issued(pki.PkiLayout(tmp_path), "forged", forged)
    context = ssl.create_default_context(cafile=str(pki_layout.ca_cert))
    context.load_cert_chain(str(tmp_path / "forged.crt"), str(tmp_path / "forged.key"))
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_EXPIRED" if kind == "expired" else "BAD_CERTIFICATE|UNKNOWN_CA"):
        raw_nats_exchange(nats_server.port, lambda raw: context.wrap_socket(raw, server_hostname="127.0.0.1"))


def pki_files(layout: pki.PkiLayout, principal: str) -> TlsFiles:
    return TlsFiles(layout.ca_cert, layout.cert(principal), layout.key(principal))


# -- the bus, as a principal ----------------------------------------------------------


class Refusals:
    """The server's asynchronous -ERR answers to one connection."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def collect(self, error: Exception) -> None:
        self.errors.append(str(error))

    async def seen(self, what: str, subject: str, *, prefix: bool = False) -> str:
        """Wait (with a deadline) for the server to refuse `what` ("publish"/"subscription") on `subject`
        (or on a subject starting with it)."""
        wanted = f'permissions violation for {what} to "{subject}{"" if prefix else chr(34)}'.lower()
        return await eventually(lambda: _first(self.errors, wanted), timeout=5)


async def _first(errors: list[str], wanted: str) -> str | None:
    return next((error for error in errors if wanted in error.lower()), None)


async def connected(nats_server, layout, principal: str):
    refusals = Refusals()
    nc = await connect_as(nats_server.url, layout, principal, error_cb=refusals.collect)
    return nc, refusals


async def stream_messages(nats_server, layout, stream: str) -> int:
    operator = await connect_as(nats_server.url, layout)
    try:
        return (await operator.jetstream().stream_info(stream)).state.messages
    finally:
        await operator.close()


@pytest.mark.parametrize("subject", ["jjj.>", "$KV.>", "jjj.referral.tj.*", "_INBOX.>", "_INBOX.adapter-tianjin.>"])
async def test_a_jurisdiction_cannot_subscribe_to_what_is_not_its_own(nats_server, pki_layout, subject):
    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    try:
        await nc.subscribe(subject)
        await refusals.seen("subscription", subject)
    finally:
        await nc.close()


@pytest.mark.parametrize("principal", [HEBEI, BEIJING, pki.GATEWAY])
async def test_nobody_publishes_as_tianjin(nats_server, pki_layout, principal):
    nc, refusals = await connected(nats_server, pki_layout, principal)
    try:
        await nc.publish("jjj.referral.bj.tj", envelope_pb2.Envelope(envelope_id="forged").SerializeToString())
        await refusals.seen("publish", "jjj.referral.bj.tj")
    finally:
        await nc.close()
    assert await stream_messages(nats_server, pki_layout, "JJJ_REFERRALS") == 0


async def test_nobody_writes_to_or_reads_another_adapters_ingest_queue(nats_server, pki_layout):
    """What an adapter reads from its ingest stream (cases it will send as its own) only it can write there."""
    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    consumer = "$JS.API.CONSUMER.CREATE.JJJ_INGEST.peek.jjj.ingest.he.he"
    try:
        await nc.publish("jjj.ingest.he.he", b"forged chunk")
        await refusals.seen("publish", "jjj.ingest.he.he")
        await nc.publish(consumer, _create_request("JJJ_INGEST", "peek", "jjj.ingest.he.he"), reply="_INBOX.adapter-beijing.x")
        await refusals.seen("publish", consumer)
    finally:
        await nc.close()
    assert await stream_messages(nats_server, pki_layout, "JJJ_INGEST") == 0


async def test_a_jurisdiction_publishes_as_itself(nats_server, pki_layout):
    """The permission that refuses forgeries is not a permission that refuses everything."""
    nc, refusals = await connected(nats_server, pki_layout, HEBEI)
    try:
        ack = await nc.jetstream().publish("jjj.referral.bj.he", b"x", headers={"Nats-Msg-Id": "he-1"})
        assert ack.stream == "JJJ_REFERRALS" and not refusals.errors
    finally:
        await nc.close()


def _create_request(stream: str, name: str, filter_subject: str) -> bytes:
    config = api.ConsumerConfig(name=name, durable_name=name, filter_subject=filter_subject, ack_policy=api.AckPolicy.EXPLICIT)
    return json.dumps({"stream_name": stream, "config": config.as_dict()}).encode()


@pytest.mark.parametrize("api_subject", [
    "$JS.API.CONSUMER.CREATE.JJJ_REFERRALS.peek.jjj.referral.tj.*",   # another's filter, said openly
    "$JS.API.CONSUMER.CREATE.JJJ_REFERRALS.peek.jjj.referral.*.*",    # everybody's
    "$JS.API.CONSUMER.CREATE.JJJ_REFERRALS",                          # the filter hidden in the request
    "$JS.API.CONSUMER.CREATE.JJJ_REFERRALS.peek",
    "$JS.API.CONSUMER.DURABLE.CREATE.JJJ_REFERRALS.peek",
    # Re-creating Tianjin's own inbox consumer with Beijing's filter would update (hijack) it.
    "$JS.API.CONSUMER.CREATE.JJJ_REFERRALS.inbox_tj_referral.jjj.referral.bj.*",
])
async def test_a_jurisdiction_cannot_make_a_consumer_of_what_is_not_addressed_to_it(nats_server, pki_layout, api_subject):
    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    try:
        await nc.publish(api_subject, _create_request("JJJ_REFERRALS", "peek", "jjj.referral.tj.*"), reply="_INBOX.adapter-beijing.x")
        await refusals.seen("publish", api_subject)
    finally:
        await nc.close()


async def test_a_filter_in_the_request_must_be_the_one_the_permission_checked(nats_server, pki_layout):
    """Beijing may use the API subject for its own filter; the server refuses a request that asks for another."""
    nc, _ = await connected(nats_server, pki_layout, BEIJING)
    try:
        reply = await nc.request("$JS.API.CONSUMER.CREATE.JJJ_REFERRALS.peek.jjj.referral.bj.*",
                                 _create_request("JJJ_REFERRALS", "peek", "jjj.referral.tj.*"), timeout=5)
    finally:
        await nc.close()
    assert json.loads(reply.data)["error"]["err_code"] == 10131  # did not match filtered subject from create subject


async def test_ordered_consumers_use_the_filtered_api_subject(nats_server, pki_layout):
    """nats-py creates even ordered consumers through the subject the permissions check (kernel.bus.jetstream)."""
    from kernel.bus import jetstream

    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    try:
        subscription = await jetstream.ordered_subscribe(nc.jetstream(), "jjj.share.bj.*", stream="JJJ_SHARES",
                                                         owner="attack_test", cb=_ignore)
        await subscription.unsubscribe()
        with pytest.raises(jetstream.BusError):
            await jetstream.ordered_subscribe(nc.jetstream(timeout=2), "jjj.share.tj.*", stream="JJJ_SHARES",
                                              owner="attack_test", cb=_ignore)
        await refusals.seen("publish", "$JS.API.CONSUMER.CREATE.JJJ_SHARES.attack_test_", prefix=True)
    finally:
        await nc.close()


async def _ignore(_message) -> None:
    return None


@pytest.mark.parametrize("api_subject", [
    "$JS.API.STREAM.INFO.KV_JJJ_CASES_TJ",
    "$JS.API.DIRECT.GET.KV_JJJ_CASES_TJ.$KV.JJJ_CASES_TJ.anything",
    "$JS.API.STREAM.MSG.GET.KV_JJJ_CASES_TJ",
    "$KV.JJJ_CASES_TJ.anything",
    "$JS.API.CONSUMER.INFO.JJJ_REFERRALS.inbox_tj_referral",
    "$JS.API.CONSUMER.MSG.NEXT.JJJ_REFERRALS.inbox_tj_referral",
    "$JS.API.CONSUMER.LIST.JJJ_REFERRALS",
    "$JS.API.STREAM.MSG.GET.JJJ_REFERRALS",
])
async def test_a_jurisdiction_cannot_read_another_ones_buckets_or_consumers(nats_server, pki_layout, api_subject):
    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    try:
        await nc.publish(api_subject, b'{"last_by_subj": "$KV.JJJ_CASES_TJ.x"}', reply="_INBOX.adapter-beijing.x")
        await refusals.seen("publish", api_subject)
    finally:
        await nc.close()


@pytest.mark.parametrize("api_subject", [
    "$JS.API.STREAM.MSG.GET.KV_JJJ_CASES_BJ",
    "$JS.API.STREAM.INFO.KV_JJJ_CASES_BJ",
    "$JS.API.DIRECT.GET.KV_JJJ_CASES_BJ.$KV.JJJ_CASES_BJ.anything",
    "$JS.API.STREAM.MSG.GET.KV_JJJ_REQUESTS_HE",
])
async def test_the_gateway_finds_positions_in_flow_streams_but_reads_no_bucket(nats_server, pki_layout, api_subject):
    nc, refusals = await connected(nats_server, pki_layout, pki.GATEWAY)
    try:
        await nc.publish(api_subject, b'{"seq": 1}', reply="_INBOX.gateway.x")
        await refusals.seen("publish", api_subject)
        answer = await nc.request("$JS.API.STREAM.MSG.GET.JJJ_REFERRALS", b'{"start_time": "2026-01-01T00:00:00Z"}')
        assert json.loads(answer.data)["error"]["err_code"] == 10037  # allowed: the stream is empty here
    finally:
        await nc.close()


async def test_a_jurisdiction_reads_its_own_bucket(nats_server, pki_layout):
    nc, refusals = await connected(nats_server, pki_layout, BEIJING)
    try:
        kv = await nc.jetstream().key_value(subjects.cases_bucket(by_name("beijing")))
        await kv.put("k", b"v")
        assert (await kv.get("k")).value == b"v" and not refusals.errors
    finally:
        await nc.close()


@pytest.mark.parametrize("principal", [BEIJING, HEBEI, pki.GATEWAY])
@pytest.mark.parametrize("api_subject", [
    "$JS.API.STREAM.DELETE.JJJ_REFERRALS",
    "$JS.API.STREAM.DELETE.KV_JJJ_CASES_BJ",
    "$JS.API.STREAM.PURGE.JJJ_REFERRALS",
    "$JS.API.STREAM.PURGE.KV_JJJ_CASES_BJ",
    "$JS.API.STREAM.UPDATE.JJJ_REFERRALS",
    "$JS.API.STREAM.CREATE.JJJ_EVIL",
    "$JS.API.CONSUMER.DELETE.JJJ_REFERRALS.inbox_bj_referral",
])
async def test_only_the_operator_changes_streams_and_buckets(nats_server, pki_layout, principal, api_subject):
    nc, refusals = await connected(nats_server, pki_layout, principal)
    try:
        await nc.publish(api_subject, b"{}", reply=f"{subjects.inbox_prefix(principal)}.x")
        await refusals.seen("publish", api_subject)
    finally:
        await nc.close()
    operator = await connect_as(nats_server.url, pki_layout)
    try:
        names = {info.config.name async for info in _streams(operator)}
    finally:
        await operator.close()
    assert {"JJJ_REFERRALS", "KV_JJJ_CASES_BJ"} <= names and "JJJ_EVIL" not in names


async def _streams(nc):
    for info in await nc.jetstream().streams_info():
        yield info


def test_every_member_durable_is_protected_from_every_other_principal():
    """The deny list is derived from the layout: no member's durable consumer is left out."""
    for owner in ("beijing", "tianjin", "hebei"):
        for stream, durable in subjects.member_durables(by_name(owner)):
            for principal, allowed in natsauth.permissions().items():
                if allowed is None or principal == pki.adapter_principal(owner):
                    continue
                assert f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>" in allowed["publish"]["deny"], (principal, durable)


# -- the adapters' gRPC ports ---------------------------------------------------------


async def _submit(address: str, credentials: grpc.ChannelCredentials | None) -> grpc.aio.AioRpcError:
    channel = grpc.aio.secure_channel(address, credentials) if credentials else grpc.aio.insecure_channel(address)
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await adapter_pb2_grpc.AdapterServiceStub(channel).SubmitDocument(submit_request(SANHE), timeout=10)
    return raised.value


def _error_reason(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info)
    return info.reason


def _credentials(ca: bytes, issued: pki.Issued | None) -> grpc.ChannelCredentials:
    if issued is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=issued.key_pem, certificate_chain=issued.cert_pem)


async def test_plaintext_grpc_gets_no_answer(federation):
    await federation.start("beijing")
    error = await _submit(federation.address("beijing"), None)
    assert error.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_caller_without_a_client_certificate_is_refused(federation):
    await federation.start("beijing")
    error = await _submit(federation.address("beijing"), _credentials(federation.pki.ca_cert.read_bytes(), None))
    assert error.code() == grpc.StatusCode.UNAVAILABLE  # the TLS handshake fails: the server requires a certificate


async def test_an_expired_client_certificate_is_refused(federation):
    await federation.start("beijing")
    ca = pki.load_ca(federation.pki)
    now = datetime.now(UTC)
    expired = pki.issue(ca, pki.Principal("member-beijing-old", "member-system"),
                        not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    # Registered, so that the refusal is the expiry's, not the registry's.
    registry.register(federation.settings.registry_file(), expired.certificate, jurisdiction="beijing", by="test",
                      audit_file=federation.settings.registry_audit_file())
    error = await _submit(federation.address("beijing"), _credentials(federation.pki.ca_cert.read_bytes(), expired))
    assert error.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_client_certificate_of_another_ca_is_refused(federation):
    await federation.start("beijing")
    other_ca = pki.new_ca(name="not the federation")
    stranger = pki.issue(other_ca, pki.Principal("member-beijing", "member-system"))
    error = await _submit(federation.address("beijing"), _credentials(federation.pki.ca_cert.read_bytes(), stranger))
    assert error.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_valid_certificate_that_is_not_registered_is_permission_denied(federation):
    await federation.start("beijing")
    unregistered = pki.issue(pki.load_ca(federation.pki), pki.Principal("member-beijing-2", "member-system"))
    error = await _submit(federation.address("beijing"), _credentials(federation.pki.ca_cert.read_bytes(), unregistered))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _error_reason(error) == "MEMBER_SYSTEM_NOT_REGISTERED"


async def test_a_member_system_registered_for_another_jurisdiction_is_permission_denied(federation):
    await federation.start("beijing")
    hebei_system = federation.stub("beijing", as_member="hebei")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await hebei_system.SubmitDocument(submit_request(SANHE))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _error_reason(raised.value) == "MEMBER_SYSTEM_NOT_REGISTERED" and "hebei" in raised.value.details()


async def test_a_revoked_member_system_is_permission_denied_from_its_next_call(federation):
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    mapped = await beijing.MapToCommon(adapter_pb2.MapToCommonRequest(document=submit_request(SANHE).document))
    assert len(mapped.cases) == 1  # registered: served
    certificate = pki.load_certificate(federation.pki.cert(pki.member_system_principal("beijing")))
    registry.revoke(federation.settings.registry_file(), pki.fingerprint(certificate), by="test", reason="key leaked",
                    audit_file=federation.settings.registry_audit_file())
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.MapToCommon(adapter_pb2.MapToCommonRequest(document=submit_request(SANHE).document))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _error_reason(raised.value) == "MEMBER_SYSTEM_REVOKED"


async def test_the_gateway_refuses_an_unregistered_caller(federation):
    from jjj.gateway.v1 import gateway_pb2, gateway_pb2_grpc

    await federation.start_gateway()
    unregistered = pki.issue(pki.load_ca(federation.pki), pki.Principal("someone", "member-system"))
    async with grpc.aio.secure_channel(f"127.0.0.1:{federation.gateway.port}",
                                       _credentials(federation.pki.ca_cert.read_bytes(), unregistered)) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await gateway_pb2_grpc.GatewayQueryServiceStub(channel).GetCaseTrail(
                gateway_pb2.GetCaseTrailRequest(case_id="jjj:BJ:x"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_certs_init_registers_each_member_system_for_its_own_adapter(pki_layout):
    for name in ("beijing", "tianjin", "hebei"):
        digest = pki.fingerprint(pki.load_certificate(pki_layout.cert(pki.member_system_principal(name))))
        (system,) = [s for s in registry.load(pki_layout.registry) if s.sha256 == digest]
        assert system.jurisdiction == name and system.active and system.registered_by == "jjj certs init"


async def test_an_envelope_naming_another_sender_than_its_subject_never_reaches_the_member(federation, nats_server, settings):
    """The permissions authenticate the subject; an envelope claiming another sender is refused by the receiver
    (both are signed with Hebei's own key: the forgery is only in the envelope's sender)."""
    from kernel.security import envelopes
    from kernel.security.keys import load_signer
    from tests.support.relay import read_items

    signer = load_signer(settings.signing_key_path("hebei"), "hebei")

    await federation.start("beijing")
    hebei, refusals = await connected(nats_server, federation.pki, HEBEI)
    try:
        js = hebei.jetstream()
        for envelope_id, claimed in (("forged", "JURISDICTION_TIANJIN"), ("genuine", "JURISDICTION_HEBEI")):
            share = envelope_pb2.Envelope(
                envelope_id=envelope_id, flow=envelope_pb2.FLOW_INFORMATION_SHARE, sender=case_pb2.Jurisdiction.Value(claimed),
                destination=case_pb2.JURISDICTION_BEIJING,
                information_share=envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_NOTICE, title=envelope_id))
            await js.publish("jjj.share.bj.he", envelopes.sign(share, signer), headers={"Nats-Msg-Id": envelope_id})
        assert not refusals.errors  # Hebei may publish on its own subject: the forgery is in the envelope
    finally:
        await hebei.close()
    (item,), call = await read_items(federation.stub("beijing"), count=1, flows=[envelope_pb2.FLOW_INFORMATION_SHARE])
    call.cancel()
    assert item.envelope.envelope_id == "genuine" and item.envelope.sender == case_pb2.JURISDICTION_HEBEI
