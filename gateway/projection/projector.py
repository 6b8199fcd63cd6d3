"""Feeds the projection from every stream of the bus, resuming at the stored cursor.

The projection records, per stream, the last sequence it applied (in the same
transaction as the data), so a restart resumes exactly there and deleting the
database rebuilds it by replaying the streams from the start. A message whose
signature or sender does not check out, or whose sender may not send it as far as
the projection can tell (kernel.security.admission: a referral of another's case, a
step by a party that neither holds the case nor registered it, a step the lifecycle
refuses), is not projected; the audit log records it, the receiving adapter
dead-letters it. What the projection cannot judge yet (a step before its referral)
is projected as before: the fold is order-tolerant.

Messages are applied in one transaction per batch (what arrives within `FLUSH_SECONDS` of the
first), committed together with the cursor: the commit's fsync was most of the gateway's time
at volume. A crash loses at most the uncommitted batch, replayed from the cursor at the restart
(the consumers are ordered ones: nothing was acknowledged).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from kernel.bus import bundles, subjects
from kernel.bus.envelopes import case_id_of
from kernel.domain.lifecycle import Lifecycle
from kernel.security.admission import authorize
from kernel.jurisdictions import display_name
from kernel.security.envelopes import Refusal, VerificationCache
from gateway.feed import BusFeed
from gateway.observe import projected as keep_trace
from gateway.projection.store import ProjectionStore
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
FLUSH_SECONDS = 0.05


class Projector:
    def __init__(self, store: ProjectionStore, verifier: VerificationCache,
                 observers: list[Callable[[envelope_pb2.Envelope], None]] = ()) -> None:
        self.store = store
        self.verifier = verifier
        self.lifecycle = Lifecycle.load()
        self.observers = list(observers)
        self._flush_due: asyncio.TimerHandle | None = None

    def read_from(self, feed: BusFeed) -> None:
        """Register on the gateway's feed (started by the caller once every reader is on it)."""
        if hasattr(self.store, "flush"):
            self.store.batching = True
        # Receipts too: a referral's delivery time starts the clocks counted from delivery.
        for route in (*subjects.MEMBER_ROUTES, subjects.route_of(envelope_pb2.FLOW_RECEIPT)):
            feed.read(route.stream, start_seq=self.store.cursor(route.stream) + 1,
                      subject=f"jjj.{route.token}.>", on_message=self._on_message)

    async def _on_message(self, message) -> None:
        # A bundle's envelopes (kernel.bus.bundles) are projected one by one, in the same batch: nothing awaits between.
        for part, data in enumerate(bundles.envelopes_of(message)):
            self._project(message, data, part)

    def _project(self, message, data: bytes, part: int) -> None:
        meta = message.metadata
        checked = self.verifier.verify(data, message.subject, receiver=None, published_at=meta.timestamp,
                                       stream=meta.stream, sequence=meta.sequence.stream, part=part)
        if isinstance(checked, Refusal):
            log.warning("not_projected", subject=message.subject, reason=checked.reason_name, detail=checked.detail,
                        stream=meta.stream, stream_seq=meta.sequence.stream)
            return
        envelope = checked.envelope
        case_id = case_id_of(envelope)
        if case_id:
            refusal = authorize(envelope, self.store.case_state(case_id), self.lifecycle, judge_applied=False)
            if refusal is not None and refusal.final:
                log.warning("not_projected", subject=message.subject, reason=refusal.reason_name, detail=refusal.detail,
                            case_id=case_id, stream=meta.stream, stream_seq=meta.sequence.stream)
                return
        observed = datetime.now(UTC)
        changed = self.store.apply(envelope, stream=meta.stream, stream_seq=meta.sequence.stream, observed_at=observed)
        keep_trace(getattr(self.store, "db", None), envelope, message.headers)  # in the same batch's transaction
        if getattr(self.store, "batching", False) and self._flush_due is None:
            self._flush_due = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)
        if changed:
            for observe in self.observers:
                observe(envelope)
            sent = envelope.sent_at.ToDatetime(tzinfo=UTC)
            log.info("observed", case_id=case_id_of(envelope), flow=subjects.route_of(envelope.flow).token,
                     **{"from": display_name(envelope.sender), "to": display_name(envelope.destination)},
                     latency_ms=round((observed - sent).total_seconds() * 1000, 1))

    def _flush(self) -> None:
        self._flush_due = None
        try:
            self.store.flush()
        except Exception:  # the batch stays open and is committed with the next one
            log.exception("projection_flush_failed")

    async def stop(self) -> None:
        """After the feed stopped: what is applied and not yet committed is committed."""
        if self._flush_due is not None:
            self._flush_due.cancel()
        self._flush()
