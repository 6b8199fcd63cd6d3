"""The gateway's deadline watcher on the bus: reminders (催办) and overdue notices to both sides.

Clocks start and stop as the projection sees cases cross borders and change
status; the watcher (pure, gateway/domain/watcher.py) says what is due; this
module publishes each event as an InformationShare on jjj.share.<to>.fed to the
case's origin and holder. Envelope ids are deterministic, so a notice re-emitted
after a restart is dropped by JetStream's duplicate window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from google.protobuf import timestamp_pb2
from nats.js import JetStreamContext

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.domain.watcher import DeadlineEvent, DeadlineWatcher, EventKind
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
FEDERATION_TOKEN = "fed"
KIND = {EventKind.REMINDER: envelope_pb2.DEADLINE_KIND_REMINDER, EventKind.OVERDUE: envelope_pb2.DEADLINE_KIND_OVERDUE}


@dataclass
class _CaseFacts:
    origin: int
    holder: int
    kind: int
    urgency: int


@dataclass
class DeadlineNotifier:
    watcher: DeadlineWatcher
    js: JetStreamContext
    clock: Callable[[], datetime]
    facts: dict[str, _CaseFacts] = field(default_factory=dict)
    _unsent: list[DeadlineEvent] = field(default_factory=list)

    def observe(self, envelope: envelope_pb2.Envelope) -> None:
        """Start and stop clocks from a bus message (called by the projector, in stream order)."""
        payload = envelope.WhichOneof("payload")
        if payload in ("referral", "hotline_transfer"):
            body = getattr(envelope, payload)
            self.facts[body.case.case_id] = _CaseFacts(body.case.origin, envelope.destination, body.case.kind, body.case.urgency)
            self._observe(body.case.case_id, case_pb2.STATUS_REFERRED, envelope.sent_at)
        elif payload == "status_update":
            update = envelope.status_update
            facts = self.facts.get(update.case_id)
            if facts is not None and update.status == case_pb2.STATUS_REGISTERED:
                facts.holder = facts.origin
            self._observe(update.case_id, update.status, update.event.at if update.event.HasField("at") else envelope.sent_at)

    def _observe(self, case_id: str, status: int, at: timestamp_pb2.Timestamp) -> None:
        facts = self.facts.get(case_id)
        if facts is None:
            return  # a step whose referral was never seen (e.g. expired from the stream): nothing to time
        when = at.ToDatetime(tzinfo=UTC)
        self.watcher.observe(case_id, status, when, kind=facts.kind, urgency=facts.urgency,
                             jurisdiction=jurisdictions.by_enum(facts.holder).name)

    def remember_case(self, case_id: str, *, origin: int, holder: int, kind: int, urgency: int) -> None:
        self.facts[case_id] = _CaseFacts(origin, holder, kind, urgency)

    def replay_step(self, case_id: str, status: int, at: datetime) -> None:
        """Feed one step of a case's stored trail (rebuilding clocks after a restart)."""
        facts = self.facts.get(case_id)
        if facts is not None:
            self.watcher.observe(case_id, status, at, kind=facts.kind, urgency=facts.urgency,
                                 jurisdiction=jurisdictions.by_enum(facts.holder).name)

    async def tick(self) -> list[DeadlineEvent]:
        """Publish every notice due by now (and any that failed before); returns those sent."""
        pending, self._unsent = [*self._unsent, *self.watcher.due_events(self.clock())], []
        sent = []
        for event in pending:
            try:
                await self._publish(event)
                sent.append(event)
            except jetstream.BusError:
                log.warning("deadline_notice_deferred", case_id=event.case_id, step=event.step)
                self._unsent.append(event)
        return sent

    async def _publish(self, event: DeadlineEvent) -> None:
        facts = self.facts[event.case_id]
        notice = envelope_pb2.DeadlineNotice(case_id=event.case_id, step=event.step, kind=KIND[event.kind],
                                             provisional=event.provisional)
        notice.due_at.FromDatetime(event.due_at)
        share = envelope_pb2.InformationShare(
            topic=envelope_pb2.SHARE_TOPIC_DEADLINE, classification=envelope_pb2.CLASSIFICATION_INTERNAL,
            title=f"{event.kind.value}: {event.step}", deadlines=[notice],
            audience=sorted({facts.origin, facts.holder}),
        )
        for destination in sorted({facts.origin, facts.holder}):
            member = jurisdictions.by_enum(destination)
            envelope = envelope_pb2.Envelope(
                envelope_id=f"{event.case_id}/deadline/{event.step}/{event.kind.value}/{int(event.due_at.timestamp())}/{member.token}",
                flow=envelope_pb2.FLOW_INFORMATION_SHARE, sender=case_pb2.JURISDICTION_UNSPECIFIED,
                destination=destination, information_share=share,
            )
            envelope.sent_at.GetCurrentTime()
            subject = f"jjj.{subjects.route_of(envelope.flow).token}.{member.token}.{FEDERATION_TOKEN}"
            await jetstream.publish_envelope(self.js, subject, envelope)
        log.info("deadline_notice", case_id=event.case_id, step=event.step, kind=event.kind.value,
                 due_at=event.due_at.isoformat(), provisional=event.provisional)

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # keep the watcher alive; what failed to publish waits in _unsent
                log.exception("deadline_tick_failed")
            await asyncio.sleep(interval)
