"""Streams and buckets belong to the operator: adapters only look them up, and say UNAVAILABLE when one is missing."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cli import certs, natsserver
from kernel.bus import jetstream
from kernel.config import SecuritySettings, Settings, TlsSettings
from tests.conftest import SHARED
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.support.bus import messages_on
from tests.support.relay import eventually, submit_request
from tests.support.secure import connect_as

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"


def _reason(error: grpc.aio.AioRpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    assert rpc_status.from_call(error).details[0].Unpack(info)
    return info.reason


async def _operator_deletes(nats_server, layout, *, bucket: str = "", stream: str = "") -> None:
    operator = await connect_as(nats_server.url, layout)
    try:
        if bucket:
            assert await operator.jetstream().delete_key_value(bucket)
        if stream:
            assert await operator.jetstream().delete_stream(stream)
    finally:
        await operator.close()


async def _provision(nats_server, layout) -> None:
    await certs.provision_bus(nats_server.url, certs.operator_files(layout), duplicate_window=3600)


@pytest.mark.parametrize("missing", [{"bucket": "JJJ_CASES_BJ"}, {"stream": "JJJ_REFERRALS"}])
async def test_a_missing_bucket_or_stream_queues_submissions_until_the_operator_provisions_again(
        federation, nats_server, missing):
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    await _operator_deletes(nats_server, federation.pki, **missing)

    # The case is kept in the adapter's outbox (README, Durability) rather than refused.
    answer = await beijing.SubmitDocument(submit_request(SANHE), timeout=30)
    assert answer.submissions[0].case_id == SANHE_ID and answer.submissions[0].queued
    if "bucket" in missing:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=30)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert _reason(raised.value) == "BUS_UNAVAILABLE"
        assert missing["bucket"] in raised.value.details() and "jjj bus init" in raised.value.details()

    await _provision(nats_server, federation.pki)

    async def relayed():
        try:
            record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=10)
        except grpc.aio.AioRpcError:
            return None
        sent = await messages_on(nats_server.url, envelope_pb2.FLOW_REFERRAL)
        return record if sent == {"jjj.referral.he.bj": 1} and record.attempt == 1 else None

    record = await eventually(relayed, timeout=30)
    assert record.holder == case_pb2.JURISDICTION_HEBEI


async def test_an_adapter_creates_no_stream_on_an_unprovisioned_bus(tmp_path, pki_layout, registry_file, keys_dir):
    from adapters.service.app import start_adapter

    server = natsserver.start(tmp_path / "bare-nats", pki_layout)
    try:
        settings = Settings(nats_url=server.url, data_dir=tmp_path / "data", log_format="json",
                            tls=TlsSettings(pki_dir=pki_layout.root, registry_file=registry_file),
                            security=SecuritySettings(keys_dir=keys_dir))
        with pytest.raises(jetstream.BusUnavailable, match="JJJ_SHARES does not exist.*jjj bus init"):
            await start_adapter("hebei", settings, port=0)
        operator = await connect_as(server.url, pki_layout)
        try:
            assert await operator.jetstream().streams_info() == []
        finally:
            await operator.close()
    finally:
        server.stop()


def test_jjj_bus_init_provisions_as_the_operator(tmp_path, pki_layout, monkeypatch, capsys):
    from cli.main import main

    server = natsserver.start(tmp_path / "bare-nats", pki_layout)
    try:
        monkeypatch.setenv("JJJ_NATS_URL", server.url)
        monkeypatch.setenv("JJJ_TLS__PKI_DIR", str(pki_layout.root))
        monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path / "data"))
        assert main(["bus", "init"]) == 0
        declared = capsys.readouterr().out.split()
        assert {"JJJ_REFERRALS", "JJJ_SHARES", "JJJ_CASES_BJ", "JJJ_REQUESTS_HE"} <= set(declared)
        # As an adapter's identity the same command is refused by the bus (it is not the operator).
        monkeypatch.setenv("JJJ_TLS__CERT_FILE", str(pki_layout.cert("adapter-hebei")))
        monkeypatch.setenv("JJJ_TLS__KEY_FILE", str(pki_layout.key("adapter-hebei")))
        assert main(["bus", "init"]) == 1
        assert "only the operator may provision" in capsys.readouterr().err
    finally:
        server.stop()
