"""Signed envelopes end to end: forged, tampered and unsigned messages never reach a member or a record.

Each forgery is published with a plain nats client on the subject a real message
would use; the receiving adapter dead-letters it with the reason and acknowledges it.
"""

from __future__ import annotations

import grpc
import pytest

from kernel.bus import subjects
from kernel.security import envelopes as signed
from kernel.security.keys import RegistryFile, load_signer
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.bus import Bus
from tests.support.relay import eventually, read_items, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
REFERRAL, STATUS = envelope_pb2.FLOW_REFERRAL, envelope_pb2.FLOW_STATUS_UPDATE
Reason = envelope_pb2.DeadLetterReason


@pytest.fixture
async def bus(settings):
    client = await Bus.connect(settings.nats_url)
    yield client
    await client.close()


def signer_of(settings, owner: str):
    return load_signer(settings.signing_key_path(owner), owner)


async def dead_letter_for(bus: Bus, receiver: str, stream_seq: int) -> envelope_pb2.DeadLetter:
    async def probe():
        return next((d for d in await bus.dead_letters(receiver) if d.stream_sequence == stream_seq), None)

    return await eventually(probe)


async def referred_bytes(bus: Bus) -> bytes:
    (message,) = await bus.stored("JJJ_REFERRALS")
    return message.data


async def test_a_referral_changed_by_one_byte_on_the_bus_is_dead_lettered_and_never_reaches_the_member(federation, bus):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE, note="note-A"))
    (real,) = await take(hebei, 1)

    original = await referred_bytes(bus)
    at = original.index(b"note-A") + len(b"note-")
    tampered = original[:at] + b"B" + original[at + 1:]
    assert len(tampered) == len(original) and sum(a != b for a, b in zip(original, tampered)) == 1
    seq = await bus.inject(subjects.subject(REFERRAL, _member("hebei"), _member("beijing")), tampered)

    _, call = await read_items(hebei, count=0)
    letter = await dead_letter_for(bus, "he", seq)
    assert letter.reason == Reason.DEAD_LETTER_REASON_BAD_SIGNATURE
    assert letter.envelope == tampered and letter.receiver == c.JURISDICTION_HEBEI
    assert letter.subject == "jjj.referral.he.bj" and letter.envelope_id == real.envelope.envelope_id
    # The member's inbox consumer took it and acknowledged it without handing it over.
    await eventually(lambda: bus.settled("JJJ_REFERRALS", subjects.durable_name("inbox", "he", REFERRAL)))
    call.cancel()
    record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert record.case == real.envelope.referral.case


def _member(name: str):
    from kernel import jurisdictions

    return jurisdictions.by_name(name)


def forged_referral(case_id: str) -> envelope_pb2.Envelope:
    """What the issue saw: a referral 'from Tianjin' to Beijing, published on jjj.referral.bj.tj."""
    case = c.Case(case_id=case_id, origin=c.JURISDICTION_TIANJIN, native_id=case_id.rsplit(":", 1)[1], title="伪造转办")
    envelope = envelope_pb2.Envelope(envelope_id=f"{case_id}/referral/1", flow=REFERRAL, sender=c.JURISDICTION_TIANJIN,
                                     destination=c.JURISDICTION_BEIJING,
                                     referral=envelope_pb2.Referral(case=case, attempt=1, sequence=0))
    envelope.sent_at.GetCurrentTime()
    return envelope


@pytest.mark.parametrize("forger, reason", [(None, Reason.DEAD_LETTER_REASON_UNSIGNED),
                                            ("hebei", Reason.DEAD_LETTER_REASON_SENDER_MISMATCH)])
async def test_a_forged_referral_unsigned_or_signed_by_another_jurisdiction_never_reaches_beijing(
        federation, bus, settings, forger, reason):
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    _, call = await read_items(beijing, count=0)
    case_id = "jjj:TJ:TJ-FORGED-1"
    envelope = forged_referral(case_id)
    data = envelope.SerializeToString() if forger is None else signed.sign(envelope, signer_of(settings, forger))
    seq = await bus.inject("jjj.referral.bj.tj", data)

    letter = await dead_letter_for(bus, "bj", seq)
    assert letter.reason == reason and letter.envelope == data and letter.receiver == c.JURISDICTION_BEIJING
    await eventually(lambda: bus.settled("JJJ_REFERRALS", subjects.durable_name("inbox", "bj", REFERRAL)))
    await eventually(lambda: bus.settled("JJJ_REFERRALS", subjects.durable_name("state", "bj", REFERRAL)))
    call.cancel()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def forged_close(sequence: int) -> envelope_pb2.Envelope:
    update = envelope_pb2.StatusUpdate(case_id=SANHE_ID, sequence=sequence, status=c.STATUS_CLOSED,
                                       reporter=c.JURISDICTION_HEBEI,
                                       event=c.Event(action="STATUS_CLOSED", actor="伪造", note="forged"))
    envelope = envelope_pb2.Envelope(envelope_id=subjects.case_envelope_id(SANHE_ID, STATUS, sequence), flow=STATUS,
                                     sender=c.JURISDICTION_HEBEI, destination=c.JURISDICTION_BEIJING, status_update=update)
    envelope.sent_at.GetCurrentTime()
    return envelope


@pytest.mark.parametrize("holder, reason", [
    (c.JURISDICTION_TIANJIN, Reason.DEAD_LETTER_REASON_NOT_ALLOWED),  # Hebei does not hold the case
    (c.JURISDICTION_HEBEI, Reason.DEAD_LETTER_REASON_ILLEGAL_STEP),  # it holds it, but a holder cannot close
])
async def test_the_forged_hebei_close_of_a_real_case_is_dead_lettered_and_beijings_case_is_unchanged(
        federation, bus, settings, holder, reason):
    names = {c.JURISDICTION_TIANJIN: "tianjin", c.JURISDICTION_HEBEI: "hebei"}
    await federation.start("beijing", names[holder])
    await federation.start_gateway()
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE, destination=holder))
    await take(federation.stub(names[holder]), 1)

    async def receipted():  # the holder's receipt changes the record too: wait for it first
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.receipts else None

    before = await eventually(receipted)
    assert (before.case.status, before.holder, before.sequence) == (c.STATUS_REFERRED, holder, 0)

    data = signed.sign(forged_close(before.sequence + 1), signer_of(settings, "hebei"))  # validly signed by Hebei
    seq = await bus.inject("jjj.status.bj.he", data)

    letter = await dead_letter_for(bus, "bj", seq)
    assert letter.reason == reason
    await eventually(lambda: bus.settled("JJJ_STATUS", subjects.durable_name("state", "bj", STATUS)))
    after = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert after == before
    # The real holder can still take the step the forgery claimed the number of.
    await federation.stub(names[holder]).ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=c.STATUS_RECEIVED))
    # The gateway read the forgery first (same stream) and did not project it.
    gateway = federation.gateway_stub()

    async def trail_received():
        try:
            answer = await gateway.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        except grpc.aio.AioRpcError:
            return None
        return answer if any(e.status == c.STATUS_RECEIVED for e in answer.trail) else None

    trail = await eventually(trail_received)
    assert [e.status for e in trail.trail] == [c.STATUS_REFERRED, c.STATUS_RECEIVED]
    assert trail.record.status == c.STATUS_RECEIVED


async def test_the_receivers_signed_receipt_proves_delivery_to_the_origin(federation, bus, settings):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    submitted = await beijing.SubmitDocument(submit_request(SANHE))
    before = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert not before.receipts  # not acknowledged yet: no proof
    await take(hebei, 1)

    async def receipted():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.receipts else None

    (proof,) = (await eventually(receipted)).receipts
    referred = await referred_bytes(bus)
    assert proof.receipt.envelope_id == submitted.submissions[0].envelope_id
    assert proof.receipt.envelope_digest == signed.digest(referred)
    assert proof.receipt.receiver == proof.sender == c.JURISDICTION_HEBEI
    # Anyone with the registry can check it: the signature is Hebei's.
    keys = RegistryFile(settings.key_registry_path())
    key = signed.check_signature(proof, keys, published_at=None)
    assert not isinstance(key, signed.Refusal) and key.owner == "hebei"
    proof.receipt.envelope_digest = bytes(32)
    assert isinstance(signed.check_signature(proof, keys, published_at=None), signed.Refusal)


async def test_a_step_of_a_case_never_referred_is_retried_then_dead_lettered(federation, bus, settings):
    settings.security.max_retries, settings.security.retry_delay_seconds = 3, 0.05
    await federation.start("beijing")
    # Validly signed by Hebei, but Beijing never referred this case: it may only be early, so it waits, then gives up.
    update = forged_close(1)
    update.status_update.case_id = "jjj:BJ:NEVER-REFERRED"
    data = signed.sign(update, signer_of(settings, "hebei"))
    seq = await bus.inject("jjj.status.bj.he", data)

    letter = await dead_letter_for(bus, "bj", seq)
    assert letter.reason == Reason.DEAD_LETTER_REASON_UNKNOWN_CASE
    assert letter.delivery_count == settings.security.max_retries
    await eventually(lambda: bus.settled("JJJ_STATUS", subjects.durable_name("state", "bj", STATUS)))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("beijing").GetCase(adapter_pb2.GetCaseRequest(case_id="jjj:BJ:NEVER-REFERRED"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_receipt_quicker_than_the_origins_own_record_is_kept_once_the_record_is_there(federation, bus, settings):
    # The receiver may acknowledge before the origin stored its record of what it just sent
    # (submit publishes, then records): the receipt waits for the record instead of being dropped.
    from kernel import jurisdictions

    settings.security.max_retries, settings.security.retry_delay_seconds = 20, 0.05
    await federation.start("beijing")
    envelope_id = f"{SANHE_ID}/referral/1"
    receipt = envelope_pb2.Envelope(
        envelope_id=f"receipt/{envelope_id}", flow=envelope_pb2.FLOW_RECEIPT, sender=c.JURISDICTION_HEBEI,
        destination=c.JURISDICTION_BEIJING, receipt=envelope_pb2.Receipt(
            envelope_id=envelope_id, envelope_digest=bytes(32), receiver=c.JURISDICTION_HEBEI,
            flow=envelope_pb2.FLOW_REFERRAL, case_id=SANHE_ID))
    receipt.sent_at.GetCurrentTime()
    subject = subjects.subject(envelope_pb2.FLOW_RECEIPT, jurisdictions.by_name("beijing"), jurisdictions.by_name("hebei"))
    await bus.inject(subject, signed.sign(receipt, signer_of(settings, "hebei")))
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE, destination=c.JURISDICTION_HEBEI))

    async def receipted():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.receipts else None

    (kept,) = (await eventually(receipted)).receipts
    assert kept.receipt.envelope_id == envelope_id and kept.receipt.receiver == c.JURISDICTION_HEBEI
