"""What an adapter holds of its member's inbox, adapter-wide: every message fetched and not settled.

An item (`<stream>:<stream sequence>`) is held by one inbox session at a time while
it is fetched or shown and not acknowledged. When its session ends, the item is parked:
the member's next session (or another open one) takes it first, in stream order,
without JetStream delivering it again; if none does within `handover_seconds`, it goes
back to the bus (nak, in stream order). Held items are kept alive on the bus
(in_progress) so a member may hold one longer than the ack wait.

Acknowledging works from any session while the item is held, and after its session
ended too (the acknowledgement is recorded, its redelivery settled without reaching
the member). Each acknowledgement is recorded durably (AcknowledgedLog) before the bus
takes it: what the member acknowledged is never shown to it again, whatever the bus
forgets.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.errors import MsgAlreadyAckdError

from adapters.service import receipts
from adapters.service.acknowledged import AcknowledgedLog
from adapters.service.relay import AdapterRelay
from kernel.bus import jetstream
from kernel.config import InboxSettings
from kernel.errors import BusError, InboxItemUnknown, InvalidRequest
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from kernel.waiting import pause

log = structlog.get_logger(__name__)
AckResult = adapter_pb2.AckResult
# Items shown and no longer held (their session ended, they went back to the bus) whose
# acknowledgement is still taken: the latest, within a count and a size (the bytes are kept for the receipt).
SHOWN_MEMORY = 4096
SHOWN_MEMORY_BYTES = 16 * 1024 * 1024
TICK_SECONDS = 0.25


def item_id_of(message: Msg) -> str:
    meta = message.metadata
    return f"{meta.stream}:{meta.sequence.stream}"


def sequence_of(message: Msg) -> int:
    return message.metadata.sequence.stream


@dataclass(eq=False)
class Held:
    item_id: str
    message: Msg
    owner: object | None  # the InboxSession holding it; None while parked
    flow: int
    item: adapter_pb2.InboxItem | None = None  # set once shown to the member
    shown: int = 0
    parked_at: float = 0.0
    acking: asyncio.Future | None = None

    @property
    def sequence(self) -> int:
        return sequence_of(self.message)


@dataclass(frozen=True, slots=True)
class Shown:
    envelope: envelope_pb2.Envelope
    data: bytes
    delivered_at: float = 0.0  # wall-clock time first shown to the member (0: not known), for the receipt
    item: adapter_pb2.InboxItem | None = None  # as shown: its delivery_count counts every showing


@dataclass(eq=False)
class HeldItems:
    relay: AdapterRelay
    acknowledged: AcknowledgedLog
    limits: InboxSettings
    ack_wait: float
    held: dict[str, Held] = field(default_factory=dict)
    shown: OrderedDict[str, Shown] = field(default_factory=OrderedDict)
    parked_changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _shown_bytes: int = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep_alive_and_return()),
                       asyncio.create_task(self.acknowledged.prune_forever(self.limits.acknowledged_prune_seconds))]

    def count(self, owner: object | None = ...) -> int:
        """Held items (of one owner when given; None counts the parked)."""
        if owner is ...:
            return len(self.held)
        return sum(1 for held in self.held.values() if held.owner is owner)

    # -- taking and leaving -------------------------------------------------

    def take(self, message: Msg, owner: object, flow: int) -> Held | None:
        """Hold a fetched message for `owner`; None when it is already held (a redelivery: the newer handle is kept)."""
        item_id = item_id_of(message)
        current = self.held.get(item_id)
        if current is not None:
            current.message = message
            return None
        held = Held(item_id, message, owner, flow)
        self.held[item_id] = held
        return held

    def take_parked(self, owner: object, flows) -> Held | None:
        # Not one whose acknowledgement is in flight, nor one parked a moment ago (its ack may be on the way):
        # shown again, it would reach the member after the ack was answered.
        handed_from = asyncio.get_running_loop().time() - self.limits.handover_grace_seconds
        parked = [held for held in self.held.values()
                  if held.owner is None and held.flow in flows and held.acking is None and held.parked_at <= handed_from]
        if not parked:
            return None
        first = min(parked, key=lambda held: held.sequence)
        first.owner = owner
        return first

    def graces_ended(self, since: float, now: float) -> bool:
        """Whether a parked item's handover grace ended in (since, now]: a tick that came late (a busy loop)
        still wakes the sessions waiting for it (a window of one tick's length from the last tick missed it)."""
        grace = self.limits.handover_grace_seconds
        return any(held.owner is None and since < held.parked_at + grace <= now for held in self.held.values())

    def mark_shown(self, held: Held, envelope: envelope_pb2.Envelope, item: adapter_pb2.InboxItem) -> None:
        held.item = item
        held.shown += 1
        first = self.shown.get(held.item_id)
        self._forget_shown(held.item_id)
        self.shown[held.item_id] = Shown(envelope, held.message.data, first.delivered_at if first else time.time(), item)
        self.acknowledged.note_shown(held.item_id, envelope.envelope_id)
        self._shown_bytes += len(held.message.data)
        while len(self.shown) > SHOWN_MEMORY or self._shown_bytes > SHOWN_MEMORY_BYTES:
            self._forget_shown(next(iter(self.shown)))

    def _forget_shown(self, item_id: str) -> None:
        shown = self.shown.pop(item_id, None)
        if shown is not None:
            self._shown_bytes -= len(shown.data)

    def still_showable(self, held: Held) -> bool:
        """Still held as it was, and no acknowledgement of it under way or done."""
        return held.acking is None and self.held.get(held.item_id) is held

    def drop(self, held: Held) -> None:
        if self.held.get(held.item_id) is held:
            del self.held[held.item_id]

    def park(self, owner: object) -> None:
        """A session ended: its items wait for the member's next session."""
        now = asyncio.get_running_loop().time()
        for held in self.held.values():
            if held.owner is owner:
                held.owner, held.parked_at = None, now
        self.parked_changed.set()

    async def settle(self, held: Held, *, doing: str) -> None:
        """Acknowledge on the bus a message the member must not see (already acknowledged)."""
        self.drop(held)
        try:
            await held.message.ack()
        except MsgAlreadyAckdError:
            pass
        except Exception as error:  # the bus delivers it again and it is settled then
            log.warning("settle_failed", item_id=held.item_id, doing=doing, error=str(error) or type(error).__name__)

    async def settle_acknowledged(self, held: Held, envelope: envelope_pb2.Envelope) -> None:
        """A delivery of what the member acknowledged: settled on the bus, never shown. Its receipt is sent
        (again, maybe: the sender keeps one per envelope), as the acknowledgement may have reached an earlier
        process of this adapter that never sent it."""
        showing = await self.acknowledged.shown_envelope(held.item_id)
        delivered_at = showing[1] if showing is not None and showing[0] == envelope.envelope_id else 0.0
        await self._send_receipt(Shown(envelope, held.message.data, delivered_at))
        await self.settle(held, doing="already acknowledged")

    # -- acknowledging ------------------------------------------------------

    async def acknowledge(self, item_id: str) -> int:
        """ACK_RESULT_ACKNOWLEDGED or ACK_RESULT_ALREADY_ACKNOWLEDGED; raises for an empty or unknown id."""
        if not item_id:
            raise InvalidRequest("item_id is required", violations=[("item_id", "required: the item_id of an inbox item")])
        held = self.held.get(item_id)
        if held is not None and held.item is not None:
            if held.acking is not None:  # a concurrent acknowledgement of the same item
                await asyncio.shield(held.acking)
                return AckResult.ACK_RESULT_ALREADY_ACKNOWLEDGED
            return await self._acknowledge_held(held)
        earlier = await self.acknowledged.by_item(item_id)
        if earlier is not None:
            return AckResult.ACK_RESULT_ALREADY_ACKNOWLEDGED
        shown = self.shown.get(item_id)
        if shown is not None:
            await self._record(shown, item_id)
            self._forget_shown(item_id)
            log.info("acknowledged_after_session", item_id=item_id, envelope_id=shown.envelope.envelope_id)
            return AckResult.ACK_RESULT_ACKNOWLEDGED
        earlier_showing = await self.acknowledged.shown_envelope(item_id)
        if earlier_showing is not None:
            envelope_id = earlier_showing[0]
            # Shown by an earlier process of this adapter: recorded now; the bus delivers it again to this
            # process, which settles it (and sends its receipt) without showing it (`settle_acknowledged`).
            await self.acknowledged.record(envelope_id, item_id)
            log.info("acknowledged_after_restart", item_id=item_id, envelope_id=envelope_id)
            return AckResult.ACK_RESULT_ACKNOWLEDGED
        raise InboxItemUnknown(f"{self.relay.member.name}'s inbox has no item {item_id!r} waiting for acknowledgement",
                               metadata={"itemId": item_id})

    async def acknowledge_many(self, item_ids: list[str]) -> list[int | None]:
        """`acknowledge` for many ids: the held ones recorded in one transaction, then acknowledged on the bus
        together; the others one by one. Each id's result, None for an unknown id. A bus failure is raised once
        every other id was done (the failed ones stay held: acknowledging them again is safe)."""
        if not item_ids or not all(item_ids):
            raise InvalidRequest("item_ids must name at least one item, none of them empty",
                                 violations=[("item_ids", "required: item_ids of inbox items, none empty")])
        results: dict[str, int | None] = {}
        batch: dict[str, Held] = {}
        for item_id in dict.fromkeys(item_ids):
            held = self.held.get(item_id)
            if held is not None and held.item is not None and held.acking is None:
                batch[item_id] = held
        failure: BaseException | None = None
        if batch:
            results |= await self._acknowledge_held_many(list(batch.values()))
            failure = next((result for result in results.values() if isinstance(result, BaseException)), None)
        for item_id in dict.fromkeys(item_ids):
            if item_id in results:
                continue
            try:
                results[item_id] = await self.acknowledge(item_id)
            except InboxItemUnknown:
                results[item_id] = None
            except BusError as error:
                failure = failure or error
        if failure is not None:
            raise failure
        return [results[item_id] for item_id in item_ids]

    async def _acknowledge_held_many(self, batch: list[Held]) -> dict[str, int | BaseException]:
        loop = asyncio.get_running_loop()
        for held in batch:
            held.acking = loop.create_future()
        shown = [self.shown.get(held.item_id) or Shown(held.item.envelope, held.message.data) for held in batch]
        try:
            # Durably first, all in one transaction: then the receipts, then the bus.
            await self.acknowledged.record_many([(s.envelope.envelope_id, held.item_id) for s, held in zip(shown, batch)])
        except BaseException as error:
            for held in batch:
                self._ack_failed(held, error)
            raise
        await self._send_receipts(shown)
        outcomes: list[BaseException | None] = []
        for held in batch:  # one after another, not a task each: an ack is a write to the connection's buffer
            try:
                await self._bus_ack(held)
                outcomes.append(None)
            except Exception as error:  # noqa: BLE001 - each item's outcome is its own
                outcomes.append(error)
        results: dict[str, int | BaseException] = {}
        for held, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._ack_failed(held, outcome)
                results[held.item_id] = outcome
                continue
            self._ack_done(held)
            results[held.item_id] = AckResult.ACK_RESULT_ACKNOWLEDGED
        return results

    async def _acknowledge_held(self, held: Held) -> int:
        held.acking = asyncio.get_running_loop().create_future()
        try:
            shown = self.shown.get(held.item_id) or Shown(held.item.envelope, held.message.data, item=held.item)
            await self._record(shown, held.item_id)
            await self._bus_ack(held)
        except BaseException as error:
            self._ack_failed(held, error)
            raise
        self._ack_done(held)
        return AckResult.ACK_RESULT_ACKNOWLEDGED

    async def _bus_ack(self, held: Held) -> None:
        # A plain ack, not ack_sync: the acknowledgement is recorded durably first (`_record`), so an ack the
        # bus never got only means a redelivery after ack_wait, settled from that record and never shown; the
        # member's answer does not wait for a round trip to the server (one NATS message less per item).
        jetstream.require_connected(self.relay.nc)
        with jetstream.bus_errors(f"acknowledging {held.item_id}"):
            try:
                await held.message.ack()
            except MsgAlreadyAckdError:
                pass

    def _ack_done(self, held: Held) -> None:
        held.acking.set_result(None)
        self.drop(held)
        self._forget_shown(held.item_id)
        _notify_owner(held)

    def _ack_failed(self, held: Held, error: BaseException) -> None:
        # Still held: a member whose ack failed can send it again; if its session ended meanwhile,
        # it may be handed over now.
        held.acking.set_exception(error)
        held.acking.exception()  # retrieved: a concurrent waiter may not exist
        held.acking = None
        self.parked_changed.set()

    async def _record(self, shown: Shown, item_id: str) -> None:
        # Durably first: once recorded, the member never sees this envelope again, whatever the bus forgets.
        await self.acknowledged.record(shown.envelope.envelope_id, item_id)
        await self._send_receipt(shown)

    async def _send_receipt(self, shown: Shown) -> None:
        await self._send_receipts([shown])

    async def _send_receipts(self, shown: list[Shown]) -> None:
        # After the record: if the ack is lost, the redelivered item's receipt is sent again (kept once by its sender).
        try:
            await self.relay.send_receipts([
                receipts.receipt_for(self.relay.member, s.envelope, s.data, delivered_at=s.delivered_at,
                                     delivery_count=s.item.delivery_count if s.item else 0) for s in shown])
        except Exception:  # the members' acknowledgements stand; the missing receipts are logged
            log.exception("receipt_not_sent", envelope_ids=[s.envelope.envelope_id for s in shown])

    # -- background ---------------------------------------------------------

    async def _keep_alive_and_return(self) -> None:
        loop = asyncio.get_running_loop()
        alive_every = max(0.2, self.ack_wait / 3)
        last_alive = previous = loop.time()
        while True:
            await pause(TICK_SECONDS)
            now = loop.time()
            expired = sorted((held for held in self.held.values()
                              if held.owner is None and held.acking is None
                              and now - held.parked_at >= self.limits.handover_seconds),
                             key=lambda held: held.sequence)
            for held in expired:
                self.drop(held)
                await _nak(held.message)
            if self.graces_ended(previous, now):
                self.parked_changed.set()  # their grace just ended: a waiting session may take them now
            previous = now
            if now - last_alive >= alive_every:
                last_alive = now
                for held in list(self.held.values()):
                    try:
                        await held.message.in_progress()
                    except Exception:  # acknowledged meanwhile, or the bus is away (then it comes back anyway)
                        pass

    async def close(self) -> None:
        """Everything held goes back to the bus at once, in stream order."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        returned = sorted(self.held.values(), key=lambda held: held.sequence)
        for held in returned:
            await _nak(held.message)
        if returned:
            log.info("inbox_returned", items=[held.item_id for held in returned])
        self.held.clear()
        self.acknowledged.close()


def _notify_owner(held: Held) -> None:
    owner = held.owner
    if owner is not None:
        owner.room_changed()


async def _nak(message: Msg) -> None:
    try:
        await message.nak()
    except Exception:  # connection gone: JetStream's ack wait redelivers it anyway
        pass
