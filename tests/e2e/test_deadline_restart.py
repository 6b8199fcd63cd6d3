"""Deadline clocks outlive a gateway restart, and overdue cases and relay lag reach GetRelayStatistics."""

from __future__ import annotations

from datetime import timedelta

from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.e2e.test_deadline_notices import SANHE_ID, SHARE, Clock, referred_with_clock
from tests.support.relay import eventually, take


async def test_a_case_referred_before_a_gateway_restart_still_gets_its_reminder_and_overdue_notice(federation):
    _, beijing, hebei, _, before = await referred_with_clock(federation)
    await federation.gateway.stop(grace=0.1)

    clock = Clock()
    await federation.start_gateway(clock=clock)  # same projection: the projector resumes after the referral
    notifier = federation.gateway.notifier
    rebuilt = notifier.watcher.deadline(SANHE_ID, "hotline_sign_ordinary")  # no message since: only the stored trail
    assert rebuilt is not None and rebuilt.due_at == before.due_at

    clock.now = rebuilt.due_at - timedelta(hours=1)
    assert [(e.step, e.kind.value) for e in await notifier.tick()] == [("hotline_sign_ordinary", "reminder")]
    clock.now = rebuilt.due_at + timedelta(seconds=1)
    assert [(e.step, e.kind.value) for e in await notifier.tick()] == [("hotline_sign_ordinary", "overdue")]

    for stub in (beijing, hebei):
        items = await take(stub, 2, flows=[SHARE])
        assert [(n.case_id, n.kind) for item in items for n in item.envelope.information_share.deadlines] == [
            (SANHE_ID, envelope_pb2.DEADLINE_KIND_REMINDER), (SANHE_ID, envelope_pb2.DEADLINE_KIND_OVERDUE)]


async def test_an_overdue_case_and_the_relay_lag_show_in_the_relay_statistics(federation):
    clock, _, _, notifier, deadline = await referred_with_clock(federation)
    gateway = federation.gateway_stub()

    async def beijing_to_hebei():
        answer = await gateway.GetRelayStatistics(gateway_pb2.GetRelayStatisticsRequest())
        pairs = [p for p in answer.pairs
                 if (p.sender, p.destination) == (case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_HEBEI)]
        return pairs[0] if pairs else None

    pair = await eventually(beijing_to_hebei)
    assert (pair.referrals, pair.overdue) == (1, 0)
    # the referral's own trip from the Beijing adapter to the gateway, measured on one machine's clock
    assert 0 < pair.lag_p50_ms <= pair.lag_max_ms < 60_000

    clock.now = deadline.due_at + timedelta(seconds=1)
    assert "overdue" in [e.kind.value for e in await notifier.tick()]

    async def counted_overdue():
        row = await beijing_to_hebei()
        return row if row.overdue else None

    pair = await eventually(counted_overdue)
    assert (pair.referrals, pair.overdue, pair.received) == (1, 1, 0)


async def test_notices_sent_before_a_gateway_restart_are_not_sent_again_after_it(federation):
    _, _, hebei, _, before = await referred_with_clock(federation)
    await federation.gateway.stop(grace=0.1)
    clock = Clock()
    clock.now = before.due_at + timedelta(seconds=1)
    await federation.start_gateway(clock=clock)  # its first tick sends the overdue notice
    (item,) = await take(hebei, 1, flows=[SHARE])
    assert [n.kind for n in item.envelope.information_share.deadlines] == [envelope_pb2.DEADLINE_KIND_OVERDUE]

    async def recorded():
        return federation.gateway.store.db.execute("SELECT count(*) FROM deadline_notices_sent").fetchone()[0]

    await eventually(recorded)
    await federation.gateway.stop(grace=0.1)

    clock.now = before.start  # nothing is due for the restarted gateway's own first tick
    await federation.start_gateway(clock=clock)
    watcher = federation.gateway.notifier.watcher
    assert watcher.deadline(SANHE_ID, "hotline_sign_ordinary") == before  # the clock is rebuilt
    # Long after: JetStream's 7-day duplicate window would no longer drop a notice sent again.
    assert [e for e in watcher.due_events(before.due_at + timedelta(days=30)) if e.step == "hotline_sign_ordinary"] == []
