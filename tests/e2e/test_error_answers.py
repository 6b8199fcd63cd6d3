"""What a member's client reads when a call fails: exact code, ErrorInfo reason, field violations, retry advice.

Real adapters, a real gateway and a real nats-server; the bus outage stops (and restarts) that server.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import grpc
import pytest

from adapters.service.store import _key as case_key
from cli import natsserver
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.secure import connect_as
from tests.support.outbox import hebei_documents, to_beijing
from tests.support.relay import eventually, read_items, submit_request, take
from tests.support.status import from_call

BEIJING_SAMPLES = SHARED / "jurisdictions/beijing/samples"
SANHE, SANHE_ID = BEIJING_SAMPLES / "valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
CHAOYANG = BEIJING_SAMPLES / "valid/bj_rx_complaint_chaoyang.json"
C = grpc.StatusCode
# Well below the bus's own timeouts (10 s publish, 5 s JetStream API): an outage the client knows of answers at once.
FAST = 3.0


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
    nc = await connect_as(settings.nats_url, federation.pki)  # the operator: no jurisdiction may write another's bucket
    kv = await nc.jetstream().key_value("JJJ_CASES_BJ")
    await kv.put(case_key(SANHE_ID), b"\x0a\xff\xff\xff\xff\x0f")
    await nc.close()
    answered = from_call(await failure(beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))))
    assert (answered.code, answered.error_info.reason) == (C.INTERNAL, "INTERNAL_ERROR")
    assert len(answered.error_info.metadata["correlationId"]) == 32
    assert answered.retry_delay is None


def assert_bus_unavailable(error: grpc.aio.AioRpcError) -> None:
    answered = from_call(error)
    assert (answered.code, answered.error_info.reason) == (C.UNAVAILABLE, "BUS_UNAVAILABLE")
    assert answered.retry_delay == 2.0 and answered.error_info.metadata["retryDelaySeconds"] == "2"


def restart(server: natsserver.NatsServer, layout) -> None:
    """The same server again, on its port and JetStream store; the fixture stops it at the end."""
    again = natsserver.start(server.store_dir.parent, layout, host=server.host, port=server.port)
    server.process, server.log_file = again.process, again.log_file


async def test_a_bus_outage_answers_unavailable_at_once_with_retry_info_and_a_retry_succeeds_after(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)

    nats_server.stop()
    connections = [federation.running[name].nc for name in ("beijing", "hebei")]

    async def disconnected():
        return not any(nc.is_connected for nc in connections)

    await eventually(disconnected)
    started = time.monotonic()
    received = adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED, request_id="sign-1")
    # A submission is not refused: it is kept in the adapter's outbox and relayed later (tests/e2e/test_outbox.py).
    queued = await hebei.SubmitDocument(to_beijing(hebei_documents(1)[0], "req-outage"), timeout=FAST)
    assert [s.queued for s in queued.submissions] == [True]
    calls = [
        hebei.ReportStatus(received, timeout=FAST),
        beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=FAST),
        read_items(hebei, count=1, timeout=FAST),
    ]
    for call in calls:
        assert_bus_unavailable(await failure(call))
    assert time.monotonic() - started < FAST

    restart(nats_server, federation.pki)
    signed = await eventually(lambda: _succeeds(hebei.ReportStatus(received, timeout=FAST)), timeout=30)
    assert signed.sequence == 1
    record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=FAST)
    assert record.case.case_id == SANHE_ID


async def _succeeds(call):
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        assert_bus_unavailable(error)  # until the bus is back, the answer stays the same
        return None


async def every_thread_stopped(pid: int) -> bool:
    """SIGSTOP takes effect thread by thread, after kill() returned."""
    states = [(path / "stat").read_text().rsplit(")", 1)[1].split()[0] for path in Path(f"/proc/{pid}/task").iterdir()]
    return bool(states) and all(state in ("T", "t") for state in states)


async def test_a_bus_that_stops_answering_is_unavailable_after_the_bus_timeout_not_unknown(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(SANHE))
    os.kill(nats_server.process.pid, signal.SIGSTOP)  # connected, but nothing answers
    try:
        await eventually(lambda: every_thread_stopped(nats_server.process.pid))
        error = await failure(beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=15))
    finally:
        os.kill(nats_server.process.pid, signal.SIGCONT)
    assert_bus_unavailable(error)
    record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=FAST)
    assert record.case.case_id == SANHE_ID
