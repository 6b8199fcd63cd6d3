"""What a member's client reads when a call fails: exact code, ErrorInfo reason, field violations, retry advice.

Real adapters, a real gateway and a real nats-server.
"""

from __future__ import annotations


import grpc
import pytest

from adapters.service.store import _key as case_key
from kernel.bus import jetstream
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import submit_request, take
from tests.support.status import from_call

BEIJING_SAMPLES = SHARED / "jurisdictions/beijing/samples"
SANHE, SANHE_ID = BEIJING_SAMPLES / "valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
CHAOYANG = BEIJING_SAMPLES / "valid/bj_rx_complaint_chaoyang.json"
C = grpc.StatusCode


async def failure(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_a_rejected_document_is_invalid_argument_with_its_field_violations(federation):
    await federation.start("beijing")
    error = await failure(federation.stub("beijing").SubmitDocument(submit_request(BEIJING_SAMPLES / "invalid/bj_missing_gdbh.json")))
    answered = from_call(error)
    assert (answered.code, answered.error_info.reason, answered.error_info.domain) == (C.INVALID_ARGUMENT, "DOCUMENT_REJECTED", "jjj-exchange")
    assert answered.violations and any("gdbh" in f"{field} {description}" for field, description in answered.violations)
    assert answered.retry_delay is None


async def test_an_unknown_case_is_not_found_with_error_info_from_the_adapter_and_from_the_gateway(federation):
    await federation.start("beijing")
    await federation.start_gateway()
    adapter_error = await failure(federation.stub("beijing").GetCase(adapter_pb2.GetCaseRequest(case_id="jjj:BJ:nope")))
    gateway_error = await failure(federation.gateway_stub().GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id="jjj:BJ:nope")))
    for answered in (from_call(adapter_error), from_call(gateway_error)):
        assert (answered.code, answered.error_info.reason) == (C.NOT_FOUND, "CASE_NOT_FOUND")
        assert dict(answered.error_info.metadata) == {"caseId": "jjj:BJ:nope"}


async def test_a_reused_request_id_is_already_exists(federation):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE, "req-x"))
    error = await failure(beijing.SubmitDocument(submit_request(CHAOYANG, "req-x", destination=case_pb2.JURISDICTION_TIANJIN)))
    answered = from_call(error)
    assert (answered.code, answered.error_info.reason) == (C.ALREADY_EXISTS, "REQUEST_ID_REUSED")
    assert answered.error_info.metadata["requestId"] == "req-x"


async def test_a_refused_step_is_failed_precondition_naming_the_status_field(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    error = await failure(hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=case_pb2.STATUS_REPLIED)))
    answered = from_call(error)
    assert (answered.code, answered.error_info.reason) == (C.FAILED_PRECONDITION, "TRANSITION_REFUSED")
    assert [field for field, _ in answered.violations] == ["status"]
    assert "STATUS_REFERRED" in answered.message


async def test_an_unexpected_exception_is_internal_with_a_correlation_id_never_unknown(federation, settings):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE))
    # A record no code of ours would write: decoding it fails inside GetCase.
    nc = await jetstream.connect(settings.nats_url, name="test-corrupter")
    kv = await nc.jetstream().key_value("JJJ_CASES_BJ")
    await kv.put(case_key(SANHE_ID), b"\x0a\xff\xff\xff\xff\x0f")
    await nc.close()
    answered = from_call(await failure(beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))))
    assert (answered.code, answered.error_info.reason) == (C.INTERNAL, "INTERNAL_ERROR")
    assert len(answered.error_info.metadata["correlationId"]) == 32
    assert answered.retry_delay is None
