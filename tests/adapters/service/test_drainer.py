"""The outbox's relay: oldest first, waits out an outage with the entry at the head, sets aside what the bus refuses."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.drainer import Drainer
from adapters.service.outbox import Outbox, Outgoing
from kernel.config import OutboxSettings
from kernel.errors import BusRefused, BusUnavailable

FAST = OutboxSettings(publish_attempts=3, backoff_initial_seconds=0.001, backoff_max_seconds=0.01, poll_seconds=0.05)


def outgoing(n: int) -> Outgoing:
    return Outgoing(msg_id=f"m{n}", case_id=f"c{n}", subject="jjj.referral.he.bj", envelope=b"e")


class Bus:
    """Takes messages in the order given, deduplicating by message id like JetStream; can be away or refuse one."""

    def __init__(self) -> None:
        self.up = True
        self.stored: list[str] = []
        self.attempts: list[str] = []
        self.refuse: set[str] = set()

    async def deliver(self, entry) -> str:
        self.attempts.append(entry.msg_id)
        if not self.up:
            raise BusUnavailable("away")
        if entry.msg_id in self.refuse:
            raise BusRefused("no")
        if entry.msg_id not in self.stored:
            self.stored.append(entry.msg_id)
        return f"ack {entry.msg_id}"


@pytest.fixture
def outbox(tmp_path):
    return Outbox.open(tmp_path / "o.sqlite3")


async def test_entries_are_relayed_oldest_first_and_marked_done(outbox):
    bus = Bus()
    outbox.commit([outgoing(1), outgoing(2)])
    outbox.commit([outgoing(3)])
    assert await Drainer(outbox, bus.deliver, lambda: True, FAST).drain() == 3
    assert bus.stored == ["m1", "m2", "m3"]
    assert outbox.pending() == []


async def test_an_outage_keeps_the_head_entry_and_what_follows_it_then_they_go_in_order(outbox):
    bus = Bus()
    bus.up = False
    outbox.commit([outgoing(1), outgoing(2)])
    drainer = Drainer(outbox, bus.deliver, lambda: True, FAST)
    assert await drainer.drain() == 0
    assert bus.attempts == ["m1"] * FAST.publish_attempts  # bounded: nothing behind m1 was tried out of order
    assert [e.msg_id for e in outbox.pending()] == ["m1", "m2"]
    bus.up = True
    assert await drainer.drain() == 2
    assert bus.stored == ["m1", "m2"]


async def test_nothing_is_tried_while_the_connection_is_known_to_be_away(outbox):
    bus = Bus()
    outbox.commit([outgoing(1)])
    assert await Drainer(outbox, bus.deliver, lambda: False, FAST).drain() == 0
    assert bus.attempts == [] and len(outbox.pending()) == 1


async def test_a_refused_entry_is_set_aside_and_its_waiter_told(outbox):
    bus = Bus()
    bus.refuse = {"m1"}
    drainer = Drainer(outbox, bus.deliver, lambda: True, FAST)
    await drainer.start()
    try:
        refused, fine = outbox.commit([outgoing(1), outgoing(2)])
        drainer.wake()
        with pytest.raises(BusRefused):
            await drainer.wait_for([refused, fine], timeout=5)
        assert outbox.pending() == []
    finally:
        await drainer.stop()
    assert [(e.msg_id, why) for e, why in outbox.refused()] == [("m1", "no")]
    assert bus.stored == ["m2"]


async def test_a_waiter_gets_nothing_within_its_time_while_the_bus_is_away_and_the_entry_goes_later(outbox):
    bus = Bus()
    bus.up = False
    connected = [False]
    drainer = Drainer(outbox, bus.deliver, lambda: connected[0], FAST)
    await drainer.start()
    try:
        ids = outbox.commit([outgoing(1)])
        drainer.wake()
        assert await drainer.wait_for(ids, timeout=0.2) is None
        bus.up, connected[0] = True, True
        deadline = asyncio.get_running_loop().time() + 5
        while outbox.pending() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)  # the poll finds it without a wake-up
    finally:
        await drainer.stop()
    assert bus.stored == ["m1"] and outbox.pending() == []


async def test_after_a_crash_before_marking_done_the_entry_is_relayed_again_and_deduplicated(tmp_path):
    path = tmp_path / "o.sqlite3"
    bus = Bus()
    first = Outbox.open(path)
    first.commit([outgoing(1), outgoing(2)])
    await bus.deliver(first.pending()[0])  # published, then the process died before mark_done
    del first
    again = Outbox.open(path)
    assert await Drainer(again, bus.deliver, lambda: True, FAST).drain() == 2
    assert bus.attempts == ["m1", "m1", "m2"] and bus.stored == ["m1", "m2"]


async def test_a_waiter_is_released_as_soon_as_an_entry_fails_after_its_retries(outbox):
    bus = Bus()
    bus.up = False
    drainer = Drainer(outbox, bus.deliver, lambda: True, FAST)
    await drainer.start()
    try:
        ids = outbox.commit([outgoing(1)])
        drainer.wake()
        started = asyncio.get_running_loop().time()
        assert await drainer.wait_for(ids, timeout=30) is None
        assert asyncio.get_running_loop().time() - started < 10
        assert bus.attempts[:FAST.publish_attempts] == ["m1"] * FAST.publish_attempts
    finally:
        await drainer.stop()
    assert [e.msg_id for e in outbox.pending()] == ["m1"]


async def test_while_the_head_entry_is_stuck_a_new_waiter_is_answered_at_once_until_an_entry_goes(outbox):
    bus = Bus()
    bus.up = False
    drainer = Drainer(outbox, bus.deliver, lambda: True, FAST)
    first = outbox.commit([outgoing(1)])
    await drainer.drain()  # fails its retries: stuck
    second = outbox.commit([outgoing(2)])
    attempts = len(bus.attempts)
    assert await drainer.wait_for(second, timeout=30) is None
    assert len(bus.attempts) == attempts  # answered without trying again
    bus.up = True
    await drainer.start()
    try:
        drainer.wake()
        deadline = asyncio.get_running_loop().time() + 5
        while outbox.pending() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        third = outbox.commit([outgoing(3)])
        drainer.wake()
        assert await drainer.wait_for(third, timeout=5) == ["ack m3"]
    finally:
        await drainer.stop()
    assert bus.stored == ["m1", "m2", "m3"] and first[0] < second[0] < third[0]


@pytest.mark.parametrize("turns", range(4))
async def test_a_drainer_woken_as_it_is_stopped_stops(outbox, turns):
    """Python 3.11's wait_for dropped a cancellation arriving with the wake-up: an adapter's stop hung here."""
    drainer = Drainer(outbox, Bus().deliver, lambda: True, FAST)
    await drainer.start()
    for _ in range(3):
        await asyncio.sleep(0)

    async def wake_then_stop():
        drainer.wake()
        for _ in range(turns):
            await asyncio.sleep(0)
        await drainer.stop()
    await asyncio.wait_for(wake_then_stop(), 5)


async def test_a_stall_answers_every_waiter_at_once_and_later_waiters_wait_again_without_a_task_each(outbox):
    drainer = Drainer(outbox, Bus().deliver, lambda: True, FAST)  # not started: nothing relays meanwhile
    first, second = outbox.commit([outgoing(1)]), outbox.commit([outgoing(2)])
    loop = asyncio.get_running_loop()
    started: list[object] = []
    loop.set_task_factory(lambda loop, coro, **options: started.append(coro) or asyncio.Task(coro, loop=loop, **options))
    try:
        waiting = [asyncio.ensure_future(drainer.wait_for(ids, timeout=30)) for ids in (first, second)]
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(started) == 2  # the two waiters themselves: nothing of the drainer's per waiter
        drainer._stall()
        assert await asyncio.wait_for(asyncio.gather(*waiting), 5) == [None, None]
    finally:
        loop.set_task_factory(None)
    drainer._stuck = False  # the bus came back (what _bus_changed does)
    third = outbox.commit([outgoing(3)])
    later = asyncio.ensure_future(drainer.wait_for(third, timeout=0.3))
    await asyncio.sleep(0.05)
    assert not later.done()  # waits: the stall that answered the others is over
    assert await later is None  # then its own timeout
