"""A gateway restart neither forgets an unacknowledged emergency broadcast nor escalates it twice
(real nats-server, real adapters, the gateway stopped and started on its data directory)."""

from __future__ import annotations

from datetime import UTC, timedelta

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c
from tests.e2e.test_emergency_linkage import SHARE, Clock, broadcast_gas_leak
from tests.support.relay import eventually, take

KEY = "bj:gas-1"


async def test_an_unacknowledged_broadcast_outlives_gateway_restarts_and_is_escalated_once(federation):
    _, beijing = await broadcast_gas_leak(federation)
    tianjin, hebei = federation.stub("tianjin"), federation.stub("hebei")
    (item,) = await take(tianjin, 1, flows=[SHARE])
    due = item.envelope.information_share.emergency.ack_due_at.ToDatetime(tzinfo=UTC)
    await tianjin.ShareInformation(adapter_pb2.ShareInformationRequest(
        request_id="gas-1-ack", topic=e.SHARE_TOPIC_EMERGENCY_ACK, audience=[c.JURISDICTION_BEIJING], title="收到",
        emergency_ack=e.EmergencyAck(broadcast_id="gas-1", broadcaster=c.JURISDICTION_BEIJING)))
    watch = federation.gateway.emergency

    async def acknowledged_by_tianjin():
        return KEY in watch.tracker._broadcasts and watch.tracker.pending(KEY) == (c.JURISDICTION_HEBEI,)

    await eventually(acknowledged_by_tianjin)
    await federation.gateway.stop(grace=0.1)

    clock = Clock()
    await federation.start_gateway(clock=clock)  # resumes after the broadcast and the ack: only what it stored
    watch = federation.gateway.emergency
    assert watch.tracker.pending(KEY) == (c.JURISDICTION_HEBEI,)
    clock.now = due
    (escalation,), _ = await watch.tick()
    assert escalation.unacknowledged == (c.JURISDICTION_HEBEI,)
    for stub, count in ((beijing, 2), (hebei, 2)):  # beijing: the ack, hebei: the broadcast; then the escalation
        notice = (await take(stub, count, flows=[SHARE]))[-1].envelope
        assert notice.sender == c.JURISDICTION_UNSPECIFIED
        assert list(notice.information_share.emergency.unacknowledged) == [c.JURISDICTION_HEBEI]
    await federation.gateway.stop(grace=0.1)

    clock = Clock()
    clock.now = due + timedelta(hours=1)
    await federation.start_gateway(clock=clock)
    watch = federation.gateway.emergency
    assert watch.tracker.pending(KEY) == (c.JURISDICTION_HEBEI,)  # still unacknowledged: still known
    assert (await watch.tick())[0] == []  # escalated once, before the restart
    assert watch.ledger.unpublished() == []
