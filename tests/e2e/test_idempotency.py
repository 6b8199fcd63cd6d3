"""A retried ReportStatus or ShareInformation (same request_id) is answered once and sent once;
the same request_id on a different request is refused with ALREADY_EXISTS."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.bus import subjects
from kernel.jurisdictions import by_name
from tests.conftest import SHARED
from tests.support.bus import messages_on
from tests.support.relay import submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
STATUS, SHARE = envelope_pb2.FLOW_STATUS_UPDATE, envelope_pb2.FLOW_INFORMATION_SHARE
HEBEI_TO_BEIJING = subjects.subject(STATUS, by_name("beijing"), by_name("hebei"))
BEIJING_TO_TIANJIN = subjects.subject(SHARE, by_name("tianjin"), by_name("beijing"))


async def test_a_retried_status_report_is_one_step_and_the_same_answer(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    request = adapter_pb2.ReportStatusRequest(request_id="he-sign-1", case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED,
                                              actor="廊坊12345", note="已签收")

    first = await hebei.ReportStatus(request)
    retried = await hebei.ReportStatus(request)
    assert retried == first
    assert (first.case_id, first.status, first.sequence) == (SANHE_ID, case_pb2.STATUS_RECEIVED, 1)
    # ReportStatus returns once the bus stored the step: counting now is exact, no waiting.
    assert await messages_on(nats_server.url, STATUS) == {HEBEI_TO_BEIJING: 1}
    record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert record.sequence == 1

    other = adapter_pb2.ReportStatusRequest(request_id="he-sign-1", case_id=SANHE_ID, status=case_pb2.STATUS_ACCEPTED)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await hebei.ReportStatus(other)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert await messages_on(nats_server.url, STATUS) == {HEBEI_TO_BEIJING: 1}

    (item,) = await take(beijing, 1, flows=[STATUS])
    assert (item.envelope.status_update.sequence, item.envelope.request_id) == (1, "he-sign-1")


async def test_a_retried_share_is_one_message_and_the_same_answer(federation, nats_server):
    await federation.start("beijing", "tianjin")
    beijing = federation.stub("beijing")
    request = adapter_pb2.ShareInformationRequest(
        request_id="warn-7", topic=envelope_pb2.SHARE_TOPIC_EARLY_WARNING, classification=envelope_pb2.CLASSIFICATION_RESTRICTED,
        audience=[case_pb2.JURISDICTION_TIANJIN], title="京津通勤投诉集中", body="检查站排队诉求一周上升40%")

    first = await beijing.ShareInformation(request)
    retried = await beijing.ShareInformation(request)
    assert retried == first
    assert len(first.envelope_ids) == 1
    assert await messages_on(nats_server.url, SHARE) == {BEIJING_TO_TIANJIN: 1}

    changed = adapter_pb2.ShareInformationRequest()
    changed.CopyFrom(request)
    changed.body = "检查站排队诉求一周上升60%"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.ShareInformation(changed)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert await messages_on(nats_server.url, SHARE) == {BEIJING_TO_TIANJIN: 1}

    (item,) = await take(federation.stub("tianjin"), 1, flows=[SHARE])
    assert item.envelope.information_share.body == request.body
