"""Co-handling (协办) rules enforced by the adapters, before anything goes on the bus: the lead's reply waits
for every co-handler's part replied (FAILED_PRECONDITION CO_HANDLERS_PENDING naming whom it waits for); a
jurisdiction not asked to co-handle, or a part out of order, is refused at the co-handler's own adapter."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.e2e.test_co_handling import SANHE, SANHE_ID, SHARE, asked_to_co_handle, part
from tests.support.relay import eventually, submit_request, take
from tests.support.status import from_call


async def test_the_lead_replies_only_after_every_co_handler_replied_its_part(federation):
    beijing, tianjin, hebei = await asked_to_co_handle(federation)
    await take(tianjin, 1, flows=[SHARE])
    for status in (c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS):
        await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=status))
    await tianjin.ShareInformation(part(c.STATUS_RECEIVED, "已签收"))

    async def refused_naming_tianjin():
        try:
            await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=c.STATUS_REPLIED))
        except grpc.aio.AioRpcError as error:
            return error if "tianjin" in error.details() else None
        raise AssertionError("the lead replied before its co-handler")

    refused = await eventually(refused_naming_tianjin)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = from_call(refused).error_info
    assert (info.reason, info.metadata["waitingFor"]) == ("CO_HANDLERS_PENDING", "JURISDICTION_TIANJIN")

    for status in (c.STATUS_IN_PROGRESS, c.STATUS_REPLIED):
        await tianjin.ShareInformation(part(status, "协办"))

    async def replied():
        try:
            return await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=c.STATUS_REPLIED))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION  # the last part still on its way
            return None

    assert (await eventually(replied)).status == c.STATUS_REPLIED
    at_beijing = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert at_beijing.case.status in (c.STATUS_IN_PROGRESS, c.STATUS_REPLIED)


async def test_a_part_from_a_jurisdiction_not_asked_or_out_of_order_is_refused_at_its_adapter(federation):
    await federation.start("beijing", "tianjin", "hebei")
    beijing, tianjin = federation.stub("beijing"), federation.stub("tianjin")
    await beijing.SubmitDocument(submit_request(SANHE))
    with pytest.raises(grpc.aio.AioRpcError) as not_asked:
        await tianjin.ShareInformation(part(c.STATUS_RECEIVED, "未受邀"))
    assert not_asked.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not asked to co-handle" in not_asked.value.details()

    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="co-1", topic=e.SHARE_TOPIC_CO_HANDLING_REQUEST, title="请天津协办",
        audience=[c.JURISDICTION_TIANJIN], co_handled_case_id=SANHE_ID))
    await take(tianjin, 1, flows=[SHARE])
    with pytest.raises(grpc.aio.AioRpcError) as skipped:
        await tianjin.ShareInformation(part(c.STATUS_IN_PROGRESS, "跳过签收"))
    assert skipped.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "STATUS_RECEIVED" in skipped.value.details()  # names the part that is next
    await tianjin.ShareInformation(part(c.STATUS_RECEIVED, "已签收"))
