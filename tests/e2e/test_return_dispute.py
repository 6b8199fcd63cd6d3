"""A disputed return (退单异议) through coordination (协调), end to end: coded reason, dispute, decision, both sides."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
DECISION = c.CoordinationDecision(body="京津冀12345热线联席会议", return_upheld=False, decision="事发地在三河市，由河北办理")


async def report(stub, status: int, **kwargs) -> adapter_pb2.ReportStatusResponse:
    return await stub.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=status, **kwargs))


async def status_at(stub, status: int) -> adapter_pb2.GetCaseResponse:
    async def probe():
        record = await stub.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.case.status == status else None

    return await eventually(probe)


async def test_a_disputed_return_goes_to_coordination_and_the_decision_reaches_the_holder(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    await report(hebei, c.STATUS_RECEIVED)

    with pytest.raises(grpc.aio.AioRpcError) as uncoded:
        await report(hebei, c.STATUS_RETURNED, reason="检查站属北京管理")
    assert uncoded.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await report(hebei, c.STATUS_RETURNED, reason="检查站属北京管理", return_reason=c.RETURN_REASON_NOT_OURS)
    await status_at(beijing, c.STATUS_RETURNED)
    watcher = federation.gateway.notifier.watcher

    async def dispute_window_open():
        return watcher.deadline(SANHE_ID, "return_dispute_window")

    await eventually(dispute_window_open)

    with pytest.raises(grpc.aio.AioRpcError) as by_holder:
        await report(hebei, c.STATUS_RETURN_DISPUTED, reason="x")
    assert by_holder.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await report(beijing, c.STATUS_RETURN_DISPUTED, reason="事发地燕郊镇属河北三河市")
    await status_at(hebei, c.STATUS_RETURN_DISPUTED)

    async def coordinating():
        return watcher.deadline(SANHE_ID, "return_coordination") and not watcher.deadline(SANHE_ID, "return_dispute_window")

    await eventually(coordinating)
    with pytest.raises(grpc.aio.AioRpcError) as undecided:
        await report(beijing, c.STATUS_RECEIVED, reason="协调")
    assert undecided.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await report(beijing, c.STATUS_RECEIVED, reason="联席会议协调决定", coordination=DECISION)
    signed_again = await status_at(hebei, c.STATUS_RECEIVED)
    assert signed_again.holder == c.JURISDICTION_HEBEI

    items = await take(hebei, 2, flows=[envelope_pb2.FLOW_STATUS_UPDATE])
    decided = items[-1].envelope.status_update
    assert (decided.coordination.body, decided.coordination.return_upheld) == (DECISION.body, False)
    returned = (await take(beijing, 2, flows=[envelope_pb2.FLOW_STATUS_UPDATE]))[-1].envelope.status_update
    assert (returned.status, returned.return_reason) == (c.STATUS_RETURNED, c.RETURN_REASON_NOT_OURS)

    await report(hebei, c.STATUS_IN_PROGRESS)  # a hotline ticket: signed -> handling
    await status_at(beijing, c.STATUS_IN_PROGRESS)

    async def trail_complete():
        answer = await federation.gateway_stub().GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        statuses = [entry.status for entry in answer.trail]
        return statuses if len(statuses) >= 6 else None

    assert await eventually(trail_complete) == [c.STATUS_REFERRED, c.STATUS_RECEIVED, c.STATUS_RETURNED,
                                                c.STATUS_RETURN_DISPUTED, c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS]
