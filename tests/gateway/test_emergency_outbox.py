"""The federation's emergency bookkeeping is stored: restored after a restart, an escalation decided once
and published until the bus takes it (bounded retries per tick, then again on the next tick)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import nats.errors

from gateway.emergency import EmergencyWatch
from gateway.emergency_ledger import EmergencyLedger
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2 as e
from jjj.case.v1 import case_pb2 as c

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
DUE = T0 + timedelta(minutes=5)


class Ack:
    duplicate, seq = False, 1


class FlakyBus:
    """JetStream's publish as the gateway sees it while the server is away: a timeout, `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures, self.published = failures, []

    async def publish(self, subject, data, headers=None, timeout=None):
        if self.failures:
            self.failures -= 1
            raise nats.errors.TimeoutError
        self.published.append(headers["Nats-Msg-Id"])
        return Ack()


def share(sender: int, destination: int, **payload) -> e.Envelope:
    topic = e.SHARE_TOPIC_EMERGENCY if "emergency" in payload else e.SHARE_TOPIC_EMERGENCY_ACK
    return e.Envelope(envelope_id=f"s/{sender}/{destination}/{topic}", flow=e.FLOW_INFORMATION_SHARE, sender=sender,
                      destination=destination, information_share=e.InformationShare(topic=topic, **payload))


def gas_leak_seen(watch: EmergencyWatch) -> None:
    broadcast = e.EmergencyBroadcast(broadcast_id="gas-1", category="gas_leak", level=e.WARNING_LEVEL_RED,
                                     broadcaster=c.JURISDICTION_BEIJING)
    broadcast.ack_due_at.FromDatetime(DUE)
    for receiver in (c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI):
        watch.observe(share(c.JURISDICTION_BEIJING, receiver, emergency=broadcast))
    watch.observe(share(c.JURISDICTION_TIANJIN, c.JURISDICTION_BEIJING, emergency_ack=e.EmergencyAck(
        broadcast_id="gas-1", broadcaster=c.JURISDICTION_BEIJING)))


def watch_on(db: sqlite3.Connection, bus: FlakyBus, now: datetime) -> EmergencyWatch:
    return EmergencyWatch(bus, lambda: now, Signer.generate("federation"), ledger=EmergencyLedger(db))


async def test_a_restarted_watch_remembers_the_unacknowledged_and_escalates_once():
    db = sqlite3.connect(":memory:", isolation_level=None)
    gas_leak_seen(watch_on(db, FlakyBus(0), T0))

    restarted = watch_on(db, bus := FlakyBus(0), DUE)
    assert restarted.tracker.pending("bj:gas-1") == (c.JURISDICTION_HEBEI,)
    (escalation,), _ = await restarted.tick()
    assert escalation.unacknowledged == (c.JURISDICTION_HEBEI,)
    assert bus.published == ["emergency/bj:gas-1/escalation/bj", "emergency/bj:gas-1/escalation/he"]

    again = watch_on(db, bus := FlakyBus(0), DUE + timedelta(hours=1))
    assert (await again.tick())[0] == [] and bus.published == []


async def test_a_failed_escalation_is_retried_within_the_tick_and_after_it():
    db = sqlite3.connect(":memory:", isolation_level=None)
    watch = watch_on(db, bus := FlakyBus(2), DUE)
    gas_leak_seen(watch)
    (escalation,), _ = await watch.tick()  # two timeouts, then taken: within the tick's backoff
    assert bus.published == ["emergency/bj:gas-1/escalation/bj", "emergency/bj:gas-1/escalation/he"]

    db = sqlite3.connect(":memory:", isolation_level=None)
    watch = watch_on(db, bus := FlakyBus(4), DUE)  # more failures than one tick tries
    gas_leak_seen(watch)
    (escalation,), _ = await watch.tick()
    assert bus.published == [] and len(EmergencyLedger(db).unpublished()) == 2
    restarted = watch_on(db, bus, DUE + timedelta(minutes=1))  # also across a restart
    assert (await restarted.tick())[0] == []  # not decided again, only sent
    assert bus.published == ["emergency/bj:gas-1/escalation/bj", "emergency/bj:gas-1/escalation/he"]
    assert EmergencyLedger(db).unpublished() == []


async def test_a_cluster_warned_about_before_a_restart_is_not_warned_again():
    from kernel.domain.emergency import Sighting

    db = sqlite3.connect(":memory:", isolation_level=None)
    now = T0 + timedelta(hours=1)
    for attempt in ("first", "restarted"):
        watch = watch_on(db, bus := FlakyBus(0), now)
        for jurisdiction, code in ((c.JURISDICTION_BEIJING, "110112"), (c.JURISDICTION_HEBEI, "131082")):
            watch.sighted.sightings.update({f"{jurisdiction}/{m}": Sighting(jurisdiction, code, "0601",
                                                                              now - timedelta(minutes=m))
                                            for m in (5, 9, 20)})
        _, clusters = await watch.tick()
        assert len(clusters) == (1 if attempt == "first" else 0), attempt
        assert len(bus.published) == (2 if attempt == "first" else 0)
