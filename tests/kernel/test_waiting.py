"""kernel.waiting: a wait with a timeout that never drops its task's cancellation."""

from __future__ import annotations

import asyncio

import pytest

from kernel.waiting import get_within, pause, wait_until_set
from tests.support.cancelling import cancelled_loop, swallowing_once


async def _yield(turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def _cancel_as_it_ends(waiting, finish, turns: int) -> asyncio.Task:
    """Start `waiting` looping, let it park, then end its wait (`finish`) and cancel it `turns` loop turns
    apart: every interleaving of 'the wait is over' and 'the task is cancelled' that a loop meets."""
    task = asyncio.create_task(waiting())
    await _yield(3)
    finish()
    await _yield(turns)
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    return task


@pytest.mark.parametrize("turns", range(5))
async def test_a_loop_waiting_on_an_event_stops_when_cancelled_as_the_event_is_set(turns):
    event = asyncio.Event()

    async def loop_forever():
        while True:
            await wait_until_set(event, 10)
            event.clear()  # as the loops do: the next wait is for the next wake-up

    task = await _cancel_as_it_ends(loop_forever, event.set, turns)
    try:
        assert task.cancelled()
    finally:
        task.cancel()


@pytest.mark.parametrize("turns", range(5))
async def test_a_loop_reading_a_queue_stops_when_cancelled_as_an_item_comes_and_the_item_stays(turns):
    queue: asyncio.Queue[str] = asyncio.Queue()
    taken = []

    async def loop_forever():
        while True:
            taken.append(await get_within(queue, 10))

    task = await _cancel_as_it_ends(loop_forever, lambda: queue.put_nowait("item"), turns)
    try:
        assert task.cancelled()
        assert taken + [queue.get_nowait() for _ in range(queue.qsize())] == ["item"]  # read, or still there
    finally:
        task.cancel()


async def test_the_answers_when_nothing_cancels():
    event = asyncio.Event()
    assert await wait_until_set(event, 0.01) is False
    event.set()
    assert await wait_until_set(event, 0.01) is True
    queue: asyncio.Queue[int] = asyncio.Queue()
    with pytest.raises(TimeoutError):
        await get_within(queue, 0.01)
    queue.put_nowait(7)
    assert await get_within(queue, 0.01) == 7


@pytest.mark.parametrize("wait", ["pause", "event", "queue"])
async def test_a_cancellation_swallowed_earlier_in_the_turn_is_raised_by_the_loops_next_wait(wait):
    swallowed: list[bool] = []
    event, queue = asyncio.Event(), asyncio.Queue()
    waits = {"pause": lambda: pause(30), "event": lambda: wait_until_set(event, 30),
             "queue": lambda: get_within(queue, 30)}

    async def loop_forever():
        while True:
            await swallowing_once(swallowed)
            await waits[wait]()

    task = await cancelled_loop(loop_forever)
    try:
        assert swallowed and task.cancelled()
    finally:
        task.cancel()
