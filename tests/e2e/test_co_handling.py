"""Co-handling (协办) over the bus: the lead holds the case, a co-handler gets it whole, reports its parts;
the origin and the lead see every part; the gateway keeps them in order."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
SHARE = e.FLOW_INFORMATION_SHARE


def part(status: int, note: str) -> adapter_pb2.ShareInformationRequest:
    return adapter_pb2.ShareInformationRequest(
        request_id=f"part-{status}-{note}", topic=e.SHARE_TOPIC_CO_HANDLING_PART, title="协办情况",
        co_handling_part=e.CoHandlingPart(case_id=SANHE_ID, lead=c.JURISDICTION_HEBEI, status=status, note=note))


async def asked_to_co_handle(federation):
    await federation.start("beijing", "tianjin", "hebei")
    await federation.start_gateway()
    beijing, tianjin, hebei = federation.stub("beijing"), federation.stub("tianjin"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[e.FLOW_REFERRAL])
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="co-1", topic=e.SHARE_TOPIC_CO_HANDLING_REQUEST, title="请天津武清协办",
        audience=[c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI], co_handled_case_id=SANHE_ID))
    return beijing, tianjin, hebei


async def test_a_co_handler_reports_its_parts_to_origin_and_lead_and_the_lead_replies(federation):
    beijing, tianjin, hebei = await asked_to_co_handle(federation)
    (request,) = await take(tianjin, 1, flows=[SHARE])
    case = request.envelope.information_share.co_handled_case
    assert (case.case_id, list(case.co_handlers)) == (SANHE_ID, [c.JURISDICTION_TIANJIN])
    assert case.content  # the whole case, not a digest
    assert request.envelope.information_share.classification == e.CLASSIFICATION_RESTRICTED
    (told,) = await take(hebei, 1, flows=[SHARE])  # the lead learns whom it waits for
    assert list(told.envelope.information_share.co_handled_case.co_handlers) == [c.JURISDICTION_TIANJIN]
    at_beijing = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert list(at_beijing.case.co_handlers) == [c.JURISDICTION_TIANJIN]

    for status, note in ((c.STATUS_RECEIVED, "已签收"), (c.STATUS_IN_PROGRESS, "武清交警配合疏导"),
                         (c.STATUS_REPLIED, "协办完成")):
        await tianjin.ShareInformation(part(status, note))
    for stub in (beijing, hebei):
        parts = [item.envelope.information_share.co_handling_part for item in await take(stub, 3, flows=[SHARE])]
        assert [(p.co_handler, p.status) for p in parts] == [
            (c.JURISDICTION_TIANJIN, c.STATUS_RECEIVED), (c.JURISDICTION_TIANJIN, c.STATUS_IN_PROGRESS),
            (c.JURISDICTION_TIANJIN, c.STATUS_REPLIED)]

    watch = federation.gateway.co_handling

    async def all_parts_in():
        parts = watch.parts.get(SANHE_ID)
        return parts if parts and parts.all_replied(watch.rules) else None

    await eventually(all_parts_in)
    with pytest.raises(grpc.aio.AioRpcError) as again:  # out of order: refused before it goes on the bus
        await tianjin.ShareInformation(part(c.STATUS_RECEIVED, "重复签收"))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "STATUS_RECEIVED" in again.value.details()

    with pytest.raises(grpc.aio.AioRpcError) as lead_part:
        await hebei.ShareInformation(part(c.STATUS_RECEIVED, "lead"))
    assert lead_part.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as by_co_handler:  # only the lead holds the lifecycle
        await tianjin.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=c.STATUS_RECEIVED))
    assert by_co_handler.value.code() == grpc.StatusCode.NOT_FOUND
    for status in (c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED):
        await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=status))
