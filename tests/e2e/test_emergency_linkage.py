"""Emergency linkage over the bus: a broadcast to two members, one acknowledges, the other is escalated;
structured early warnings between members and from the federation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kernel.domain.emergency import Sighting
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.support.relay import eventually, take

SHARE = e.FLOW_INFORMATION_SHARE


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def broadcast_gas_leak(federation):
    clock = Clock()
    await federation.start("beijing", "tianjin", "hebei")
    await federation.start_gateway(clock=clock)
    beijing = federation.stub("beijing")
    await beijing.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="gas-1", topic=e.SHARE_TOPIC_EMERGENCY, classification=e.CLASSIFICATION_RESTRICTED,
        audience=[c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI], title="燕郊—通州交界燃气泄漏",
        emergency=e.EmergencyBroadcast(broadcast_id="gas-1", category="gas_leak", level=e.WARNING_LEVEL_RED,
                                       admin_codes=["110112", "131082"], summary="潮白河大桥东侧燃气管道泄漏")))
    return clock, beijing


async def test_a_broadcast_acknowledged_by_one_member_escalates_the_other(federation):
    clock, beijing = await broadcast_gas_leak(federation)
    tianjin, hebei = federation.stub("tianjin"), federation.stub("hebei")
    (item,) = await take(tianjin, 1, flows=[SHARE])
    broadcast = item.envelope.information_share.emergency
    due = broadcast.ack_due_at.ToDatetime(tzinfo=UTC)
    assert due - broadcast.issued_at.ToDatetime(tzinfo=UTC) == timedelta(minutes=5)
    await tianjin.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="gas-1-ack", topic=e.SHARE_TOPIC_EMERGENCY_ACK, audience=[c.JURISDICTION_BEIJING], title="收到",
        emergency_ack=e.EmergencyAck(broadcast_id="gas-1", broadcaster=c.JURISDICTION_BEIJING, note="武清已启动预案")))
    (ack,) = await take(beijing, 1, flows=[SHARE])
    assert ack.envelope.information_share.emergency_ack.broadcast_id == "gas-1"
    watch = federation.gateway.emergency

    async def both_seen():
        key = "bj:gas-1"
        return key in watch.tracker._broadcasts and watch.tracker.pending(key) == (c.JURISDICTION_HEBEI,)

    await eventually(both_seen)
    clock.now = due - timedelta(seconds=1)
    assert (await watch.tick())[0] == []
    clock.now = due
    (escalation,), _ = await watch.tick()
    assert escalation.unacknowledged == (c.JURISDICTION_HEBEI,)
    assert watch.escalated == [escalation]  # what operators see
    for stub in (beijing, hebei):
        items = await take(stub, 2 if stub is hebei else 1, flows=[SHARE])
        notice = items[-1].envelope
        assert notice.sender == c.JURISDICTION_UNSPECIFIED
        assert list(notice.information_share.emergency.unacknowledged) == [c.JURISDICTION_HEBEI]
    assert (await watch.tick())[0] == []


async def test_a_structured_warning_between_members_and_a_cluster_found_by_the_federation(federation):
    clock = Clock()
    await federation.start("beijing", "tianjin", "hebei")
    await federation.start_gateway(clock=clock)
    beijing, tianjin, hebei = federation.stub("beijing"), federation.stub("tianjin"), federation.stub("hebei")
    warning = e.EarlyWarning(level=e.WARNING_LEVEL_ORANGE, admin_codes=["120114"], category_code="0601", count=12)
    warning.period_start.FromDatetime(clock.now - timedelta(days=1))
    warning.period_end.FromDatetime(clock.now)
    await tianjin.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="warn-1", topic=e.SHARE_TOPIC_EARLY_WARNING, audience=[c.JURISDICTION_HEBEI], title="武清供水诉求上升",
        early_warning=warning))
    (item,) = await take(hebei, 1, flows=[SHARE])
    assert item.envelope.information_share.early_warning == warning

    watch = federation.gateway.emergency
    for jurisdiction, code in ((c.JURISDICTION_BEIJING, "110112"), (c.JURISDICTION_HEBEI, "131082")):
        watch.sighted.sightings.update({f"{jurisdiction}/{m}": Sighting(jurisdiction, code, "0601", clock.now - timedelta(minutes=m))
                                        for m in (5, 9, 20)})
    _, (cluster,) = await watch.tick()
    assert cluster.area == "tongzhou_sanhe"
    for stub in (beijing, hebei):
        (notice,) = await take(stub, 1, flows=[SHARE])
        found = notice.envelope.information_share.early_warning
        assert found.detected_by_federation and found.count == 6 and found.area == "tongzhou_sanhe"
        assert list(found.jurisdictions) == [c.JURISDICTION_BEIJING, c.JURISDICTION_HEBEI]
    assert (await watch.tick())[1] == []  # warned once
