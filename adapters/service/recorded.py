"""Each inbound envelope recorded once per adapter process, whoever sees it first.

The state tracker and the member's inbox both receive every message addressed to this
jurisdiction, and both record it in the case record before going on (the tracker so the
record is current without a member connected, the inbox so the member never sees an item
its record does not know yet). Recording is an idempotent fold, so the second one changed
nothing but still cost a read of the record, and when both ran at once, a compare-and-set
collision and a retry. Here the second one waits for the first and takes its outcome.

Only an envelope recorded without refusal is remembered, for `ttl` seconds and at most
`limit` of them: a refused or failed one is judged again by the next, as before; and a
case record the bus lost (a re-provisioned bucket) is written again by a redelivery after
at most `ttl`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any


class RecordedOnce:
    def __init__(self, *, limit: int = 4096, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.ttl = ttl
        self._clock = clock
        self._done: OrderedDict[str, float] = OrderedDict()
        self._running: dict[str, asyncio.Future] = {}

    async def once(self, envelope_id: str, record: Callable[[], Awaitable[Any]]) -> Any:
        """None when `envelope_id` was recorded (now or shortly before); else what `record()` returned."""
        if not envelope_id:
            return await record()
        self._forget_old()
        if envelope_id in self._done:
            return None
        running = self._running.get(envelope_id)
        if running is not None:
            try:
                if await asyncio.shield(running) is None:
                    return None
            except Exception:  # noqa: S110 - the first one's failure is its own: this one tries for itself
                pass
            return await record()
        future = asyncio.get_running_loop().create_future()
        self._running[envelope_id] = future
        try:
            outcome = await record()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody may be waiting
            raise
        else:
            future.set_result(outcome)
            if outcome is None:
                self._done[envelope_id] = self._clock()
                while len(self._done) > self.limit:
                    self._done.popitem(last=False)
            return outcome
        finally:
            self._running.pop(envelope_id, None)

    async def once_many(self, envelope_ids: list[str], record_many: Callable[[list[int]], Awaitable[list[Any]]],
                        record_one: Callable[[int], Awaitable[Any]]) -> list[Any]:
        """`once` for several envelopes (of distinct cases), an outcome for each in their order: an exception
        is an outcome, not raised. Those nobody records yet are recorded together, `record_many(indexes)`
        returning their outcomes in that order; one that another caller is recording (or an id twice) is
        waited for as `once` does, and recorded again alone by `record_one(index)` if that one did not settle it."""
        self._forget_old()
        loop = asyncio.get_running_loop()
        outcomes: list[Any] = [None] * len(envelope_ids)
        mine: list[int] = []
        theirs: list[int] = []
        for n, envelope_id in enumerate(envelope_ids):
            if envelope_id in self._done:
                continue
            if envelope_id in self._running:
                theirs.append(n)
                continue
            if envelope_id:
                self._running[envelope_id] = loop.create_future()
            mine.append(n)
        try:
            recorded = await record_many(mine) if mine else []
        except BaseException as error:
            recorded = [error] * len(mine)
            if not isinstance(error, Exception):
                self._settle(envelope_ids, mine, recorded)
                raise
        self._settle(envelope_ids, mine, recorded)
        for n, outcome in zip(mine, recorded, strict=True):
            outcomes[n] = outcome
        for n in theirs:
            try:
                outcomes[n] = await self.once(envelope_ids[n], lambda n=n: record_one(n))
            except Exception as error:  # noqa: BLE001 - each envelope's outcome is its own
                outcomes[n] = error
        return outcomes

    def _settle(self, envelope_ids: list[str], recorded_ids: list[int], outcomes: list[Any]) -> None:
        for n, outcome in zip(recorded_ids, outcomes, strict=True):
            future = self._running.pop(envelope_ids[n], None) if envelope_ids[n] else None
            if isinstance(outcome, BaseException):
                if future is not None:
                    future.set_exception(outcome)
                    future.exception()  # retrieved: nobody may be waiting
                continue
            if future is not None:
                future.set_result(outcome)
            if outcome is None and envelope_ids[n]:
                self._done[envelope_ids[n]] = self._clock()
        while len(self._done) > self.limit:
            self._done.popitem(last=False)

    def _forget_old(self) -> None:
        cutoff = self._clock() - self.ttl
        while self._done and next(iter(self._done.values())) < cutoff:
            self._done.popitem(last=False)
