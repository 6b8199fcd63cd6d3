"""Submissions worked on at once: the others wait their turn, up to a bound.

Every SubmitDocument in progress holds its document, its parsed cases and their envelopes
until the bus takes them; a member that keeps hundreds of calls in flight made the Beijing
adapter hold all of them at once (148.8 MB at 256 calls of 16 cases, against the bar of 150)
and slower for it (510-530 referrals/s against 580-590 with 32 at a time: docs/PERFORMANCE.md,
twelfth pass). A call that waits holds only its request; its deadline keeps running, and a
cancelled wait takes no turn. Waiting calls are counted in `jjj_submissions_waiting`.

A waiting call still holds its gRPC call, its request and its span: offered 1,000 calls a second
for 3 s, an adapter carrying 220 grew to a peak of 150.6 MB with all of them waiting, 145.3 with
at most 512 (docs/PERFORMANCE.md, thirteenth pass). Beyond `waiting_at_most` a call is
refused at once (AdapterBusy: RESOURCE_EXHAUSTED, retry in a second; the servicer's error translation
counts it in `jjj_rejections_total{reason="ADAPTER_BUSY"}`): nothing of it was accepted, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from kernel.config import OutboxSettings
from kernel.errors import AdapterBusy
from kernel.observability import metrics


class Turns:
    def __init__(self, at_once: int, jurisdiction: str, *,
                 waiting_at_most: int = OutboxSettings().submissions_waiting_at_most) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self._gauge = metrics.SUBMISSIONS_WAITING.labels(jurisdiction)
        self.jurisdiction = jurisdiction
        self.waiting_at_most = waiting_at_most
        self.waiting = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._slots.locked():
            if self.waiting >= self.waiting_at_most:
                raise AdapterBusy(f"the {self.jurisdiction} adapter has {self.waiting} submissions waiting already, "
                                  f"as many as it keeps: send this one again in a moment",
                                  metadata={"waiting": str(self.waiting)})
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
