"""Member inboxes: JetStream messages for one jurisdiction, delivered until acknowledged.

Each open inbox stream is a session pulling from the jurisdiction's durable inbox
consumers (one per flow). An item's id is stable across redeliveries
(`<stream>:<stream sequence>`), so a member may acknowledge it in any session.
The JetStream message is acknowledged only after the member acknowledged the
item; a session that ends leaves its unacknowledged items to be delivered again
at once (nak), and JetStream's ack wait covers a crashed adapter.

A message reaches the member only once verified and allowed (AdapterRelay.admit:
else it is dead-lettered); when the member acknowledges it, the sender gets a
signed receipt.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, MsgAlreadyAckdError
from nats.js import JetStreamContext, api

from adapters.service import records
from adapters.service.relay import AdapterRelay
from kernel.bus import jetstream, subjects
from kernel.bus.envelopes import CASE_PAYLOADS, case_id_of
from kernel.config import InboxSettings
from kernel.jurisdictions import display_name
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
Flow = envelope_pb2.Flow
INBOX_FLOWS = tuple(route.flow for route in subjects.MEMBER_ROUTES)


@dataclass
class _Pending:
    message: Msg
    envelope: envelope_pb2.Envelope


@dataclass(eq=False)
class InboxSession:
    relay: AdapterRelay
    flows: Sequence[int]
    ack_wait: float
    limits: InboxSettings
    pending: dict[str, _Pending] = field(default_factory=dict)

    async def items(self) -> AsyncIterator[adapter_pb2.InboxItem]:
        """The inbox's items until the caller stops; opening it while the bus is away raises BusUnavailable.
        Once open, it outlasts a bus outage: the pumps wait for the connection to come back."""
        jetstream.require_connected(self.relay.nc)
        queue: asyncio.Queue[Msg] = asyncio.Queue(maxsize=self.limits.buffer)
        subscriptions: list[JetStreamContext.PullSubscription] = []
        tasks: list[asyncio.Task] = []
        try:
            with jetstream.bus_errors(f"opening the inbox of {self.relay.member.name}"):
                for flow in self.flows:
                    subscriptions.append(await self._subscribe(flow))
            tasks = [asyncio.create_task(self._pump(subscription, queue, self.limits.fetch_batch))
                     for subscription in subscriptions]
            tasks.append(asyncio.create_task(self._keep_pending_alive()))
            while True:
                message = await queue.get()
                item = await self._to_item(message)
                if item is not None:
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            while not queue.empty():
                await _nak(queue.get_nowait())
            for pending in self.pending.values():
                await _nak(pending.message)
            self.pending.clear()
            for subscription in subscriptions:
                await _unsubscribe(subscription)

    async def _subscribe(self, flow: int) -> JetStreamContext.PullSubscription:
        route = subjects.route_of(flow)
        config = api.ConsumerConfig(ack_wait=self.ack_wait, max_ack_pending=self.limits.max_ack_pending,
                                    deliver_policy=api.DeliverPolicy.ALL)
        return await jetstream.durable_pull(
            self.relay.js, subjects.inbox_filter(flow, self.relay.member),
            durable=subjects.durable_name(subjects.INBOX_PURPOSE, self.relay.member.token, flow),
            stream=route.stream,
            config=config,
        )

    @staticmethod
    async def _pump(subscription: JetStreamContext.PullSubscription, queue: asyncio.Queue[Msg], fetch_batch: int) -> None:
        while True:
            room = max(1, min(fetch_batch, queue.maxsize - queue.qsize()))
            try:
                messages = await jetstream.fetch_batch(subscription, batch=room, timeout=1.0)
            except ConnectionClosedError:
                return  # shutting down
            for message in messages:
                await queue.put(message)

    async def _to_item(self, message: Msg) -> adapter_pb2.InboxItem | None:
        meta = message.metadata
        item_id = f"{meta.stream}:{meta.sequence.stream}"
        if item_id in self.pending:
            # Redelivered while the member still holds it: keep the newest handle, do not send twice.
            self.pending[item_id].message = message
            return None
        # Read your inbox: the adapter's own record shows a step before its member sees it.
        envelope = await self.relay.admit(message)
        if envelope is None:
            return None
        item = adapter_pb2.InboxItem(item_id=item_id, envelope=envelope, delivery_count=meta.num_delivered)
        if envelope.WhichOneof("payload") in CASE_PAYLOADS:
            case = records.case_of(envelope).case
            item.native.CopyFrom(adapter_pb2.NativeDocument(
                content=self.relay.codec.encode([case]),
                format=self.relay.member.document_format,
                filename=f"{case.native_id}.{self.relay.codec.extension}",
            ))
        self.pending[item_id] = _Pending(message, envelope)
        return item

    async def _keep_pending_alive(self) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.ack_wait / 3))
            for pending in list(self.pending.values()):
                try:
                    await pending.message.in_progress()
                except Exception:  # the message may have been acked meanwhile
                    pass

    async def acknowledge(self, item_id: str) -> bool:
        pending = self.pending.get(item_id)
        if pending is None:
            return False
        # The receipt first: if the ack is lost, the redelivered item's receipt is the same message (deduplicated).
        # The ack is synchronous, so the receipt before it has reached the server too.
        try:
            await self.relay.send_receipt(pending.envelope, pending.message.data)
        except Exception:  # the member's acknowledgement stands; the missing receipt is logged
            log.exception("receipt_not_sent", envelope_id=pending.envelope.envelope_id)
        # Still pending until the bus took the ack, so a member whose ack failed can send it again.
        jetstream.require_connected(self.relay.nc)
        with jetstream.bus_errors(f"acknowledging {item_id}"):
            try:
                await pending.message.ack_sync(timeout=10)
            except MsgAlreadyAckdError:
                return False  # a concurrent acknowledgement of the same item took it
        self.pending.pop(item_id, None)
        _log_relayed(pending.envelope, self.relay.member.name, pending.message.metadata.num_delivered)
        return True


async def _unsubscribe(subscription: JetStreamContext.PullSubscription) -> None:
    try:
        await subscription.unsubscribe()
    except Exception:  # connection gone: the subscription went with it
        pass


async def _nak(message: Msg) -> None:
    try:
        await message.nak()
    except Exception:  # connection gone: JetStream's ack wait redelivers it anyway
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
    """All open inbox sessions of one adapter, so any of them can take an acknowledgement."""

    def __init__(self, relay: AdapterRelay, ack_wait: float, limits: InboxSettings | None = None) -> None:
        self.relay = relay
        self.ack_wait = ack_wait
        self.limits = limits or InboxSettings()
        self.sessions: set[InboxSession] = set()

    def open(self, flows: Sequence[int]) -> InboxSession:
        wanted = [flow for flow in flows if flow in INBOX_FLOWS] or list(INBOX_FLOWS)
        session = InboxSession(self.relay, wanted, self.ack_wait, self.limits)
        self.sessions.add(session)
        return session

    def close(self, session: InboxSession) -> None:
        self.sessions.discard(session)

    async def acknowledge(self, item_id: str) -> bool:
        for session in list(self.sessions):
            if await session.acknowledge(item_id):
                return True
        return False
