"""Submissions worked on at once: the others wait their turn.

Every SubmitDocument in progress holds its document, its parsed cases and their envelopes
until the bus takes them; a member that keeps hundreds of calls in flight made the Beijing
adapter hold all of them at once (148.8 MB at 256 calls of 16 cases, against the bar of 150)
and slower for it (510-530 referrals/s against 580-590 with 32 at a time: docs/PERFORMANCE.md,
twelfth pass). A call that waits holds only its request; its deadline keeps running, and a
cancelled wait takes no turn. Waiting calls are counted in `jjj_submissions_waiting`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from kernel.observability import metrics


class Turns:
    def __init__(self, at_once: int, jurisdiction: str) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._gauge = metrics.SUBMISSIONS_WAITING.labels(jurisdiction)
        self.waiting = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._slots.locked():
            self.waiting += 1
            self._gauge.set(self.waiting)
            try:
                await self._slots.acquire()
            finally:
                self.waiting -= 1
                self._gauge.set(self.waiting)
        else:
            await self._slots.acquire()  # free: taken without waiting
        try:
            yield
        finally:
            self._slots.release()
