"""The relay lingers for submissions on their way to their commit, so that they go out in one batch, within a bound."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.drainer import Drainer
from adapters.service.outbox import Outbox
from kernel.config import OutboxSettings
from tests.adapters.service.test_drainer_batches import BatchBus, outgoing


def settings(linger: float) -> OutboxSettings:
    return OutboxSettings(publish_attempts=3, backoff_initial_seconds=0.001, backoff_max_seconds=0.01,
                          poll_seconds=30.0, relay_linger_seconds=linger)


@pytest.fixture
def outbox(tmp_path):
    return Outbox.open(tmp_path / "o.sqlite3")


async def started(outbox: Outbox, bus: BatchBus, linger: float) -> Drainer:
    drainer = Drainer(outbox, bus.deliver, lambda: True, settings(linger), deliver_many=bus.deliver_many)
    await drainer.start()
    await asyncio.sleep(0.01)  # its first round (an empty outbox) is over
    return drainer


async def relayed(bus: BatchBus, count: int, within: float = 2.0) -> None:
    async with asyncio.timeout(within):
        while len(bus.stored) < count:
            await asyncio.sleep(0.002)


async def submission(outbox: Outbox, drainer: Drainer, n: int, *, after: float = 0.0,
                     fails: bool = False) -> None:
    """A submission as CaseSending makes it: on its way until committed, then the drainer woken."""
    with drainer.on_its_way():
        await asyncio.sleep(after)
        if fails:
            raise ValueError("the document was rejected")
        outbox.commit([outgoing(n)])
    drainer.wake()


async def two_submissions(outbox: Outbox, linger: float) -> BatchBus:
    """m0 committed (and the drainer woken) while m1's submission is on its way; m1 commits 20 ms later.
    The bus they were relayed to, once both were."""
    bus = BatchBus()
    drainer = await started(outbox, bus, linger=linger)
    try:
        await asyncio.gather(submission(outbox, drainer, 0), submission(outbox, drainer, 1, after=0.02))
        await relayed(bus, 2)
    finally:
        await drainer.stop()
    return bus


async def test_an_entry_committed_while_the_drainer_lingers_goes_in_the_same_batch(outbox):
    bus = await two_submissions(outbox, linger=1.0)
    assert bus.batches == [["m0", "m1"]]
    assert bus.alone == []


async def test_without_a_linger_the_entry_on_its_way_goes_in_a_round_of_its_own(outbox):
    bus = await two_submissions(outbox, linger=0.0)
    assert bus.alone == ["m0", "m1"]
    assert bus.batches == []


async def test_a_lone_submission_is_relayed_at_once(outbox):
    bus = BatchBus()
    drainer = await started(outbox, bus, linger=1.0)
    try:
        await submission(outbox, drainer, 0)
        await relayed(bus, 1, within=0.5)
    finally:
        await drainer.stop()
    assert bus.alone == ["m0"]


async def test_the_linger_is_bounded_by_its_setting_when_a_submission_takes_longer(outbox):
    bus = BatchBus()
    drainer = await started(outbox, bus, linger=0.05)
    loop = asyncio.get_running_loop()
    slow = asyncio.create_task(submission(outbox, drainer, 1, after=5.0))
    try:
        await asyncio.sleep(0)  # the slow one is on its way
        await submission(outbox, drainer, 0)
        started_at = loop.time()
        await relayed(bus, 1, within=1.0)
        waited = loop.time() - started_at
    finally:
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        await drainer.stop()
    assert 0.04 <= waited < 0.5
    assert bus.stored == ["m0"]


async def test_a_submission_that_fails_on_its_way_ends_the_linger_at_once(outbox):
    bus = BatchBus()
    drainer = await started(outbox, bus, linger=1.0)
    failing = asyncio.create_task(submission(outbox, drainer, 1, after=0.1, fails=True))
    try:
        await asyncio.sleep(0)
        await submission(outbox, drainer, 0)
        await asyncio.sleep(0.02)
        assert bus.stored == []  # lingering for the one still on its way
        with pytest.raises(ValueError):
            await failing
        await relayed(bus, 1, within=0.5)
    finally:
        await drainer.stop()
    assert bus.stored == ["m0"]
