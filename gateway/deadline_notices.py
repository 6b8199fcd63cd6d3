"""The gateway's deadline watcher on the bus: reminders (催办) and overdue notices to both sides.

Clocks start and stop as the projection sees cases cross borders and change
status; the watcher (pure, gateway/domain/watcher.py) says what is due; this
module publishes each event as an InformationShare on jjj.share.<to>.fed to the
case's origin and holder, signed with the federation's key. Envelope ids are deterministic, so a notice re-emitted
after a restart is dropped by JetStream's duplicate window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.bus.envelopes import case_step
from kernel.domain.casestate import CaseState, Referred, fold
from kernel.domain.watcher import DeadlineEvent, DeadlineWatcher, EventKind
from kernel.errors import DeadlineError
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.waiting import pause

log = structlog.get_logger(__name__)
FEDERATION_TOKEN = subjects.FEDERATION_TOKEN
KIND = {EventKind.REMINDER: envelope_pb2.DEADLINE_KIND_REMINDER, EventKind.OVERDUE: envelope_pb2.DEADLINE_KIND_OVERDUE}


@dataclass
class DeadlineNotifier:
    watcher: DeadlineWatcher
    js: JetStreamContext
    clock: Callable[[], datetime]
    signer: Signer | None = None
    # Each case's state, moved by the kernel's fold like the projection's and the adapters'.
    states: dict[str, CaseState] = field(default_factory=dict)
    _unsent: list[DeadlineEvent] = field(default_factory=list)
    _replayed: dict[str, int] = field(default_factory=dict)  # the status last replayed per case
    # (envelope id, receiver) -> when the receiver acknowledged it (the projection's receipts), for the
    # clocks counted from delivery whose receipt came before the referral, or before a restart.
    delivered_at: Callable[[str, int], datetime | None] | None = None
    # Told of each notice once published to every receiver (gateway.notice_ledger), so a restart does not repeat it.
    on_sent: Callable[[DeadlineEvent], None] | None = None

    def observe(self, envelope: envelope_pb2.Envelope) -> None:
        """Start and stop clocks from a bus message (called by the projector, in stream order)."""
        if envelope.HasField("receipt"):
            self._delivered(envelope.receipt)
            return
        step = case_step(envelope)
        if step is None:
            return
        before = self.states.get(step.case_id)
        after = fold(before, step)
        if after is before:
            return
        self.states[step.case_id] = after
        if isinstance(step, Referred):
            self._observe(after, envelope.sent_at.ToDatetime(tzinfo=UTC))
            return
        update = envelope.status_update
        at = (update.event.at if update.event.HasField("at") else envelope.sent_at).ToDatetime(tzinfo=UTC)
        if before is not None and before.status == after.status:
            # An event-only step (urging, a note, an extension, a hearing): it never restarts a clock.
            self._observe_event(after, update, at)
        else:
            self._observe(after, at)

    def _observe(self, state: CaseState, when: datetime) -> None:
        if state.attempt == 0:
            return  # a step whose referral was never seen (e.g. expired from the stream): nothing to time
        started = self.watcher.observe(state.case_id, state.status, when, kind=state.kind, urgency=state.urgency,
                                       procedure=state.procedure, jurisdiction=jurisdictions.by_enum(state.holder).name,
                                       assigned_due_at=state.due_at)
        if started and self.delivered_at is not None:
            delivered = self.delivered_at(subjects.case_envelope_id(state.case_id, state.flow, state.attempt), state.holder)
            if delivered is not None:
                self.watcher.delivered(state.case_id, delivered, state.due_at)

    def _delivered(self, receipt: envelope_pb2.Receipt) -> None:
        """The holder's receipt of the case's current referral: the clocks counted from delivery start at it."""
        state = self.states.get(receipt.case_id)
        if (state is None or state.attempt == 0 or receipt.receiver != state.holder
                or receipt.envelope_id != subjects.case_envelope_id(state.case_id, state.flow, state.attempt)):
            return  # another message's receipt, an earlier attempt's, or a referral not seen yet (then looked up)
        at = receipt.acknowledged_at.ToDatetime(tzinfo=UTC)
        for step in self.watcher.delivered(state.case_id, at, state.due_at):
            log.info("deadline_from_delivery", case_id=state.case_id, step=step, delivered_at=at.isoformat())

    def _observe_event(self, state: CaseState, update: envelope_pb2.StatusUpdate, when: datetime) -> None:
        if state.attempt == 0:
            return
        event = update.event
        self.watcher.observe_event(state.case_id, state.status, event.type, when, kind=state.kind, urgency=state.urgency,
                                   procedure=state.procedure, jurisdiction=jurisdictions.by_enum(state.holder).name)
        if event.type == case_pb2.EVENT_TYPE_EXTENSION:
            self._extend(state, update)

    def _extend(self, state: CaseState, update: envelope_pb2.StatusUpdate) -> None:
        extension = update.event.extension
        if self.watcher.deadline(state.case_id, extension.step) is None:
            log.warning("extension_of_no_running_clock", case_id=state.case_id, step=extension.step)
            return
        try:
            deadline = self.watcher.extend(state.case_id, extension.step, extension.amount)
        except DeadlineError as error:  # the holder's adapter checks first; this is a member bypassing it
            log.warning("extension_refused", case_id=state.case_id, step=extension.step, detail=str(error))
            return
        log.info("deadline_extended", case_id=state.case_id, step=extension.step, amount=extension.amount,
                 due_at=deadline.due_at.isoformat())

    def remember_case(self, state: CaseState) -> None:
        self.states[state.case_id] = state

    def replay_step(self, case_id: str, status: int, at: datetime, *, event_type: int = 0,
                    extension: tuple[str, int] | None = None) -> None:
        """Feed one step of a case's stored trail (rebuilding clocks after a restart), in order.
        A step repeating the status before it is event-only: it restarts nothing, and its event
        (an extension, a hearing, a reply delivered) moves the clocks as it did when it came."""
        state = self.states.get(case_id)
        if state is None:
            return
        replayed = dataclasses.replace(state, status=status)
        if self._replayed.get(case_id) != status:
            self._replayed[case_id] = status
            self._observe(replayed, at)
            return
        update = envelope_pb2.StatusUpdate(case_id=case_id, status=status, event=case_pb2.Event(type=event_type))
        if extension is not None:
            update.event.extension.step, update.event.extension.amount = extension
        if event_type:
            self._observe_event(replayed, update, at)

    async def tick(self) -> list[DeadlineEvent]:
        """Publish every notice due by now (and any that failed before); returns those sent."""
        pending, self._unsent = [*self._unsent, *self.watcher.due_events(self.clock())], []
        sent = []
        for event in pending:
            try:
                await self._publish(event)
            except jetstream.BusError:
                log.warning("deadline_notice_deferred", case_id=event.case_id, step=event.step)
                self._unsent.append(event)
                continue
            sent.append(event)
            self._record_sent(event)
        return sent

    def _record_sent(self, event: DeadlineEvent) -> None:
        if self.on_sent is None:
            return
        try:
            self.on_sent(event)
        except Exception:  # sent all the same; a restart may send it again (the bus drops it within 7 days)
            log.exception("deadline_notice_not_recorded", case_id=event.case_id, step=event.step)

    async def _publish(self, event: DeadlineEvent) -> None:
        state = self.states[event.case_id]
        notice = envelope_pb2.DeadlineNotice(
            case_id=event.case_id, step=event.step, kind=KIND[event.kind], provisional=event.provisional,
            limits_of=jurisdictions.by_name(event.jurisdiction).enum if event.jurisdiction else case_pb2.JURISDICTION_UNSPECIFIED,
            own_limits=event.own_limits, assigned_due=event.assigned)
        notice.due_at.FromDatetime(event.due_at)
        share = envelope_pb2.InformationShare(
            topic=envelope_pb2.SHARE_TOPIC_DEADLINE, classification=envelope_pb2.CLASSIFICATION_INTERNAL,
            title=f"{event.kind.value}: {event.step}", deadlines=[notice],
            audience=sorted({state.origin, state.holder}),
        )
        for destination in sorted({state.origin, state.holder}):
            member = jurisdictions.by_enum(destination)
            envelope = envelope_pb2.Envelope(
                envelope_id=f"{event.case_id}/deadline/{event.step}/{event.kind.value}/{int(event.due_at.timestamp())}/{member.token}",
                flow=envelope_pb2.FLOW_INFORMATION_SHARE, sender=case_pb2.JURISDICTION_UNSPECIFIED,
                destination=destination, information_share=share,
            )
            envelope.sent_at.GetCurrentTime()
            subject = subjects.federation_subject(envelope.flow, member)
            await jetstream.publish_envelope(self.js, subject, envelope, signer=self.signer)
        log.info("deadline_notice", case_id=event.case_id, step=event.step, kind=event.kind.value,
                 due_at=event.due_at.isoformat(), provisional=event.provisional)

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # keep the watcher alive; what failed to publish waits in _unsent
                log.exception("deadline_tick_failed")
            await pause(interval)
