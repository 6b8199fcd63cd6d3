"""An extension (延期) over the bus: the holder asks with a reason, the origin sees it, the gateway's clock moves once."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

PETITION = SHARED / "jurisdictions/beijing/samples/valid/bj_xf_petition_visit.json"
PETITION_ID = "jjj:BJ:BJ2026112000000350"
STATUS = envelope_pb2.FLOW_STATUS_UPDATE
REASON = "需赴外省调取工程合同，申请延期"


async def report(stub, status: int, **kwargs) -> adapter_pb2.ReportStatusResponse:
    return await stub.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=PETITION_ID, status=status, **kwargs))


async def test_the_holder_extends_the_handling_clock_once_and_the_origin_reads_the_reason(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(PETITION, destination=c.JURISDICTION_HEBEI))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    await report(hebei, c.STATUS_RECEIVED)
    await report(hebei, c.STATUS_ACCEPTED)
    watcher = federation.gateway.notifier.watcher

    async def handling_clock():
        return watcher.deadline(PETITION_ID, "petition_handle")

    before = await eventually(handling_clock)
    extension = c.DeadlineExtension(step="petition_handle", amount=30)
    await report(hebei, c.STATUS_ACCEPTED, event_type=c.EVENT_TYPE_EXTENSION, extension=extension, reason=REASON,
                 actor="三河市信访局")

    async def extended():
        deadline = watcher.deadline(PETITION_ID, "petition_handle")
        return deadline if deadline.extensions == 1 else None

    after = await eventually(extended)
    # 60 + 30 days from acceptance: 30 natural days later, give or take the roll to a working day
    assert timedelta(days=27) <= after.due_at - before.due_at <= timedelta(days=33)
    items = await take(beijing, 3, flows=[STATUS])
    update = items[-1].envelope.status_update
    assert (update.event.type, update.event.extension.step, update.event.extension.amount, update.reason) == (
        c.EVENT_TYPE_EXTENSION, "petition_handle", 30, REASON)
    assert update.status == c.STATUS_ACCEPTED

    with pytest.raises(grpc.aio.AioRpcError) as second:
        await report(hebei, c.STATUS_ACCEPTED, event_type=c.EVENT_TYPE_EXTENSION, extension=extension, reason=REASON)
    assert second.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as by_origin:
        await report(beijing, c.STATUS_ACCEPTED, event_type=c.EVENT_TYPE_EXTENSION, extension=extension, reason=REASON)
    assert by_origin.value.code() == grpc.StatusCode.FAILED_PRECONDITION
