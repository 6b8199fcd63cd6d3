"""Member inboxes: JetStream messages for one jurisdiction, delivered until acknowledged.

Each open inbox stream is a session pulling from the jurisdiction's durable inbox
consumers (one per flow). An item's id is stable across redeliveries
(`<stream>:<stream sequence>`), and the adapter holds items adapter-wide (held.py):
a member may acknowledge an item from any session, also after the session ended.

A session holds at most `window` items (fetched or shown, not yet acknowledged): the
rest wait on the bus, however slowly the member reads. When a session ends its items
go to the member's next session first, in order, and back to the bus shortly after
(nak) when none comes; JetStream's ack wait covers a crashed adapter.

Before an item is shown, the adapter's record of what its member acknowledged
(acknowledged.py) is asked: an envelope acknowledged before is settled on the bus,
never shown again. A message reaches the member only once verified and allowed
(AdapterRelay.admit: else it is dead-lettered); one that cannot be rendered, or that
reached the consumer's last delivery unacknowledged, is dead-lettered and terminated
(guard.py). When the member acknowledges, the sender gets a signed receipt.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext, api

from adapters.service import observe, records
from adapters.service.acknowledged import AcknowledgedLog
from adapters.service.guard import Guard
from adapters.service.held import Held, HeldItems, sequence_of
from adapters.service.relay import AdapterRelay
from kernel.bus import jetstream, subjects
from kernel.bus.envelopes import CASE_PAYLOADS, case_id_of
from kernel.config import InboxSettings
from kernel.errors import BusError
from kernel.jurisdictions import display_name
from kernel.security.envelopes import Refusal, Verified
from kernel.waiting import wait_until_set
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
Flow = envelope_pb2.Flow
Reason = envelope_pb2.DeadLetterReason
INBOX_FLOWS = tuple(route.flow for route in subjects.MEMBER_ROUTES)
# Items ready together are prepared and their showing recorded in one transaction (not one each). One
# that a cancelled session prepared and never sent goes to the next session, counted as shown once more.
SHOWN_AT_ONCE = 64
# How long a stop waits for the sessions to unsubscribe before giving back what they held.
SESSIONS_END_SECONDS = 5.0


def consumer_config(limits: InboxSettings, ack_wait: float) -> api.ConsumerConfig:
    """Bounded deliveries; a held item is kept alive meanwhile (in_progress), so the ack wait only covers a dead adapter.

    No ConsumerConfig.backoff: nats-server places a nak's delay relative to the consumer's
    ack wait (processNak: now - AckWait + delay) but expires it by the backoff of its delivery
    count, so a deferred message (a step whose referral is not here yet, guard.py) would wait
    backoff[n] - backoff[0] longer than asked: minutes instead of a fraction of a second.
    The waits between redeliveries are the guard's growing nak delays instead.
    """
    return api.ConsumerConfig(ack_wait=ack_wait, max_ack_pending=limits.max_ack_pending,
                              deliver_policy=api.DeliverPolicy.ALL, max_deliver=limits.max_deliver)


@dataclass(eq=False)
class InboxSession:
    inboxes: "Inboxes"
    flows: Sequence[int]
    gathers: bool = False  # items close behind the last message wait for company (InboxSettings.gather_seconds)
    queue: asyncio.Queue[Held] = field(default_factory=asyncio.Queue)
    _room: asyncio.Event = field(default_factory=asyncio.Event)
    _ending: asyncio.Event = field(default_factory=asyncio.Event)
    _subscriptions: list[tuple[int, JetStreamContext.PullSubscription]] = field(default_factory=list)
    _pumps: list[asyncio.Task] = field(default_factory=list)
    _cleaned_up: asyncio.Future | None = None

    @property
    def relay(self) -> AdapterRelay:
        return self.inboxes.relay

    @property
    def window(self) -> int:
        return self.inboxes.limits.window

    def holding(self) -> int:
        return self.inboxes.held.count(self)

    def room_changed(self) -> None:
        self._room.set()

    async def batches(self) -> AsyncIterator[list[adapter_pb2.InboxItem]]:
        """The inbox's items, those ready together in one list (at most SHOWN_AT_ONCE), until the caller stops
        or the session is closed; opening it while the bus is away raises BusUnavailable. Once open, it
        outlasts a bus outage: the pumps wait for the connection to come back."""
        jetstream.require_connected(self.relay.nc)
        try:
            with jetstream.bus_errors(f"opening the inbox of {self.relay.member.name}"):
                for flow in self.flows:
                    self._subscriptions.append((flow, await self._subscribe(flow)))
            if self._ending.is_set():  # closed while subscribing (the adapter stopping): no pumps to orphan
                return
            self._pumps = [asyncio.create_task(self._pump(flow, subscription))
                           for flow, subscription in self._subscriptions]
            last_shown = -math.inf
            while (first := await self._next()) is not None:
                await self._gather_behind(last_shown)
                ready = [first]
                while len(ready) < SHOWN_AT_ONCE and (held := self._next_ready()) is not None:
                    ready.append(held)
                prepared = []
                for held in ready:
                    item = await self.inboxes.prepare(held)
                    if item is None:
                        self.room_changed()
                    else:
                        prepared.append((held, item))
                if not prepared:
                    continue
                # Kept before the member can see them (one transaction for what was ready together): an
                # acknowledgement after a crash of this process still finds them.
                await self.inboxes.acknowledged.flush_shown()
                # An item shown before (by a session that ended) may have been acknowledged from that showing
                # while this batch was prepared and kept: shown now, it would reach the member after the
                # acknowledgement was answered (seen in the stream-cancel fault run with larger batches).
                items = [item for held, item in prepared if self.inboxes.held.still_showable(held)]
                if not items:
                    self.room_changed()
                    continue
                last_shown = time.monotonic()
                yield items
        finally:
            await self.close()

    async def _gather_behind(self, last_shown: float) -> None:
        """An item close behind the last message waits out the rest of `gather_seconds`, so that what comes
        meanwhile goes in the same message; after a quiet spell it goes at once."""
        wait = last_shown + self.inboxes.limits.gather_seconds - time.monotonic()
        if self.gathers and wait > 0:
            await asyncio.sleep(wait)

    async def close(self) -> None:
        """Stop fetching, hold what came for a cancelled pull, unsubscribe, park what the session holds.

        Once, whoever asks first: the session's own end, or the adapter's stop (gRPC may abandon a handler
        that waits at its yield, and run its clean-up only when the generator is collected)."""
        if self._cleaned_up is None:
            self._cleaned_up = asyncio.ensure_future(self._clean_up())
        await asyncio.shield(self._cleaned_up)

    async def _clean_up(self) -> None:
        self._ending.set()
        for task in self._pumps:
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        for flow, subscription in self._subscriptions:
            await _take_leftovers(flow, subscription, self)
            await _unsubscribe(subscription)
        self.inboxes.held.park(self)
        self.inboxes.close(self)

    async def _subscribe(self, flow: int) -> JetStreamContext.PullSubscription:
        route = subjects.route_of(flow)
        return await jetstream.durable_pull(
            self.relay.js, subjects.inbox_filter(flow, self.relay.member),
            durable=subjects.durable_name(subjects.INBOX_PURPOSE, self.relay.member.token, flow),
            stream=route.stream,
            config=consumer_config(self.inboxes.limits, self.inboxes.ack_wait),
        )

    async def _next(self) -> Held | None:
        """Items a closed session left come first (in stream order), then what this session fetched;
        None once the session is ended."""
        held_items = self.inboxes.held
        while not self._ending.is_set():
            ready = self._next_ready()
            if ready is not None:
                return ready
            held_items.parked_changed.clear()
            getter = asyncio.ensure_future(self.queue.get())
            parked_wait = asyncio.ensure_future(held_items.parked_changed.wait())
            ending = asyncio.ensure_future(self._ending.wait())
            try:
                done, _ = await asyncio.wait({getter, parked_wait, ending}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                parked_wait.cancel()
                ending.cancel()
                if not getter.done():
                    getter.cancel()
            if getter in done and not getter.cancelled():
                held = getter.result()
                if held.owner is self:
                    return held
        return None

    def _next_ready(self) -> Held | None:
        """`_next` without waiting: None when nothing is ready now."""
        parked = self.inboxes.held.take_parked(self, self.flows)
        if parked is not None:
            return parked
        while not self.queue.empty():
            held = self.queue.get_nowait()
            if held.owner is self:  # else taken over meanwhile (settled, or handed to another session)
                return held
        return None

    def _room_left(self) -> int:
        # Items a closed session left are this session's to take first: they count against its window.
        return self.window - self.holding() - self.inboxes.held.count(None)

    async def _pump(self, flow: int, subscription: JetStreamContext.PullSubscription) -> None:
        """Fetch only what the window has room for; the rest waits on the bus."""
        while True:
            room = min(self.inboxes.limits.fetch_batch, self._room_left())
            if room <= 0:
                self._room.clear()
                if self._room_left() <= 0:
                    # Woken by an acknowledgement; parked items leaving (back to the bus) are seen within a second.
                    await wait_until_set(self._room, 1.0)
                continue
            try:
                messages = await jetstream.fetch_batch(subscription, batch=room, timeout=1.0)
            except ConnectionClosedError:
                return  # shutting down
            self._hold(messages, flow)

    def _hold(self, messages: list[Msg], flow: int) -> None:
        # In stream order: JetStream redelivers returned messages ahead of new ones, but not always in order.
        for message in sorted(messages, key=sequence_of):
            held = self.inboxes.held.take(message, self, flow)
            if held is not None:
                self.queue.put_nowait(held)


async def _take_leftovers(flow: int, subscription: JetStreamContext.PullSubscription, session: InboxSession) -> None:
    """Messages the server sent for a fetch that was cancelled are still in the subscription: hold them,
    so they are handed over (or returned to the bus) with the rest rather than waiting out the ack wait."""
    # nats-py keeps them in the subscription's pending queue (where its next fetch would look first).
    inner = getattr(subscription, "_sub", None)
    queue = getattr(inner, "_pending_queue", None)
    while queue is not None and not queue.empty():
        message = queue.get_nowait()
        if not message.reply or (message.headers and message.headers.get("Status")):
            continue  # a pull request's status (no messages, timeout), not a message
        session._hold([message], flow)


async def _unsubscribe(subscription: JetStreamContext.PullSubscription) -> None:
    try:
        await subscription.unsubscribe()
    except Exception:  # connection gone: the subscription went with it
        pass


def _log_relayed(envelope: envelope_pb2.Envelope, receiver: str, deliveries: int) -> None:
    """The canonical line per relayed message, logged when the receiving member acknowledged it:
    ids and timings (sent to acknowledged), no personal data."""
    sent = envelope.sent_at.ToDatetime(tzinfo=UTC)
    fields = {"from": display_name(envelope.sender), "to": receiver}
    log.info(
        "relayed",
        case_id=case_id_of(envelope),
        envelope_id=envelope.envelope_id,
        flow=subjects.route_of(envelope.flow).token,
        deliveries=deliveries,
        latency_ms=round((datetime.now(UTC) - sent).total_seconds() * 1000, 1),
        **fields,
    )


class Inboxes:
    """All inbox sessions of one adapter, and what they hold (any of them can take an acknowledgement)."""

    def __init__(self, relay: AdapterRelay, ack_wait: float, limits: InboxSettings | None = None, *,
                 acknowledged: AcknowledgedLog) -> None:
        self.relay = relay
        self.ack_wait = ack_wait
        self.limits = limits or InboxSettings()
        self.held = HeldItems(relay, acknowledged, self.limits, ack_wait)
        self.sessions: set[InboxSession] = set()

    @property
    def acknowledged(self) -> AcknowledgedLog:
        return self.held.acknowledged

    @property
    def guard(self) -> Guard:
        return self.relay.guard

    def start(self) -> None:
        self.held.start()

    def open(self, flows: Sequence[int], *, several_per_message: bool = False) -> InboxSession:
        """A session of `flows` (all when none); `several_per_message`: the member takes several items to a
        message, so items close together are gathered (a member taking one a message gets each at once)."""
        wanted = [flow for flow in flows if flow in INBOX_FLOWS] or list(INBOX_FLOWS)
        session = InboxSession(self, wanted, gathers=several_per_message)
        self.sessions.add(session)
        return session

    def close(self, session: InboxSession) -> None:
        self.sessions.discard(session)

    async def prepare(self, held: Held) -> adapter_pb2.InboxItem | None:
        """The item to show the member, or None when it must not see it (settled, dead-lettered, deferred)."""
        if held.item is not None:  # shown before, by a session that ended: the same item again
            held.shown += 1
            held.item.delivery_count = max(held.message.metadata.num_delivered, held.shown)
            return held.item
        message = held.message
        checked = self.guard.verify(message)
        if isinstance(checked, Verified) and await self.acknowledged.contains(checked.envelope.envelope_id):
            await self.held.settle_acknowledged(held, checked.envelope)
            log.info("redelivery_settled", item_id=held.item_id, envelope_id=checked.envelope.envelope_id,
                     deliveries=message.metadata.num_delivered)
            return None
        if message.metadata.num_delivered >= self.limits.max_deliver:
            # JetStream's last delivery: shown now, it would stay unacknowledged forever once the member let it go.
            await self._dead_letter(held, Reason.DEAD_LETTER_REASON_UNDELIVERABLE,
                                    f"delivered {message.metadata.num_delivered} times, never acknowledged")
            return None
        try:
            envelope = await self.relay.admit(message)
        except BusError:
            raise  # the bus or the store is away: the member retries, the item waits
        except Exception as error:
            log.exception("inbox_admit_failed", item_id=held.item_id)
            await self._dead_letter(held, Reason.DEAD_LETTER_REASON_UNPROCESSABLE,
                                    f"could not be recorded: {type(error).__name__}")
            return None
        if envelope is None:
            self.held.drop(held)  # refused: dead-lettered and acknowledged, or deferred (nak with a delay)
            return None
        try:
            item = self._render(held, envelope)
        except Exception as error:
            log.exception("inbox_render_failed", item_id=held.item_id)
            await self._dead_letter(held, Reason.DEAD_LETTER_REASON_UNPROCESSABLE,
                                    f"could not be rendered in the member's format: {type(error).__name__}")
            return None
        self.held.mark_shown(held, envelope, item)
        observe.mark_delivered(self.relay.member, message.headers, envelope)
        observe.delivered(self.relay.member, envelope)
        item.delivery_count = max(message.metadata.num_delivered, held.shown)
        return item

    def _render(self, held: Held, envelope: envelope_pb2.Envelope) -> adapter_pb2.InboxItem:
        item = adapter_pb2.InboxItem(item_id=held.item_id, envelope=envelope)
        if envelope.WhichOneof("payload") in CASE_PAYLOADS:
            case = records.case_of(envelope).case
            item.native.CopyFrom(adapter_pb2.NativeDocument(
                content=self.relay.codec.encode([case]),
                format=self.relay.member.document_format,
                filename=f"{case.native_id}.{self.relay.codec.extension}",
            ))
        return item

    async def _dead_letter(self, held: Held, reason: int, detail: str) -> None:
        self.held.drop(held)
        message = held.message
        await self.guard.dead_letter(message, Refusal(reason, detail), deliveries=message.metadata.num_delivered)
        try:
            await message.term()
        except Exception:  # the bus is away: it comes back, and is dead-lettered again under the same id
            log.warning("term_failed", item_id=held.item_id)

    async def acknowledge(self, item_id: str, context=None) -> int:
        held = self.held.held.get(item_id)
        envelope = held.item.envelope if held is not None and held.item is not None else None
        # The receipt sent on acknowledgement carries this span's context: it belongs to the same trace.
        with observe.acknowledge_span(self.relay.member, held.message.headers if held else None, envelope, context):
            result = await self.held.acknowledge(item_id)
        if envelope is not None and result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED:
            observe.acknowledged(self.relay.member, envelope)
            _log_relayed(held.item.envelope, self.relay.member.name, held.message.metadata.num_delivered)
        return result

    async def acknowledge_many(self, item_ids: list[str]) -> list[int | None]:
        held = {item_id: self.held.held.get(item_id) for item_id in item_ids}
        results = await self.held.acknowledge_many(item_ids)
        for item_id, result in zip(item_ids, results, strict=True):
            item = held[item_id]
            if item is not None and item.item is not None and result == adapter_pb2.ACK_RESULT_ACKNOWLEDGED:
                _log_relayed(item.item.envelope, self.relay.member.name, item.message.metadata.num_delivered)
        return results

    async def shut(self) -> None:
        """The adapter stops: what it holds goes back to the bus, once every session has unsubscribed.

        A session's pumps leave pulls waiting on the server until their subscription is gone; a message given
        back before that goes straight to one of them, into a process that is stopping, and waits out the ack
        wait (a minute by default) before the next start sees it. The gRPC server's stop has cancelled the
        sessions, but it need not have run their clean-up yet: the stop closes them itself."""
        sessions = list(self.sessions)
        try:
            async with asyncio.timeout(SESSIONS_END_SECONDS):
                failed = [outcome for outcome in await asyncio.gather(*(session.close() for session in sessions),
                                                                      return_exceptions=True)
                          if isinstance(outcome, Exception)]
            for error in failed:  # what they held goes back all the same
                log.warning("inbox_session_close_failed", error=f"{type(error).__name__}: {error}")
        except TimeoutError:
            log.warning("inbox_sessions_not_closed", sessions=len(self.sessions), waited_seconds=SESSIONS_END_SECONDS)
        await self.held.close()
