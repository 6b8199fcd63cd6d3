"""One federation, one afternoon: a disputed return through coordination, the case then co-handled,
an extension of a petition's handling clock, and a gas-leak broadcast one member does not acknowledge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SAMPLES = SHARED / "jurisdictions/beijing/samples/valid"
SANHE, SANHE_ID = SAMPLES / "bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
PETITION, PETITION_ID = SAMPLES / "bj_xf_petition_visit.json", "jjj:BJ:BJ2026112000000350"
SHARE, STATUS = e.FLOW_INFORMATION_SHARE, e.FLOW_STATUS_UPDATE


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def reporter(stub, case_id):
    async def report(status, **kwargs):
        return await stub.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=case_id, status=status, **kwargs))
    return report


async def status_at(stub, case_id, status):
    async def probe():
        record = await stub.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id))
        return record if record.case.status == status else None
    return await eventually(probe)


async def test_dispute_extension_and_an_unacknowledged_broadcast_in_one_federation(federation):
    clock = Clock()
    await federation.start("beijing", "tianjin", "hebei")
    await federation.start_gateway(clock=clock)
    beijing, tianjin, hebei = federation.stub("beijing"), federation.stub("tianjin"), federation.stub("hebei")
    gateway = federation.gateway

    # 1. Hebei returns the Sanhe ticket; Beijing disputes; the joint meeting overrules the return.
    await beijing.SubmitDocument(submit_request(SANHE))
    await beijing.SubmitDocument(submit_request(PETITION, destination=c.JURISDICTION_HEBEI))
    await take(hebei, 2, flows=[e.FLOW_REFERRAL])
    hebei_sanhe, beijing_sanhe = reporter(hebei, SANHE_ID), reporter(beijing, SANHE_ID)
    await hebei_sanhe(c.STATUS_RECEIVED)
    await hebei_sanhe(c.STATUS_RETURNED, reason="检查站属北京", return_reason=c.RETURN_REASON_NOT_OURS)
    await status_at(beijing, SANHE_ID, c.STATUS_RETURNED)
    await beijing_sanhe(c.STATUS_RETURN_DISPUTED, reason="事发地在三河市")
    await status_at(hebei, SANHE_ID, c.STATUS_RETURN_DISPUTED)
    await beijing_sanhe(c.STATUS_RECEIVED, reason="联席会议决定由河北办理",
                        coordination=c.CoordinationDecision(body="京津冀12345联席会议", return_upheld=False))
    await status_at(hebei, SANHE_ID, c.STATUS_RECEIVED)
    await hebei_sanhe(c.STATUS_IN_PROGRESS)

    # 1b. Tianjin co-handles the Sanhe ticket; Beijing sees every part.
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="co-1", topic=e.SHARE_TOPIC_CO_HANDLING_REQUEST, title="请天津协办",
        audience=[c.JURISDICTION_TIANJIN], co_handled_case_id=SANHE_ID))
    (asked,) = await take(tianjin, 1, flows=[SHARE])
    assert asked.envelope.information_share.co_handled_case.case_id == SANHE_ID
    for status in (c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED):
        await tianjin.ShareInformation(adapter_pb2.ShareInformationRequest(
            request_id=f"part-{status}", topic=e.SHARE_TOPIC_CO_HANDLING_PART, title="协办",
            co_handling_part=e.CoHandlingPart(case_id=SANHE_ID, lead=c.JURISDICTION_HEBEI, status=status)))
    parts = [i.envelope.information_share.co_handling_part.status for i in await take(beijing, 3, flows=[SHARE])]
    assert parts == [c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED]

    # 2. Hebei accepts the petition and extends its handling clock once, with a reason Beijing reads.
    hebei_petition = reporter(hebei, PETITION_ID)
    await hebei_petition(c.STATUS_RECEIVED)
    await hebei_petition(c.STATUS_ACCEPTED)
    await hebei_petition(c.STATUS_ACCEPTED, event_type=c.EVENT_TYPE_EXTENSION, reason="需调取外省合同",
                         extension=c.DeadlineExtension(step="petition_handle", amount=30))

    async def extended():
        deadline = gateway.notifier.watcher.deadline(PETITION_ID, "petition_handle")
        return deadline if deadline and deadline.extensions == 1 else None

    await eventually(extended)
    async def beijing_read_the_extension():
        record = await beijing.GetCase(adapter_pb2.GetCaseRequest(case_id=PETITION_ID))
        return record if record.case.history and record.case.history[-1].type == c.EVENT_TYPE_EXTENSION else None

    assert (await eventually(beijing_read_the_extension)).case.history[-1].extension.amount == 30

    # 3. A gas leak on the Tongzhou-Sanhe border: Tianjin acknowledges, Hebei does not.
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="gas-7", topic=e.SHARE_TOPIC_EMERGENCY, audience=[c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI],
        title="燃气泄漏", emergency=e.EmergencyBroadcast(broadcast_id="gas-7", category="gas_leak",
                                                       level=e.WARNING_LEVEL_RED, admin_codes=["110112", "131082"])))
    (item,) = await take(tianjin, 1, flows=[SHARE])
    await tianjin.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="gas-7-ack", topic=e.SHARE_TOPIC_EMERGENCY_ACK, audience=[c.JURISDICTION_BEIJING], title="收到",
        emergency_ack=e.EmergencyAck(broadcast_id="gas-7", broadcaster=c.JURISDICTION_BEIJING)))

    async def only_hebei_pending():
        tracker = gateway.emergency.tracker
        return "bj:gas-7" in tracker._broadcasts and tracker.pending("bj:gas-7") == (c.JURISDICTION_HEBEI,)

    await eventually(only_hebei_pending)
    clock.now = item.envelope.information_share.emergency.ack_due_at.ToDatetime(tzinfo=UTC) + timedelta(seconds=1)
    (escalation,), _ = await gateway.emergency.tick()
    assert escalation.unacknowledged == (c.JURISDICTION_HEBEI,)

    # The gateway's trail of the disputed case shows every step, in order.
    async def whole_trail():
        answer = await federation.gateway_stub().GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=SANHE_ID))
        statuses = [t.status for t in answer.trail]
        return statuses if len(statuses) >= 6 else None

    assert await eventually(whole_trail) == [c.STATUS_REFERRED, c.STATUS_RECEIVED, c.STATUS_RETURNED,
                                             c.STATUS_RETURN_DISPUTED, c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS]
