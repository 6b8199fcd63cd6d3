"""The cross-region flows end to end through real adapters, a real gateway and a real nats-server."""

from __future__ import annotations

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

BEIJING_SAMPLES = SHARED / "jurisdictions/beijing/samples/valid"
SANHE, SANHE_ID = BEIJING_SAMPLES / "bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
S = case_pb2


async def report(stub, case_id: str, status: int, **kwargs) -> adapter_pb2.ReportStatusResponse:
    return await stub.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=case_id, status=status, **kwargs))


async def status_at(stub, case_id: str, status: int) -> adapter_pb2.GetCaseResponse:
    async def probe():
        record = await stub.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id))
        return record if record.case.status == status else None

    return await eventually(probe)


def steps(record: adapter_pb2.GetCaseResponse) -> list[tuple[str, str, str]]:
    """The cross-region part of a case's history (events added by lifecycle steps)."""
    return [(e.action, e.actor, e.note) for e in record.case.history if e.action.startswith("STATUS_")]


async def test_referral_through_every_state_to_closed_with_the_same_trail_on_both_sides(federation):
    await federation.start("beijing", "hebei")
    await federation.start_gateway()
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)

    for status, actor in [(S.STATUS_RECEIVED, "廊坊12345"), (S.STATUS_ACCEPTED, "三河市"), (S.STATUS_IN_PROGRESS, "燕郊交警"),
                          (S.STATUS_REPLIED, "燕郊交警")]:
        await report(hebei, SANHE_ID, status, actor=actor, note=f"{S.Status.Name(status)} note")
        await status_at(beijing, SANHE_ID, status)
    await report(beijing, SANHE_ID, S.STATUS_EVALUATED, actor="北京12345回访",
                 feedback=S.Feedback(contacted=True, resolved=True, satisfaction=S.SATISFACTION_SATISFIED))
    await status_at(hebei, SANHE_ID, S.STATUS_EVALUATED)
    await report(beijing, SANHE_ID, S.STATUS_CLOSED, actor="北京12345")
    at_hebei = await status_at(hebei, SANHE_ID, S.STATUS_CLOSED)
    at_beijing = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))

    assert steps(at_beijing) == steps(at_hebei)
    assert [s[0] for s in steps(at_beijing)] == ["STATUS_RECEIVED", "STATUS_ACCEPTED", "STATUS_IN_PROGRESS",
                                                 "STATUS_REPLIED", "STATUS_EVALUATED", "STATUS_CLOSED"]
    assert at_beijing.sequence == at_hebei.sequence == 6
    assert at_hebei.case.feedback.satisfaction == S.SATISFACTION_SATISFIED

    gateway = federation.gateway_stub()

    async def gateway_sees_closed():
        try:
            answer = await gateway.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:  # not projected yet; anything else is a failure
                raise
            return None
        return answer if answer.record.status == S.STATUS_CLOSED else None

    trail = await gateway_sees_closed() or await eventually(gateway_sees_closed)
    assert [e.status for e in trail.trail] == [S.STATUS_REFERRED, S.STATUS_RECEIVED, S.STATUS_ACCEPTED, S.STATUS_IN_PROGRESS,
                                               S.STATUS_REPLIED, S.STATUS_EVALUATED, S.STATUS_CLOSED]
    assert trail.record.holder == S.JURISDICTION_HEBEI and trail.record.origin == S.JURISDICTION_BEIJING
    listed = await gateway.ListCases(gateway_pb2.ListCasesRequest(native_id="BJ2026112400002001"))
    assert [r.case_id for r in listed.records] == [SANHE_ID]
    stats = await gateway.GetRelayStatistics(gateway_pb2.GetRelayStatisticsRequest())
    (pair,) = [p for p in stats.pairs if p.referrals]
    assert (pair.sender, pair.destination, pair.received, pair.signed_in_time) == (S.JURISDICTION_BEIJING, S.JURISDICTION_HEBEI, 1, 1)
    assert (pair.response_rate, pair.resolution_rate, pair.satisfaction_rate) == (1.0, 1.0, 1.0)


async def test_a_step_the_lifecycle_does_not_allow_is_refused_naming_the_current_state(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await report(hebei, SANHE_ID, S.STATUS_REPLIED)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "STATUS_REFERRED" in raised.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await report(beijing, SANHE_ID, S.STATUS_RECEIVED)  # only the holder signs
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_returned_referral_is_re_routed_and_the_old_holder_can_no_longer_act(federation):
    await federation.start("beijing", "tianjin", "hebei")
    beijing, tianjin, hebei = federation.stub("beijing"), federation.stub("tianjin"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    await report(hebei, SANHE_ID, S.STATUS_RECEIVED)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await report(hebei, SANHE_ID, S.STATUS_RETURNED)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "reason" in raised.value.details()
    await report(hebei, SANHE_ID, S.STATUS_RETURNED, reason="属北京市管辖的进京检查站", return_reason=S.RETURN_REASON_WRONG_PLACE)
    returned = await status_at(beijing, SANHE_ID, S.STATUS_RETURNED)
    assert returned.holder == S.JURISDICTION_HEBEI

    with pytest.raises(grpc.aio.AioRpcError) as raised:  # not back to the one that returned it
        await beijing.SubmitDocument(submit_request(SANHE))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    rerouted = await beijing.SubmitDocument(submit_request(SANHE, destination=S.JURISDICTION_TIANJIN, note="改派天津"))
    assert rerouted.submissions[0].destination == S.JURISDICTION_TIANJIN
    assert rerouted.submissions[0].envelope_id == f"{SANHE_ID}/referral/2"

    (item,) = await take(tianjin, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    assert item.envelope.referral.attempt == 2
    assert item.native.format == adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
    await report(tianjin, SANHE_ID, S.STATUS_RECEIVED, actor="天津12345")
    at_beijing = await status_at(beijing, SANHE_ID, S.STATUS_RECEIVED)
    assert at_beijing.holder == S.JURISDICTION_TIANJIN and at_beijing.attempt == 2
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # Hebei holds it no more
        await report(hebei, SANHE_ID, S.STATUS_IN_PROGRESS)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_hotline_transfer_tianjin_to_beijing_brings_the_follow_up_result_back(federation):
    await federation.start("beijing", "tianjin")
    beijing, tianjin = federation.stub("beijing"), federation.stub("tianjin")
    heping = SHARED / "jurisdictions/tianjin/samples/valid/tj_complaint_heping.xml"
    case_id = "jjj:TJ:TJ-26-1124-000567"
    sent = await tianjin.SubmitDocument(submit_request(heping, flow=envelope_pb2.FLOW_HOTLINE_TRANSFER,
                                                       destination=S.JURISDICTION_BEIJING))
    assert sent.submissions[0].envelope_id == f"{case_id}/transfer/1"
    (item,) = await take(beijing, 1, flows=[envelope_pb2.FLOW_HOTLINE_TRANSFER])
    assert item.envelope.hotline_transfer.case.case_id == case_id
    assert item.native.format == adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON
    assert b'"gdbh"' in item.native.content

    for status in (S.STATUS_RECEIVED, S.STATUS_IN_PROGRESS):
        await report(beijing, case_id, status, actor="北京12345")
    await report(beijing, case_id, S.STATUS_REPLIED, actor="北京12345", note="已回访",
                 feedback=S.Feedback(contacted=True, resolved=False, satisfaction=S.SATISFACTION_UNSATISFIED))
    at_tianjin = await status_at(tianjin, case_id, S.STATUS_REPLIED)
    assert at_tianjin.flow == envelope_pb2.FLOW_HOTLINE_TRANSFER
    assert at_tianjin.case.feedback.contacted and at_tianjin.case.feedback.HasField("resolved")
    assert not at_tianjin.case.feedback.resolved
    assert at_tianjin.case.feedback.satisfaction == S.SATISFACTION_UNSATISFIED
    updates = await take(tianjin, 3, flows=[envelope_pb2.FLOW_STATUS_UPDATE])
    assert [u.envelope.status_update.status for u in updates] == [S.STATUS_RECEIVED, S.STATUS_IN_PROGRESS, S.STATUS_REPLIED]


async def test_petition_review_request_and_outcome(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    petition = BEIJING_SAMPLES / "bj_xf_petition_visit.json"
    case_id = "jjj:BJ:BJ2026112000000350"
    await beijing.SubmitDocument(submit_request(petition, destination=S.JURISDICTION_HEBEI))
    await take(hebei, 1)
    for status in (S.STATUS_RECEIVED, S.STATUS_ACCEPTED, S.STATUS_IN_PROGRESS, S.STATUS_REPLIED):
        await report(hebei, case_id, status)
    await status_at(beijing, case_id, S.STATUS_REPLIED)
    await report(beijing, case_id, S.STATUS_REVIEW_REQUESTED, actor="信访人", note="对答复不服，申请复查")
    await status_at(hebei, case_id, S.STATUS_REVIEW_REQUESTED)
    await report(hebei, case_id, S.STATUS_REVIEWED, note="维持原答复")
    reviewed = await status_at(beijing, case_id, S.STATUS_REVIEWED)
    assert [s[0] for s in steps(reviewed)][-2:] == ["STATUS_REVIEW_REQUESTED", "STATUS_REVIEWED"]


async def test_the_origin_takes_a_returned_case_back(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    await report(hebei, SANHE_ID, S.STATUS_RECEIVED)
    await report(hebei, SANHE_ID, S.STATUS_RETURNED, reason="非本辖区", return_reason=S.RETURN_REASON_WRONG_PLACE)
    await status_at(beijing, SANHE_ID, S.STATUS_RETURNED)
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # taking back needs no reason, but only the origin may
        await report(hebei, SANHE_ID, S.STATUS_REGISTERED)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await report(beijing, SANHE_ID, S.STATUS_REGISTERED, actor="北京12345", note="收回自办")
    back = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
    assert back.holder == S.JURISDICTION_BEIJING and back.case.status == S.STATUS_REGISTERED
    at_hebei = await status_at(hebei, SANHE_ID, S.STATUS_REGISTERED)
    assert at_hebei.holder == S.JURISDICTION_BEIJING


async def test_steps_reported_at_once_by_both_sides_never_leave_them_disagreeing(federation):
    import asyncio

    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1)
    await report(hebei, SANHE_ID, S.STATUS_RECEIVED)
    await status_at(beijing, SANHE_ID, S.STATUS_RECEIVED)
    for round_ in range(5):
        results = await asyncio.gather(
            report(hebei, SANHE_ID, S.STATUS_RECEIVED, note=f"办理中说明 {round_}"),
            report(beijing, SANHE_ID, S.STATUS_RECEIVED, note=f"催办 {round_}"),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                assert isinstance(result, grpc.aio.AioRpcError) and result.code() == grpc.StatusCode.ABORTED, result

    async def agree():
        a = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        b = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID))
        return a.sequence == b.sequence and steps(a) == steps(b)

    assert await eventually(agree)
