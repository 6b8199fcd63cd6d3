"""A long-running process's old objects kept out of the cyclic collector's full passes.

CPython 3.11 makes a full (oldest-generation) collection whenever the objects that reached the
oldest generation since the last one number a quarter of those there: a pass over everything the
process holds. The gateway holds the deadline clocks and indexes of every running case, so each
pass grows with the history: after 100,000 cases the collector had 4.6% of the gateway's samples,
and its CPU per referral was 20-25% above an empty federation's (docs/PERFORMANCE.md, ninth pass).

`gc.freeze()` moves every object the collector tracks into a permanent generation that
collections skip. A frozen object is still freed by reference counting as soon as nothing uses
it; only a reference cycle among frozen objects waits to be reclaimed until the next thaw. So,
every `freeze_seconds`: a collection of the young generations (their garbage is not frozen), then
a freeze; every `thaw_seconds`: a thaw and one full collection (what became cyclic garbage
meanwhile is reclaimed), then a freeze again. One full pass an hour instead of one per quarter of
growth, and the passes in between only see what is younger than the last freeze.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from pydantic import BaseModel, Field

from kernel.waiting import pause

log = structlog.get_logger(__name__)


class HeapSettings(BaseModel):
    """How often a server process freezes what it holds (0: never, the interpreter's own collection only)."""

    freeze_seconds: float = Field(default=60.0, ge=0)
    # Every this long the frozen objects are thawed and collected once in full (cycles among them reclaimed).
    thaw_seconds: float = Field(default=3600.0, gt=0)


class Collector(Protocol):
    """The part of the `gc` module a keeper uses (a test passes a recorder)."""

    def collect(self, generation: int = 2) -> int: ...
    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...
    def get_freeze_count(self) -> int: ...


@dataclass
class HeapKeeper:
    settings: HeapSettings
    collector: Collector = gc
    started_at: float = field(default_factory=time.monotonic)
    _last_thaw: float = field(init=False)

    def __post_init__(self) -> None:
        self._last_thaw = self.started_at

    def step(self, now: float) -> str:
        """Freeze, or thaw and collect in full then freeze, as due at `now` (monotonic seconds); which one."""
        if now - self._last_thaw >= self.settings.thaw_seconds:
            self._last_thaw = now
            frozen = self.collector.get_freeze_count()
            started = time.perf_counter()
            self.collector.unfreeze()
            reclaimed = self.collector.collect(2)
            self.collector.freeze()
            log.info("heap_thawed", frozen_before=frozen, reclaimed=reclaimed, frozen_after=self.collector.get_freeze_count(),
                     pause_ms=round((time.perf_counter() - started) * 1000, 1))
            return "thawed"
        self.collector.collect(1)
        self.collector.freeze()
        return "frozen"

    async def run(self) -> None:
        if not self.settings.freeze_seconds:
            return
        while True:
            await pause(self.settings.freeze_seconds)
            self.step(time.monotonic())
