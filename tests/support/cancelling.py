"""Cancelling a loop the way a stop does, and a step that drops a cancellation the way 3.11's wait_for can."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def swallowing_once(swallowed: list[bool], result=None):
    """Wait; the first cancellation is dropped (noted in `swallowed`) and `result` returned, later ones raise."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        if swallowed:
            raise
        swallowed.append(True)
    return result


async def cancelled_loop(loop_forever: Callable[[], Awaitable[None]]) -> asyncio.Task:
    """Start the loop, cancel it after one turn, and give back its task once it ended (or after 5 s)."""
    task = asyncio.create_task(loop_forever())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    return task
