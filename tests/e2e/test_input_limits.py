"""Oversized documents, batches and fields are refused with a clear error before anything reaches the bus,
and the adapter keeps serving."""

from __future__ import annotations

import json

import grpc
import pytest
from grpc_status import rpc_status

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from tests.support.bus import messages_on
from tests.support.relay import submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL


def sanhe_with(**changes) -> adapter_pb2.NativeDocument:
    order = json.loads(SANHE.read_text(encoding="utf-8"))
    order.update(changes)
    return adapter_pb2.NativeDocument(content=json.dumps(order, ensure_ascii=False).encode(),
                                      format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON)


def details(error: grpc.aio.AioRpcError) -> tuple[str, list[tuple[str, str]]]:
    from google.rpc import error_details_pb2

    status = rpc_status.from_call(error)
    reason, violations = "", []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [(v.field, v.description) for v in bad.field_violations]
    return reason, violations


@pytest.fixture
def small_limits(settings):
    return settings.model_copy(update={"limits": settings.limits.model_copy(update={
        "max_document_bytes": 64 * 1024, "max_cases_per_document": 3, "max_content_chars": 500, "max_field_chars": 100,
        "max_case_bytes": 16 * 1024})})


async def test_a_field_too_long_is_a_rejection_naming_it_and_nothing_is_sent(federation, small_limits, nats_server):
    federation.settings = small_limits
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.SubmitDocument(adapter_pb2.SubmitDocumentRequest(document=sanhe_with(sqnr="水" * 600)))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    reason, violations = details(raised.value)
    assert reason == "DOCUMENT_REJECTED"
    assert violations == [("content", "BJ2026112400002001: 600 characters; at most 500")]
    assert await messages_on(nats_server.url, REFERRAL) == {}
    # The adapter keeps serving: the same case within the limits goes through.
    answer = await beijing.SubmitDocument(submit_request(SANHE))
    assert answer.submissions[0].destination == case_pb2.JURISDICTION_HEBEI


async def test_a_document_over_the_size_limit_is_refused_whole(federation, small_limits, nats_server):
    federation.settings = small_limits
    await federation.start("beijing")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            document=sanhe_with(padding="x" * 70_000)))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert details(raised.value)[0] == "LIMIT_EXCEEDED"
    assert "at most 65536 per call: split it" in raised.value.details()
    assert await messages_on(nats_server.url, REFERRAL) == {}


async def test_a_message_over_the_grpc_limit_is_refused_by_grpc_itself(federation, small_limits):
    federation.settings = small_limits
    await federation.start("beijing")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("beijing").SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            document=adapter_pb2.NativeDocument(content=b"x" * (small_limits.limits.grpc_max_message_bytes + 10))))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_batch_over_the_record_limit_is_refused_whole(federation, small_limits, nats_server):
    federation.settings = small_limits
    await federation.start("hebei")
    rows = (SHARED / "jurisdictions/hebei/samples/valid").glob("*.csv")
    big = max(rows, key=lambda path: path.read_bytes().count(b"\n"))
    assert big.read_bytes().count(b"\n") > 4, "a sample with more rows than the test's limit"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("hebei").SubmitDocument(submit_request(big, destination=case_pb2.JURISDICTION_BEIJING))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "at most 3 per call: split it" in raised.value.details()
    assert await messages_on(nats_server.url, REFERRAL) == {}


async def test_a_step_with_an_over_long_note_is_refused_naming_the_field(federation, small_limits):
    federation.settings = small_limits
    await federation.start("beijing", "hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await federation.stub("hebei").ReportStatus(adapter_pb2.ReportStatusRequest(
            case_id="jjj:BJ:BJ2026112400002001", status=case_pb2.STATUS_RECEIVED, note="说" * 600))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(raised.value)[1] == [("note", "600 characters; at most 500")]
