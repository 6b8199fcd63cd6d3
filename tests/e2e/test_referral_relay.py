"""One case end to end: Beijing's member system -> Beijing adapter -> JetStream -> Hebei adapter -> Hebei's member system, and its lifecycle back."""

from __future__ import annotations

import csv
import io

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tests.support.secure import connect_as
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from kernel.jurisdictions import by_name
from tests.support import relay as relay_support
from tests.support.bus import inbox_consumer, stream_sequence
from tests.support.relay import eventually, read_items

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"


def submit_request(path=SANHE, request_id: str = "", **kwargs) -> adapter_pb2.SubmitDocumentRequest:
    return relay_support.submit_request(path, request_id, **kwargs)


async def test_beijing_referral_reaches_hebei_and_its_receipt_comes_back(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")

    response = await beijing.SubmitDocument(submit_request(request_id="req-1"))
    assert [s.case_id for s in response.submissions] == [SANHE_ID]
    submission = response.submissions[0]
    assert submission.destination == case_pb2.JURISDICTION_HEBEI
    assert submission.basis == envelope_pb2.ROUTING_BASIS_LOCATION
    assert not submission.duplicate

    (item,), call = await read_items(hebei, count=1)
    envelope = item.envelope
    assert envelope.flow == envelope_pb2.FLOW_REFERRAL
    assert envelope.sender == case_pb2.JURISDICTION_BEIJING and envelope.destination == case_pb2.JURISDICTION_HEBEI
    assert envelope.referral.case.case_id == SANHE_ID
    assert envelope.referral.case.location.admin_code == "131082"
    # The same case as Hebei's own CSV row, which Hebei's codec reads back.
    assert item.native.format == adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    (row,) = list(csv.DictReader(io.StringIO(item.native.content.decode("gb18030"))))
    assert row["件号"] == "BJ2026112400002001"
    assert row["区县代码"] == "131082"
    assert row["来源渠道"] == "冀时办"  # Beijing's 京通 app, in Hebei's own code list
    assert row["诉求类型"] == "投诉"
    assert "燕郊" in row["内容"]

    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
    call.cancel()
    received = await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(
        request_id="he-1", case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED, actor="廊坊12345", note="已签收"))
    assert received.sequence == 1

    async def beijing_sees_received():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return record if record.case.status == case_pb2.STATUS_RECEIVED else None

    record = await eventually(beijing_sees_received)
    assert record.holder == case_pb2.JURISDICTION_HEBEI
    assert record.sequence == 1
    assert record.case.history[-1].action == "STATUS_RECEIVED"

    # Beijing's member system is told too, through its inbox.
    (status_item,), call = await read_items(beijing, count=1)
    assert status_item.envelope.status_update.case_id == SANHE_ID
    assert status_item.envelope.status_update.status == case_pb2.STATUS_RECEIVED
    assert status_item.envelope.sender == case_pb2.JURISDICTION_HEBEI
    call.cancel()


async def test_resubmission_and_retried_request_give_one_referral(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")

    first = await beijing.SubmitDocument(submit_request(request_id="req-a"))
    retried = await beijing.SubmitDocument(submit_request(request_id="req-a"))
    resent = await beijing.SubmitDocument(submit_request(request_id="req-b"))
    assert retried == first
    assert resent.submissions[0].duplicate
    assert resent.submissions[0].envelope_id == first.submissions[0].envelope_id

    (item,), call = await read_items(hebei, count=1)
    assert item.envelope.referral.case.case_id == SANHE_ID
    call.cancel()

    # One message on the bus, so one item in Hebei's inbox.
    nc = await connect_as(nats_server.url, federation.pki)
    info = await nc.jetstream().stream_info("JJJ_REFERRALS")
    await nc.close()
    assert info.state.messages == 1


async def test_request_id_reused_for_another_document_is_refused(federation):
    await federation.start("beijing", "hebei")
    beijing = federation.stub("beijing")
    await beijing.SubmitDocument(submit_request(request_id="req-x"))
    other = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.SubmitDocument(submit_request(other, request_id="req-x", destination=case_pb2.JURISDICTION_TIANJIN))
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_unacknowledged_item_is_delivered_again_after_reconnect(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request())

    (first,), call = await read_items(hebei, count=1)
    call.cancel()  # the member system goes away without acknowledging

    (again,), call = await read_items(hebei, count=1)
    assert again.item_id == first.item_id
    assert again.envelope.envelope_id == first.envelope.envelope_id
    assert again.delivery_count == 2
    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=again.item_id))
    call.cancel()

    # Acknowledged on the server, so never delivered again (a quiet inbox would prove nothing before ack_wait).
    consumer = await inbox_consumer(nats_server.url, by_name("hebei").token, envelope_pb2.FLOW_REFERRAL)
    assert consumer.num_ack_pending == 0
    assert consumer.ack_floor.stream_seq == stream_sequence(again.item_id)


async def test_rejected_document_names_the_field_and_is_quarantined(federation, settings):
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    bad = SHARED / "jurisdictions/beijing/samples/invalid/bj_missing_gdbh.json"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.SubmitDocument(submit_request(bad))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(raised.value)
    violations = error_details_pb2.BadRequest()
    assert any(detail.Unpack(violations) for detail in status.details)
    assert any("gdbh" in v.field or "gdbh" in v.description for v in violations.field_violations)
    kept = list((settings.resolved_quarantine_dir() / "beijing").glob("*.bin"))
    assert [p.read_bytes() for p in kept] == [bad.read_bytes()]


async def test_a_case_located_at_home_cannot_be_referred_to_itself(federation):
    await federation.start("beijing")
    beijing = federation.stub("beijing")
    chaoyang = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await beijing.SubmitDocument(submit_request(chaoyang))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "itself" in raised.value.details()


async def test_servers_offer_health_and_reflection(federation):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    await federation.start("hebei")
    channel = federation.channel(federation.address("hebei"), "hebei")
    health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="jjj.adapter.v1.AdapterService"))
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    answer = await call.read()
    await call.done_writing()
    names = {s.name for s in answer.list_services_response.service}
    assert "jjj.adapter.v1.AdapterService" in names


async def test_mapping_is_served_over_grpc(federation):
    await federation.start("tianjin")
    tianjin = federation.stub("tianjin")
    batch = SHARED / "jurisdictions/tianjin/samples/valid/tj_batch_five.xml"
    mapped = await tianjin.MapToCommon(adapter_pb2.MapToCommonRequest(document=relay_support.document(batch)))
    assert len(mapped.cases) == 5 and not mapped.rejections
    bad = SHARED / "jurisdictions/tianjin/samples/invalid/tj_wrong_namespace.xml"
    refused = await tianjin.MapToCommon(adapter_pb2.MapToCommonRequest(document=relay_support.document(bad)))
    assert not refused.cases and "namespace" in refused.rejections[0].reason.lower() + refused.rejections[0].field.lower()
    rendered = await tianjin.MapFromCommon(adapter_pb2.MapFromCommonRequest(cases=mapped.cases))
    assert rendered.document.format == adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
    again = await tianjin.MapToCommon(adapter_pb2.MapToCommonRequest(document=rendered.document))
    assert [c.case_id for c in again.cases] == [c.case_id for c in mapped.cases]
