"""The gateway's deadline watcher on a controllable clock: reminders and overdue notices reach both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from tests.support.relay import eventually, submit_request, take

SANHE, SANHE_ID = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json", "jjj:BJ:BJ2026112400002001"
SHARE = envelope_pb2.FLOW_INFORMATION_SHARE


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def referred_with_clock(federation):
    """Beijing refers the Sanhe case to Hebei, Hebei's member takes it; the gateway runs on a hand clock.
    Returns the clock, the two stubs, the notifier and the sign deadline once its clock runs."""
    clock = Clock()
    await federation.start("beijing", "hebei")
    await federation.start_gateway(clock=clock)
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await take(hebei, 1, flows=[envelope_pb2.FLOW_REFERRAL])
    notifier = federation.gateway.notifier

    async def sign_clock_running():
        return notifier.watcher.deadline(SANHE_ID, "hotline_sign_ordinary")

    return clock, beijing, hebei, notifier, await eventually(sign_clock_running)


async def test_sign_deadline_reminder_then_overdue_reach_origin_and_holder(federation):
    clock, beijing, hebei, notifier, deadline = await referred_with_clock(federation)
    assert deadline.due_at > clock.now
    assert await notifier.tick() == []

    clock.now = deadline.due_at - timedelta(hours=1)
    (reminder,) = await notifier.tick()
    assert reminder.kind.value == "reminder"
    clock.now = deadline.due_at + timedelta(seconds=1)
    (overdue,) = await notifier.tick()
    assert overdue.kind.value == "overdue"
    assert await notifier.tick() == []  # each notice once

    for stub in (beijing, hebei):
        items = await take(stub, 2, flows=[SHARE])
        notices = [n for item in items for n in item.envelope.information_share.deadlines]
        assert [(n.case_id, n.step, n.kind) for n in notices] == [
            (SANHE_ID, "hotline_sign_ordinary", envelope_pb2.DEADLINE_KIND_REMINDER),
            (SANHE_ID, "hotline_sign_ordinary", envelope_pb2.DEADLINE_KIND_OVERDUE)]
        assert all(item.envelope.sender == case_pb2.JURISDICTION_UNSPECIFIED for item in items)
        # both sides see whose limits applied: the holder's, here the federation's defaults
        assert [(n.limits_of, n.own_limits) for n in notices] == [(case_pb2.JURISDICTION_HEBEI, False)] * 2


async def test_signing_in_time_stops_the_clock(federation):
    clock, _, hebei, notifier, _ = await referred_with_clock(federation)
    await hebei.ReportStatus(adapter_pb2.ReportStatusRequest(case_id=SANHE_ID, status=case_pb2.STATUS_RECEIVED))

    async def sign_clock_stopped():
        return notifier.watcher.deadline(SANHE_ID, "hotline_sign_ordinary") is None

    await eventually(sign_clock_stopped)
    clock.now += timedelta(days=30)
    assert [e.step for e in await notifier.tick() if e.step == "hotline_sign_ordinary"] == []
