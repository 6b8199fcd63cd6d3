"""What an adapter tells Prometheus and the trace files (kernel.observability), kept out of the relay's code.

The relay, the inbox and the servicer call one function here at each point worth
counting; this module knows the labels (flow token, jurisdiction names, reasons:
bounded, never a case id) and the span names:

- `SubmitDocument` / `ReportStatus` / `ShareInformation` (server spans, continuing the
  member's traceparent), whose publish carries the context in the NATS headers;
- `inbox.deliver` when an item is first shown (an instant span), `inbox.acknowledge` when the member
  acknowledges it, both continuing the trace of the message's headers.

Inbox lag: every few seconds the adapter reads its inbox consumers (pending +
unacknowledged, the ack floor); the oldest pending age is the publish time of the first
message above the ack floor, as the state tracker saw it (the adapter may not read the
flow streams directly, and the tracker reads the same messages).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.config import Settings
from kernel.jurisdictions import Member
from kernel.observability import metrics, tracing
from jjj.bus.v1 import envelope_pb2
from kernel.waiting import pause

log = structlog.get_logger(__name__)
LAG_SAMPLE_SECONDS = 5.0
# Publish times remembered per stream for the oldest-pending age (older ones fall off first).
MAX_SEEN_PER_STREAM = 100_000


def process_name(member: Member | str) -> str:
    name = member if isinstance(member, str) else member.name
    return f"adapter-{name}"


def _flow(envelope: envelope_pb2.Envelope) -> str:
    return subjects.route_of(envelope.flow).token


def _name(value: int) -> str:
    return jurisdictions.display_name(value) if value else "federation"


def envelope_attributes(envelope: envelope_pb2.Envelope) -> dict[str, str]:
    # Ids and routing only: a case id names no citizen; the case's content never goes into a span.
    return {"jjj.flow": _flow(envelope), "jjj.sender": _name(envelope.sender),
            "jjj.receiver": _name(envelope.destination), "jjj.envelope_id": envelope.envelope_id}


def server_span(member: Member, rpc: str, context):
    """The span of one gRPC call of `member`'s adapter, continuing the caller's traceparent."""
    metadata = context.invocation_metadata() if context is not None else None
    return tracing.server_span(process_name(member), rpc, metadata, {"rpc.method": rpc, "jjj.jurisdiction": member.name})


def published(envelope: envelope_pb2.Envelope) -> None:
    metrics.record_relayed("published", _flow(envelope), _name(envelope.sender), _name(envelope.destination))


def mapping_rejected(member: Member, count: int) -> None:
    metrics.record_rejection(member.name, "MAPPING_REJECTED", count)


def mark_delivered(member: Member, headers, envelope: envelope_pb2.Envelope) -> None:
    """The moment the item was first shown, in the message's trace (an instant span: nothing runs inside it)."""
    tracing.instant_span(process_name(member), "inbox.deliver", tracing.context_from_headers(headers),
                         envelope_attributes(envelope))


def delivered(member: Member, envelope: envelope_pb2.Envelope) -> None:
    metrics.record_relayed("delivered", _flow(envelope), _name(envelope.sender), member.name)


def acknowledge_span(member: Member, headers, envelope: envelope_pb2.Envelope | None, context=None):
    metadata = context.invocation_metadata() if context is not None else None
    attributes = envelope_attributes(envelope) if envelope is not None else {}
    return tracing.message_span(process_name(member), "inbox.acknowledge", headers, attributes, link_metadata=metadata)


def acknowledged(member: Member, envelope: envelope_pb2.Envelope) -> None:
    flow, sender = _flow(envelope), _name(envelope.sender)
    metrics.record_relayed("acknowledged", flow, sender, member.name)
    if envelope.HasField("sent_at"):
        metrics.record_latency(flow, sender, member.name, envelope.sent_at.ToDatetime(tzinfo=UTC))


def dead_lettered(member: Member, reason: int) -> None:
    try:
        name = envelope_pb2.DeadLetterReason.Name(reason)
    except ValueError:
        name = "DEAD_LETTER_REASON_UNKNOWN"
    metrics.record_dead_letter(member.name, name.removeprefix("DEAD_LETTER_REASON_"))


# -- inbox lag ------------------------------------------------------------------------------

_SEEN: dict[tuple[str, str], OrderedDict[int, datetime]] = {}


def saw(member: Member, message) -> None:
    """The state tracker read `message` (addressed to `member`): remember when it was published."""
    try:
        meta = message.metadata
    except Exception:  # not a JetStream message
        return
    seen = _SEEN.setdefault((member.token, meta.stream), OrderedDict())
    seen[meta.sequence.stream] = meta.timestamp
    while len(seen) > MAX_SEEN_PER_STREAM:
        seen.popitem(last=False)


def oldest_above(member: Member, stream: str, ack_floor: int) -> datetime | None:
    seen = _SEEN.get((member.token, stream))
    if not seen:
        return None
    for sequence in [s for s in seen if s <= ack_floor]:
        del seen[sequence]
    return min(seen.values(), default=None)


async def sample_inbox(js: JetStreamContext, member: Member, now: datetime | None = None) -> tuple[int, float]:
    """Set the member's inbox gauges from its consumers; (pending, oldest pending age in seconds)."""
    now = now or datetime.now(UTC)
    pending, oldest = 0, None
    for route in subjects.MEMBER_ROUTES:
        durable = subjects.durable_name(subjects.INBOX_PURPOSE, member.token, route.flow)
        try:
            info = await js.consumer_info(route.stream, durable, timeout=2.0)
        except Exception:  # not opened yet, or the bus is away: the last values stand
            continue
        waiting = (info.num_pending or 0) + (info.num_ack_pending or 0)
        pending += waiting
        if waiting:
            first = oldest_above(member, route.stream, info.ack_floor.stream_seq if info.ack_floor else 0)
            if first is not None:
                oldest = first if oldest is None else min(oldest, first)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None and pending else 0.0
    metrics.INBOX_PENDING.labels(member.name).set(pending)
    metrics.INBOX_OLDEST.labels(member.name).set(age)
    return pending, age


async def _sample_forever(js: JetStreamContext, member: Member, every: float, running: Callable[[], bool]) -> None:
    while running():
        try:
            await sample_inbox(js, member)
        except Exception:  # a scrape shows the last values; the next round tries again
            log.warning("inbox_lag_sample_failed", jurisdiction=member.name)
        await pause(every)


class AdapterObservability:
    """Started with the adapter: its trace file, its metrics port, the inbox-lag sampler."""

    def __init__(self, member: Member, settings: Settings) -> None:
        self.member = member
        self.settings = settings.observability
        self.data_dir = settings.data_dir
        self.task: asyncio.Task | None = None
        self.port: int | None = None
        self.stopped = False

    def start(self, js: JetStreamContext) -> None:
        if self.settings.traces_enabled:
            tracing.configure(process_name(self.member), self.data_dir, max_bytes=self.settings.traces_max_bytes)
        self.port = metrics.serve(self.settings.metrics_port)
        self.task = asyncio.create_task(_sample_forever(js, self.member, LAG_SAMPLE_SECONDS, lambda: not self.stopped),
                                        name=f"inbox-lag-{self.member.token}")

    async def stop(self) -> None:
        self.stopped = True
        await stop_task(self.task)
        tracing.flush(process_name(self.member))


async def stop_task(task: asyncio.Task | None, grace: float = 3.0) -> None:
    """Cancel and wait a little: 3.11's wait_for (inside nats-py's requests) may swallow a cancellation,
    so the task also checks a stop flag; it is never awaited without a bound."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait({task}, timeout=grace)
