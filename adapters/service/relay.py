"""An adapter's side of the bus: sending cases and lifecycle steps, tracking what comes back.

Transport-thin: mapping is the codec's, routing and record-keeping are pure
functions; this module only sequences them with the bus and the stores.

Sending a submitted document's cases (durable before acknowledged, through the
outbox) is adapters/service/sending.py, a base of AdapterRelay.

ReportStatus checks a step against the case as the member was told of it (the bus's
record with the case's queued messages folded in; it needs the bus for that, since the
counterpart may have taken a step this adapter only learns from the bus), then commits it
to the outbox with its answer and lets the drainer relay it in order, like a submission:
a crash between publishing and recording, or a retry after a lost acknowledgement, relays
the same envelope again instead of planning the step afresh with a step number the bus
already has (which left a case stuck, or its step taken twice). A first publish that
finds the number taken means the counterpart's report got there first: refused (ABORTED).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from datetime import UTC, datetime
from dataclasses import dataclass, field

import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from kernel.codec import Codec
from adapters.service import cohandling, records
from adapters.service.cohandling_log import CoHandlingLog
from adapters.service.guard import Guard
from adapters.service.inbound import InboundRecording
from adapters.service.quarantine import Quarantine
from adapters.service.drainer import Drainer
from adapters.service.recorded import RecordedOnce
from adapters.service.outbox import Answer, Outbox, Outgoing
from adapters.service.sending import CASE_FLOWS, CaseSending, KeyedLocks, now_timestamp
from adapters.service.sharing import Sharing, share_id_base, sketched_digest
from adapters.service.store import CaseStore
from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.observability import tracing
from kernel import limits as input_limits
from kernel.config import LimitSettings, OutboxSettings, TrackerSettings
from kernel.domain import emergency, events
from kernel.domain.sensitive import SensitiveRules
from kernel.domain.lifecycle import Lifecycle, StepFacts, TransitionError
from kernel.errors import (
    BusError, CaseNotFound, DocumentRejected, InvalidRequest, RequestIdReused, StepConflict, StepRefused,
)
from kernel.jurisdictions import Member
from kernel.security import envelopes as signed
from kernel.security.signing import Signer
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
Flow = envelope_pb2.Flow
# Where these were defined before kernel.errors and sending.py; still importable from here.
__all__ = ["CASE_FLOWS", "AdapterRelay", "DocumentRejected", "RelayError", "now_timestamp"]


# The name refusals had before kernel.errors: an invalid request.
RelayError = InvalidRequest


def _fingerprint(message) -> str:
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


@dataclass
class AdapterRelay(CaseSending, InboundRecording):
    member: Member
    codec: Codec
    nc: Client
    js: JetStreamContext
    cases: CaseStore
    outbox: Outbox
    quarantine: Quarantine
    sharing: Sharing
    signer: Signer
    guard: Guard
    lifecycle: Lifecycle = field(default_factory=Lifecycle.load)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    outbox_settings: OutboxSettings = field(default_factory=OutboxSettings)
    watch: jetstream.ConnectionWatch | None = None
    co_handling: CoHandlingLog | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _requests: KeyedLocks = field(default_factory=KeyedLocks)
    # Whether an entry's first publish found it on the bus already (a retry of ours would say so falsely).
    _first_acks: dict[int, bool] = field(default_factory=dict)
    # One step of a case planned at a time: its sequence comes from the record with the queued steps folded in.
    _case_steps: KeyedLocks = field(default_factory=KeyedLocks)
    # Status entries committed by this process and not yet tried: only there does "duplicate" mean
    # another report took the step number (after a failed try or a restart, it is our own earlier publish).
    _untried_steps: set[int] = field(default_factory=set)
    # The trace context of the call that committed each entry: the relay publishes in its own task, and the
    # referral stays one trace from SubmitDocument to the receiver (lost only if the adapter restarts between).
    _entry_traces: dict[int, object] = field(default_factory=dict)
    _recorded: RecordedOnce = field(default_factory=RecordedOnce)

    def __post_init__(self) -> None:
        self.drainer = Drainer(self.outbox, self._deliver, self.bus_up, self.outbox_settings, deliver_many=self._deliver_many)

    def bus_up(self) -> bool:
        return self.nc.is_connected and (self.watch is None or self.watch.connected)

    # -- submitting cases -------------------------------------------------

    async def _idempotent(self, method: str, request, handle, response_type, *, needs_bus: bool = True,
                          provisional: bool = False):
        """The first answer to a request_id is the answer to every retry of it (kept in the outbox's database).

        `handle(request, answer)` gets the answer to remember (its response still empty) when
        it wants to store a provisional one with what it commits; the final one replaces it.
        `provisional`: every answer `handle` returns was committed provisionally first, so the final
        one is written with the other answers of this turn of the event loop (one transaction for many
        calls); lost in a crash before then, the provisional one ("queued") is what a retry gets, and it
        is still true."""
        if needs_bus:
            jetstream.require_connected(self.nc)
        if not request.request_id:
            return await handle(request, None)
        fingerprint = _fingerprint(request)
        # Two concurrent calls with one request_id: the second waits and gets the first's answer.
        async with self._requests.hold((method, request.request_id)):
            remembered = self.outbox.recall(method, request.request_id)
            if remembered is not None:
                if remembered[0] != fingerprint:
                    raise RequestIdReused(f"request_id {request.request_id!r} was already used for a different {method} request",
                                          metadata={"requestId": request.request_id})
                return response_type.FromString(remembered[1])
            response = await handle(request, Answer(method, request.request_id, fingerprint, b""))
            final = Answer(method, request.request_id, fingerprint, response.SerializeToString())
            if provisional:
                self.outbox.remember_soon(final)
            else:
                self.outbox.remember(final)
            return response

    async def submit(self, request: adapter_pb2.SubmitDocumentRequest) -> adapter_pb2.SubmitDocumentResponse:
        return await self._idempotent("SubmitDocument", request, self._submit, adapter_pb2.SubmitDocumentResponse,
                                      needs_bus=False, provisional=True)

    async def start_outbox(self) -> None:
        """Relay what an earlier run left in the outbox, then every submission, in order."""
        await self.drainer.start(self.watch)

    # -- lifecycle steps --------------------------------------------------

    async def report_status(self, request: adapter_pb2.ReportStatusRequest) -> adapter_pb2.ReportStatusResponse:
        return await self._idempotent("ReportStatus", request, self._report_status, adapter_pb2.ReportStatusResponse,
                                      provisional=True)

    async def share(self, request: adapter_pb2.ShareInformationRequest) -> adapter_pb2.ShareInformationResponse:
        return await self._idempotent("ShareInformation", request, self._share, adapter_pb2.ShareInformationResponse)

    async def _share(self, request: adapter_pb2.ShareInformationRequest, _answer=None) -> adapter_pb2.ShareInformationResponse:
        try:
            audience = self.sharing.audience(request.audience)
        except jurisdictions.UnknownJurisdiction as error:
            raise InvalidRequest(str(error), violations=[("audience", str(error))]) from None
        if not audience:
            raise InvalidRequest("the audience names no other member jurisdiction", violations=[("audience", "empty")])
        response = adapter_pb2.ShareInformationResponse()
        share = envelope_pb2.InformationShare(topic=request.topic or envelope_pb2.SHARE_TOPIC_NOTICE,
                                              classification=request.classification, title=request.title, body=request.body)
        too_long = input_limits.check_texts({"title": request.title, "body": request.body}, self.limits)
        if too_long:
            raise InvalidRequest(f"{too_long[0][0]}: {too_long[0][1]}", violations=too_long)
        if request.HasField("emergency"):
            share.emergency.CopyFrom(emergency.prepared(request.emergency, self.member.enum, datetime.now(UTC)))
        if request.HasField("emergency_ack"):
            share.emergency_ack.CopyFrom(request.emergency_ack)
            share.emergency_ack.acknowledged_at.GetCurrentTime()
        if request.HasField("early_warning"):
            share.early_warning.CopyFrom(request.early_warning)
        audience = await cohandling.prepare(share, request, audience, self.cases, self.member, self.co_handling)
        if request.document.content:
            cases, rejected = self._decode_within_limits(request.document)
            response.rejections.extend(r.to_proto() for r in rejected)
            response.repeats.extend((await self.sharing.register(cases, request_id=request.request_id)).links)
            share.digests.extend(sketched_digest(case, self.sharing.secret) for case in cases
                                 if SensitiveRules.load().may_digest(case))
        ids = await self.sharing.publish(share, audience, id_base=share_id_base(self.member, request.request_id),
                                         request_id=request.request_id)
        response.envelope_ids.extend(ids)
        cohandling.sent(share, self.co_handling)
        log.info("information_shared", sender=self.member.name, topic=envelope_pb2.ShareTopic.Name(share.topic),
                 audience=",".join(m.name for m in audience), digests=len(share.digests))
        return response

    async def _report_status(self, request: adapter_pb2.ReportStatusRequest,
                             answer: Answer | None = None) -> adapter_pb2.ReportStatusResponse:
        async with self._case_steps.hold((request.case_id,)):
            return await self._report_step(request, answer)

    async def _report_step(self, request: adapter_pb2.ReportStatusRequest, answer: Answer | None) -> adapter_pb2.ReportStatusResponse:
        """Checked against the case as the member was told of it, then durable (outbox) before relayed, like a submission.

        The step, its record change and the answer to its request_id are one outbox commit: a
        crash between publishing and recording, or a retry after a lost acknowledgement, relays
        the same envelope again (deduplicated by its id) instead of planning the step afresh
        with a step number the bus already has."""
        # The case's own queued referral and earlier steps are folded in; the drainer relays in outbox order,
        # so this step cannot overtake them on the bus.
        record = await self._record_with_pending(request.case_id, local_if_away=False)
        if not records.is_known(record):
            raise CaseNotFound(f"{self.member.name} holds no cross-region case {request.case_id!r}",
                               metadata={"caseId": request.case_id})
        if request.status == case_pb2.STATUS_UNSPECIFIED:
            raise InvalidRequest("status is required", violations=[("status", "must be set")])
        too_long = input_limits.check_texts({"note": request.note, "reason": request.reason, "actor": request.actor}, self.limits)
        if too_long:
            raise InvalidRequest(f"{too_long[0][0]}: {too_long[0][1]}", violations=too_long)
        origin = jurisdictions.origin_of_case_id(request.case_id)
        is_origin, is_holder = origin.enum == self.member.enum, record.holder == self.member.enum
        try:
            pair = (origin.name, jurisdictions.by_enum(record.holder).name)
            self.lifecycle.check(record.case.status, request.status, kind=record.case.kind, actor_is_origin=is_origin,
                                 actor_is_holder=is_holder, reason=request.reason, facts=StepFacts.of(request, pair))
            SensitiveRules.load().check_status(record.case, request.status)
            events.check_timing(record.case.status, request.status, history=record.case.history, holder=pair[1],
                                at=request.at.ToDatetime(tzinfo=UTC) if request.HasField("at") else datetime.now(UTC))
            events.check_event(request.event_type, current=record.case.status, new=request.status, kind=record.case.kind,
                               is_holder=is_holder, reason=request.reason, history=record.case.history,
                               extension=request.extension if request.HasField("extension") else None)
        except TransitionError as error:
            raise StepRefused(str(error), violations=[("status", str(error))]) from None
        if request.status == case_pb2.STATUS_REPLIED and is_holder and self.co_handling is not None:
            cohandling.check_lead_reply(self.co_handling, request.case_id, self.member)
        counterpart = jurisdictions.by_enum(record.holder) if is_origin else origin
        if counterpart.enum == self.member.enum:
            raise StepRefused(f"{request.case_id} is held by {self.member.name} itself: nothing to tell another jurisdiction")
        update = envelope_pb2.StatusUpdate(
            case_id=request.case_id, sequence=record.sequence + 1, status=request.status,
            event=case_pb2.Event(at=request.at if request.HasField("at") else now_timestamp(),
                                 action=case_pb2.Status.Name(request.status), actor=request.actor, note=request.note,
                                 type=request.event_type,
                                 extension=request.extension if request.HasField("extension") else None),
            reason=request.reason, reporter=self.member.enum, return_reason=request.return_reason,
            closing=request.closing, merged_into=request.merged_into,
            coordination=request.coordination if request.HasField("coordination") else None,
        )
        if request.HasField("feedback"):
            update.feedback.CopyFrom(request.feedback)
        envelope = envelope_pb2.Envelope(
            envelope_id=subjects.case_envelope_id(request.case_id, Flow.FLOW_STATUS_UPDATE, update.sequence),
            flow=Flow.FLOW_STATUS_UPDATE, sender=self.member.enum, destination=counterpart.enum,
            sent_at=now_timestamp(), request_id=request.request_id, status_update=update,
        )
        outgoing = Outgoing(msg_id=envelope.envelope_id, case_id=request.case_id,
                            subject=subjects.subject(Flow.FLOW_STATUS_UPDATE, counterpart, self.member),
                            envelope=signed.sign(envelope, self.signer), register=False)
        response = adapter_pb2.ReportStatusResponse(case_id=request.case_id, status=request.status,
                                                    sequence=update.sequence, queued=True)
        provisional = dataclasses.replace(answer, response=response.SerializeToString()) if answer else None
        entry_ids = self.outbox.commit([outgoing], provisional, durable=False)
        # Before anything awaits: the drainer may take the entry from here on.
        self._untried_steps.update(entry_ids)
        self._entry_traces.update(dict.fromkeys(entry_ids, tracing.current_context()))
        try:
            results = await self._relayed_and_durable(entry_ids)
        except (BusError, StepConflict):
            if answer is not None:  # refused: a retry is planned afresh, not answered "queued"
                self.outbox.forget(answer.method, answer.request_id)
            raise
        if results is None:
            log.warning("status_queued", case_id=request.case_id, sequence=update.sequence, sender=self.member.name)
            return response
        response.queued = False
        return response

    async def _mutate(self, case_id: str, change, *, likely_new: bool = False):
        """Change a case's record; repeat matching learns the status it reached (a link names it)."""
        record, changed = await self.cases.mutate(case_id, change, likely_new=likely_new)
        self._note_status(case_id, record, changed)
        return record, changed

    async def _mutate_many(self, changes) -> list:
        """`_mutate` of several distinct cases in one batch (CaseStore.mutate_many); each outcome its own."""
        outcomes = await self.cases.mutate_many(changes)
        for (case_id, _, _), outcome in zip(changes, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                self._note_status(case_id, *outcome)
        return outcomes

    def _note_status(self, case_id: str, record, changed: bool) -> None:
        if changed and records.is_known(record):
            self.sharing.note_status(case_id, record.case.status)

    async def current_status(self, case_id: str) -> int | None:
        """The case's status as this adapter's record has it now (None: not a case it follows)."""
        record = await self.cases.get(case_id)
        return record.case.status if records.is_known(record) else None

    async def get_case(self, case_id: str) -> adapter_pb2.GetCaseResponse:
        jetstream.require_connected(self.nc)
        record = await self._record_with_pending(case_id, local_if_away=False)
        if not records.is_known(record):
            raise CaseNotFound(f"{self.member.name} knows no cross-region case {case_id!r}", metadata={"caseId": case_id})
        return record

    async def close(self) -> None:
        await self.drainer.stop()
        await self.sharing.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
