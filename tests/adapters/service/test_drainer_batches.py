"""The outbox's relay in batches: one case at most once per batch, done in one go, a failed entry retried alone."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.drainer import Drainer
from adapters.service.outbox import Outbox, Outgoing
from kernel.config import OutboxSettings
from kernel.errors import BusRefused, BusUnavailable

FAST = OutboxSettings(publish_attempts=3, backoff_initial_seconds=0.001, backoff_max_seconds=0.01, poll_seconds=0.05)


def outgoing(n: int, case: int | None = None) -> Outgoing:
    return Outgoing(msg_id=f"m{n}", case_id=f"c{n if case is None else case}", subject="jjj.referral.he.bj", envelope=b"e")


class BatchBus:
    """Records the batches it was given; fails the message ids it is told to, once or always."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.alone: list[str] = []
        self.stored: list[str] = []
        self.fail_once: set[str] = set()
        self.refuse: set[str] = set()

    async def deliver_many(self, entries) -> list:
        self.batches.append([entry.msg_id for entry in entries])
        outcomes = []
        for entry in entries:
            if entry.msg_id in self.fail_once:
                self.fail_once.discard(entry.msg_id)
                outcomes.append(BusUnavailable("a moment"))
            elif entry.msg_id in self.refuse:
                outcomes.append(BusRefused("no"))
            else:
                self.stored.append(entry.msg_id)
                outcomes.append(f"ack {entry.msg_id}")
        return outcomes

    async def deliver(self, entry) -> str:
        self.alone.append(entry.msg_id)
        if entry.msg_id in self.refuse:
            raise BusRefused("no")
        self.stored.append(entry.msg_id)
        return f"ack {entry.msg_id}"


@pytest.fixture
def outbox(tmp_path):
    return Outbox.open(tmp_path / "o.sqlite3")


def drainer_of(outbox: Outbox, bus: BatchBus) -> Drainer:
    return Drainer(outbox, bus.deliver, lambda: True, FAST, deliver_many=bus.deliver_many)


async def test_pending_entries_go_in_one_batch_and_are_all_marked_done(outbox):
    bus = BatchBus()
    outbox.commit([outgoing(n) for n in range(1, 6)])
    outbox.commit([outgoing(6)])
    assert await drainer_of(outbox, bus).drain() == 6
    assert bus.batches == [["m1", "m2", "m3", "m4", "m5", "m6"]]
    assert bus.alone == []
    assert outbox.pending() == []


async def test_a_case_that_comes_again_starts_the_next_batch_so_its_messages_keep_their_order(outbox):
    bus = BatchBus()
    outbox.commit([outgoing(1), outgoing(2), outgoing(3, case=1), outgoing(4)])
    assert await drainer_of(outbox, bus).drain() == 4
    assert bus.batches == [["m1", "m2"], ["m3", "m4"]]
    assert bus.stored.index("m1") < bus.stored.index("m3")


async def test_an_entry_that_failed_in_its_batch_is_retried_alone_and_the_others_are_done(outbox):
    bus = BatchBus()
    bus.fail_once = {"m2"}
    outbox.commit([outgoing(1), outgoing(2), outgoing(3)])
    drainer = drainer_of(outbox, bus)
    waiting = asyncio.create_task(drainer.wait_for([1, 2, 3], timeout=5))
    await asyncio.sleep(0)  # its futures are registered before the relay runs
    relayed = await drainer.drain()
    assert relayed == 3 and bus.alone == ["m2"]
    assert await waiting == ["ack m1", "ack m2", "ack m3"]
    assert outbox.pending() == []


async def test_an_entry_refused_for_good_is_set_aside_and_its_waiter_told(outbox):
    bus = BatchBus()
    bus.refuse = {"m2"}
    outbox.commit([outgoing(1), outgoing(2), outgoing(3)])
    drainer = drainer_of(outbox, bus)
    waiting = asyncio.create_task(drainer.wait_for([2], timeout=5))
    await asyncio.sleep(0)
    assert await drainer.drain() == 2
    with pytest.raises(BusRefused):
        await waiting
    assert [entry.msg_id for entry, _ in outbox.refused()] == ["m2"]
    assert outbox.pending() == []
