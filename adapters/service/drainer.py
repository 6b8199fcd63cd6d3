"""Relays the outbox to the bus, oldest entry first, in batches.

Every case an adapter sends goes through here, whether the bus is up or not, so one
order holds for all of them: the outbox's. A submission waits for its own entries while
the relay makes progress; it is answered "queued" as soon as the relay stalls (the bus
went away, or an entry still failed after the bounded retries), or at the latest after
`OutboxSettings.answer_wait_seconds`.

An entry is finished by `deliver` (publish with an awaited ack, apply the record change,
share the digest), each step idempotent: the publish is deduplicated by its Nats-Msg-Id,
the record change is a fold that ignores what it already applied. So an entry is simply
done again after a crash at any point before it was marked done. Transient bus failures
are retried with tenacity (bounded exponential backoff with jitter); after the bounded
attempts the entry stays at the head and the drainer waits for the next wake-up (the bus
coming back, a new entry, or the poll). An entry the bus refuses for good (a refused
publish, a message too large) is marked refused, logged and kept, and the rest go on.

Batches: with `deliver_many`, the pending entries are relayed up to `BATCH_ENTRIES` at a time,
at most one entry per case in a batch (so a case's own messages keep their order), all
published before any acknowledgement is awaited, and marked done in one transaction. An
entry of a batch that failed is then retried alone, as above, before the next batch: the
order across cases may then differ from the outbox's by that entry, never within a case.

Lingering (PostgreSQL's commit_delay and commit_siblings, for the relay): a submission announces
itself while it is on its way to its commit (`on_its_way`). Woken while others are on their way,
the drainer waits up to `OutboxSettings.relay_linger_seconds` for them, so that they go out in
the same batch: one batch of 6 entries (64 calls of one work order in flight) cost every
process downstream its per-batch work again for each 6 referrals (docs/PERFORMANCE.md,
sixteenth pass). A submission alone (one in flight) is relayed at once, and nothing waits for
a call that waits for its turn: that one needs the relay to go on first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from adapters.service.outbox import Entry, Outbox
from kernel.bus.jetstream import ConnectionWatch
from kernel.config import OutboxSettings
from kernel.errors import BusError, BusUnavailable, StepConflict, UpdateContention
from kernel.waiting import wait_until_set

log = structlog.get_logger(__name__)
TRANSIENT = (BusUnavailable, UpdateContention)
# How often a running adapter removes what was relayed long ago (and request ids past their TTL).
PRUNE_SECONDS = 3600.0
# Entries relayed together (one publish window, one transaction marking them done).
BATCH_ENTRIES = 256


@dataclass
class Drainer:
    outbox: Outbox
    deliver: Callable[[Entry], Awaitable[Any]]
    is_connected: Callable[[], bool]
    settings: OutboxSettings = field(default_factory=OutboxSettings)
    # Relays a batch of entries of distinct cases: each one's result or the error it failed with.
    deliver_many: Callable[[list[Entry]], Awaitable[list[Any]]] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _waiting: dict[int, asyncio.Future] = field(default_factory=dict)
    # Settled (and forgotten) whenever the relay stalls: whoever waits stops waiting. One future shared by
    # every waiter, made when the first one comes: a task per waiter (on an Event) cost each call its start
    # and its cancellation.
    _stalled: asyncio.Future | None = None
    # The head entry failed its retries and none has gone since: a new waiter would wait in vain.
    _stuck: bool = False
    _task: asyncio.Task | None = None
    # Submissions between their start and their commit (or failure): what a lingering drainer waits for.
    _on_its_way: int = 0

    async def start(self, watch: ConnectionWatch | None = None) -> None:
        """Relay what an earlier run left (a crash between commit and publish), then whatever comes."""
        if watch is not None:
            await watch.follow(self._bus_changed)
        self._task = asyncio.create_task(self._run(), name="outbox-drainer")
        self.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()

    def wake(self) -> None:
        self._wake.set()

    @contextlib.contextmanager
    def on_its_way(self) -> Iterator[None]:
        """Around a submission's work up to its commit (nothing in it may wait for the relay): the
        drainer lingers for it, within `relay_linger_seconds`, to relay it with the others."""
        self._on_its_way += 1
        try:
            yield
        finally:
            self._on_its_way -= 1
            if self._on_its_way == 0:
                self._wake.set()  # a lingering drainer waits for no one any more

    async def _linger(self) -> None:
        """While submissions are on their way to their commit, wait for them (each commit wakes the
        drainer), at most `relay_linger_seconds` in all, and not once a batch's worth is waiting."""
        linger = self.settings.relay_linger_seconds
        if not linger or not self._on_its_way:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + linger
        while self._on_its_way and len(self._waiting) < BATCH_ENTRIES:
            left = deadline - loop.time()
            if left <= 0:
                return
            await wait_until_set(self._wake, left)
            self._wake.clear()

    async def _bus_changed(self, connected: bool) -> None:
        if connected:
            self._stuck = False  # worth waiting for again
            self.wake()
        else:
            self._stall()

    def _stall(self) -> None:
        self._stuck = True
        if self._stalled is not None and not self._stalled.done():
            self._stalled.set_result(None)
        self._stalled = None

    def expect(self, entry_ids: list[int]) -> None:
        """Keep the outcome of entries just committed for `wait_for` (or `release`). Call it right after
        the commit, with no await in between, so that the drainer cannot finish one unobserved."""
        loop = asyncio.get_running_loop()
        for entry_id in entry_ids:
            self._waiting.setdefault(entry_id, loop.create_future())

    def release(self, entry_ids: list[int]) -> None:
        """Nobody will wait for these after all: they are relayed all the same."""
        for entry_id in entry_ids:
            future = self._waiting.pop(entry_id, None)
            if future is not None and future.done() and not future.cancelled():
                future.exception()  # retrieved: a refusal nobody waits for is logged by the drainer already

    async def wait_for(self, entry_ids: list[int], timeout: float) -> list[Any] | None:
        """What `deliver` returned for each entry, once all are relayed; None if not within `timeout`.
        An entry the bus refused raises its error here. The entries are `expect`ed first (or this is
        called right after the commit, with no await in between)."""
        if self._stuck:
            self.release(entry_ids)
            return None
        loop = asyncio.get_running_loop()
        futures = [self._waiting.setdefault(entry_id, loop.create_future()) for entry_id in entry_ids]
        if self._stalled is None:
            self._stalled = loop.create_future()
        stalled = self._stalled
        # One future for all (a document may hold thousands of cases): waited on once, not per entry.
        every = asyncio.gather(*futures, return_exceptions=True)
        try:
            await asyncio.wait({every, stalled}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not every.done():
                return None
            return [future.result() for future in futures]
        finally:
            every.cancel()
            for entry_id, future in zip(entry_ids, futures, strict=True):
                self._waiting.pop(entry_id, None)
                if not future.done():
                    future.cancel()  # nobody waits any more: the entry is relayed all the same
                elif not future.cancelled():
                    future.exception()  # retrieved, whether raised above or not

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + PRUNE_SECONDS
        while True:
            await wait_until_set(self._wake, self.settings.poll_seconds)
            self._wake.clear()
            await self._linger()
            if loop.time() >= next_prune:
                self.outbox.prune()
                next_prune = loop.time() + PRUNE_SECONDS
            if self.is_connected():
                try:
                    await self.drain()
                except Exception:  # the drainer must outlive any one failure; the entry stays for the next round
                    log.exception("outbox_drain_failed")

    async def drain(self) -> int:
        """Relay pending entries in order until none is left or the bus is away; how many were relayed."""
        relayed = 0
        pending = self.outbox.pending()
        while pending:
            batch = _one_per_case(pending, BATCH_ENTRIES if self.deliver_many is not None else 1)
            pending = pending[len(batch):]
            failed = batch
            self.outbox.sync_soon()  # the batch's callers wait for its commits on the disk once it is relayed
            if len(batch) > 1 and self.is_connected():
                outcomes = await self.deliver_many(batch)
                done = [(entry, outcome) for entry, outcome in zip(batch, outcomes, strict=True)
                        if not isinstance(outcome, BaseException)]
                failed = []
                for entry, outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, StepConflict):  # a verdict, not a failure: a retry would not see it again
                        self._refuse(entry, outcome)
                    elif isinstance(outcome, BaseException):
                        failed.append(entry)
                if done:
                    self.outbox.mark_done_many([entry.id for entry, _ in done])
                    self._stuck = False
                    for entry, result in done:
                        self._settle(entry.id, result=result)
                    relayed += len(done)
            for entry in failed:
                outcome = await self._relay_one(entry)
                if outcome is None:
                    return relayed
                relayed += outcome
        return relayed

    async def _relay_one(self, entry: Entry) -> int | None:
        """1 when relayed, 0 when refused for good, None when the relay stalls (the bus is away)."""
        try:
            result = await self._deliver_with_retries(entry)
        except TRANSIENT as error:
            log.warning("outbox_waiting_for_bus", entry=entry.id, msg_id=entry.msg_id, error=str(error))
            self._stall()
            return None
        except (BusError, StepConflict) as error:
            self._refuse(entry, error)
            return 0
        self.outbox.mark_done(entry.id)
        self._stuck = False
        self._settle(entry.id, result=result)
        return 1

    def _refuse(self, entry: Entry, error: Exception) -> None:
        """Refused for good: set aside, and the waiting call told."""
        self.outbox.mark_refused(entry.id, str(error))
        log.error("outbox_entry_refused", entry=entry.id, msg_id=entry.msg_id, case_id=entry.case_id, error=str(error))
        self._settle(entry.id, error=error)

    async def _deliver_with_retries(self, entry: Entry) -> Any:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.settings.publish_attempts),
            # Up to one initial delay of jitter: adapters coming back together do not retry in step.
            wait=wait_exponential_jitter(multiplier=self.settings.backoff_initial_seconds,
                                         max=self.settings.backoff_max_seconds,
                                         jitter=self.settings.backoff_initial_seconds),
            retry=retry_if_exception_type(TRANSIENT),
            reraise=True,
        ):
            with attempt:
                if not self.is_connected():
                    raise BusUnavailable("the bus is away: the entry waits in the outbox")
                return await self.deliver(entry)
        raise AssertionError("unreachable")

    def _settle(self, entry_id: int, *, result: Any = None, error: BaseException | None = None) -> None:
        # Left in `_waiting`: an expected entry may be settled before its caller waits (wait_for removes it).
        future = self._waiting.get(entry_id)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _one_per_case(entries: list[Entry], limit: int) -> list[Entry]:
    """The longest prefix of `entries` (at most `limit`) in which no case comes twice."""
    seen: set[str] = set()
    batch = []
    for entry in entries[:limit]:
        if entry.case_id in seen:
            break
        seen.add(entry.case_id)
        batch.append(entry)
    return batch
