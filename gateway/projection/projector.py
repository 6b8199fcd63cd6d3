"""Feeds the projection from every stream of the bus, resuming at the stored cursor.

The projection records, per stream, the last sequence it applied (in the same
transaction as the data), so a restart resumes exactly there and deleting the
database rebuilds it by replaying the streams from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext, api

from kernel.bus import jetstream, subjects
from kernel.bus.envelopes import case_id_of, subject_mismatch
from kernel.jurisdictions import display_name
from gateway.projection.store import ProjectionStore
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)


class Projector:
    def __init__(self, js: JetStreamContext, store: ProjectionStore, observers: list[Callable[[envelope_pb2.Envelope], None]] = ()) -> None:
        self.js = js
        self.store = store
        self.observers = list(observers)
        self.subscriptions: list = []

    async def start(self) -> None:
        for route in subjects.FLOW_ROUTES:
            start_at = self.store.cursor(route.stream) + 1
            config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start_at)
            subscription = await jetstream.ordered_subscribe(
                self.js, f"jjj.{route.token}.>", stream=route.stream, owner="projection", config=config, cb=self._on_message,
            )
            self.subscriptions.append(subscription)

    async def _on_message(self, message) -> None:
        meta = message.metadata
        envelope = envelope_pb2.Envelope.FromString(message.data)
        forged = subject_mismatch(message.subject, envelope)
        if forged:
            log.warning("envelope_refused", subject=message.subject, stream=meta.stream, stream_seq=meta.sequence.stream,
                        reason=forged)
            return
        observed = datetime.now(UTC)
        changed = self.store.apply(envelope, stream=meta.stream, stream_seq=meta.sequence.stream, observed_at=observed)
        if changed:
            for observe in self.observers:
                observe(envelope)
            sent = envelope.sent_at.ToDatetime(tzinfo=UTC)
            log.info("observed", case_id=case_id_of(envelope), flow=subjects.route_of(envelope.flow).token,
                     **{"from": display_name(envelope.sender), "to": display_name(envelope.destination)},
                     latency_ms=round((observed - sent).total_seconds() * 1000, 1))

    async def stop(self) -> None:
        for subscription in self.subscriptions:
            await subscription.unsubscribe()
        self.subscriptions.clear()
