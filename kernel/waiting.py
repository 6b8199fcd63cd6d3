"""Waiting in the long-running loops without losing a cancellation.

Python 3.11's `asyncio.wait_for` returns the awaited result when a cancellation arrives in the same
turn as that result (fixed in 3.12, which rebuilt it on `asyncio.timeout`): a loop that waits with it
can miss its task's cancellation and never stop (an adapter's stop hung on the outbox drainer that
way). nats-py awaits with `wait_for` inside every request and publish, so a loop's own waits cannot
be enough: each of these first raises a cancellation some call swallowed (the request stays on the
task: `Task.cancelling()`), then waits with `asyncio.timeout`, which awaits in the calling task and
so always raises one. Every loop that runs until cancelled waits through one of them once a turn.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

T = TypeVar("T")


def raise_if_cancelled() -> None:
    """Raise the cancellation of the current task that an inner `wait_for` swallowed, if any."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def pause(seconds: float) -> None:
    """`asyncio.sleep` for a loop's turn."""
    raise_if_cancelled()
    await asyncio.sleep(seconds)


async def wait_until_set(event: asyncio.Event, timeout: float) -> bool:
    """Whether `event` was set within `timeout` seconds."""
    raise_if_cancelled()
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def get_within(queue: asyncio.Queue[T], timeout: float) -> T:
    """The queue's next item; TimeoutError if none came within `timeout` seconds (the queue keeps what
    arrives as a cancellation does: `Queue.get` leaves it for the next reader)."""
    raise_if_cancelled()
    async with asyncio.timeout(timeout):
        return await queue.get()
