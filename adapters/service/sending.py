"""The sending half of an adapter's relay: a submitted document's cases, planned, committed to the
outbox and relayed (AdapterRelay derives from CaseSending; the fields it uses are AdapterRelay's).

Durable before acknowledged: a submission's cases are written to the local outbox
(adapters/service/outbox.py) in one transaction with the answer to its request_id, then
relayed by the drainer (adapters/service/drainer.py), which publishes every case this
adapter sends, in outbox order. The member's answer waits for its cases while the relay
makes progress; if the bus is away or an entry still fails after the bounded retries, it
is OK with `queued = true`: the cases are on disk and will be relayed (after a restart
too), deduplicated by their Nats-Msg-Id. Planning a submission needs the case's record:
the bus's key-value bucket, or while the bus is away the outbox's copy of it, with the
case's still-queued steps folded in. Repeat detection (digests, links) for a queued case
happens when it is relayed; its answer then carries no repeat links.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from google.protobuf import timestamp_pb2

from adapters.registry import codec_for_format
from adapters.service import observe, records
from adapters.service.outbox import Answer, Entry, Outgoing
from adapters.service.sharing import RepeatLinks
from kernel import jurisdictions
from kernel import limits as input_limits
from kernel.bus import jetstream, subjects
from kernel.bus.batch_publish import Publication, publish_many
from kernel.observability import tracing
from kernel.codec import Codec, Rejected, split_outcomes
from kernel.domain.routing import AlreadyOut, Route, plan_attempt, plan_route
from kernel.domain.lifecycle import TransitionError
from kernel.errors import (
    BusError, BusUnavailable, DocumentRejected, InvalidRequest, StepConflict, StepRefused, UnsupportedDocumentFormat,
)
from kernel.security import envelopes as signed
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
Flow = envelope_pb2.Flow
CASE_FLOWS = (Flow.FLOW_REFERRAL, Flow.FLOW_HOTLINE_TRANSFER)
BUCKET_RETRY_SECONDS = 15.0
READS_AT_ONCE = 256


def _format_name(document_format: int) -> str:
    try:
        return adapter_pb2.DocumentFormat.Name(document_format)
    except ValueError:
        return f"document format {document_format}"


def now_timestamp() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC))
    return stamp


@dataclass(frozen=True, slots=True)
class Delivered:
    """What relaying one outbox entry told: whether the bus had it already, the repeat links found."""

    duplicate: bool
    repeats: RepeatLinks


class KeyedLocks:
    """One asyncio lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple):
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class CaseSending:
    """Submitting documents; mixed into AdapterRelay."""

    # Until when (event loop time) submissions plan with the outbox's copy of records: the bucket failed to answer.
    _bucket_away_until: float = 0.0

    async def _submit(self, request: adapter_pb2.SubmitDocumentRequest,
                      answer: Answer | None) -> adapter_pb2.SubmitDocumentResponse:
        # On its way to the relay until committed: the drainer lingers for it while others are relayed.
        with self.drainer.on_its_way():
            response, outgoing, sent = await self._planned(request)
            entry_ids = self._committed(response, outgoing, sent, answer)
        return await self._relayed(response, sent, entry_ids, answer)

    async def _planned(self, request: adapter_pb2.SubmitDocumentRequest) -> tuple[
            adapter_pb2.SubmitDocumentResponse, list[Outgoing], list[adapter_pb2.Submission]]:
        """The document decoded and each case planned: the answer so far, what goes out, and the submissions it answers."""
        document = request.document
        flow = request.flow or Flow.FLOW_REFERRAL
        if flow not in CASE_FLOWS:
            raise InvalidRequest(f"flow must be FLOW_REFERRAL or FLOW_HOTLINE_TRANSFER, not {Flow.Name(flow)}",
                                 violations=[("flow", "must be FLOW_REFERRAL or FLOW_HOTLINE_TRANSFER")])
        cases, rejected = self._decode_within_limits(document)
        response = adapter_pb2.SubmitDocumentResponse()
        outgoing: list[Outgoing] = []
        sent: list[adapter_pb2.Submission] = []  # the submissions `outgoing` answers, in its order
        routed = []
        for case in cases:
            route = plan_route(case, self.member, request.destination)
            if isinstance(route, Rejected):
                rejected.append(route)
            else:
                routed.append((case, route))
        for (case, route), existing in zip(routed, await self._records_of(case for case, _ in routed), strict=True):
            submission, message = self._prepare_case(case, route, flow, request, existing)
            response.submissions.append(submission)
            if message is not None:
                outgoing.append(message)
                sent.append(response.submissions[-1])
        for rejection in rejected:
            quarantine_id = self.quarantine.keep(
                rejection, filename=document.filename, document=document.content, request_id=request.request_id
            )
            response.rejections.append(rejection.to_proto(quarantine_id))
            log.warning("document_rejected", jurisdiction=self.member.name, row=rejection.row, field=rejection.field,
                        reason=rejection.reason, quarantine_id=quarantine_id)
        observe.mapping_rejected(self.member, len(response.rejections))
        if not response.submissions and response.rejections:
            first = response.rejections[0]
            raise DocumentRejected(
                f"no case could be sent ({len(response.rejections)} rejected); first: {first.field}: {first.reason}",
                violations=[(r.field, r.reason) for r in response.rejections],
            )
        return response, outgoing, sent

    def _committed(self, response: adapter_pb2.SubmitDocumentResponse, outgoing: list[Outgoing],
                   sent: list[adapter_pb2.Submission], answer: Answer | None) -> list[int]:
        """The cases and the answer "queued" in one transaction (not yet fsynced: `_relayed` waits for that)."""
        for submission in sent:
            submission.queued = True
        provisional = dataclasses.replace(answer, response=response.SerializeToString()) if answer else None
        entry_ids = self.outbox.commit(outgoing, provisional, durable=False)
        self._entry_traces.update(dict.fromkeys(entry_ids, tracing.current_context()))
        return entry_ids

    async def _relayed(self, response: adapter_pb2.SubmitDocumentResponse, sent: list[adapter_pb2.Submission],
                       entry_ids: list[int], answer: Answer | None) -> adapter_pb2.SubmitDocumentResponse:
        """Committed cases relayed if the bus takes them in time, and on the disk: the answer, told what became of each."""
        try:
            results = await self._relayed_and_durable(entry_ids)
        except BusError:
            # The bus refused a case for good: the member is told so, and a retry is planned afresh
            # (what did go out is then a duplicate) rather than answered "queued".
            if answer is not None:
                self.outbox.forget(answer.method, answer.request_id)
            raise
        if not entry_ids:
            return response
        if results is None:
            log.warning("submission_queued", jurisdiction=self.member.name, cases=len(entry_ids),
                        first_entry=entry_ids[0], bus_up=self.bus_up())
            return response
        for submission, delivered in zip(sent, results, strict=True):
            submission.queued = False
            submission.duplicate = delivered.duplicate
            submission.repeats.extend(delivered.repeats.links)
            submission.repeats_omitted = delivered.repeats.omitted
        return response

    async def _relayed_and_durable(self, entry_ids: list[int]) -> list | None:
        """Entries just committed with `durable=False` (nothing awaited since): relayed if the bus takes
        them within the answer wait, and on the disk, before the answer. What each delivery returned, or
        None (they stay queued); an entry refused for good raises (nothing is answered then).

        The relay goes first and the fsync is waited for after it: the drainer starts one fsync for
        each batch it relays (`Outbox.sync_soon`), so the calls of a batch share it instead of
        starting one each as they commit. A power loss between the relay and the fsync undoes only our
        record of it: a retry is deduplicated by the bus."""
        self.drainer.expect(entry_ids)
        mark = self.outbox.written()
        if not entry_ids:
            await self.outbox.durable(mark)
            return []
        self.drainer.wake()
        if not self.bus_up():
            self.drainer.release(entry_ids)
            await self.outbox.durable(mark)
            return None
        results = await self.drainer.wait_for(entry_ids, self.outbox_settings.answer_wait_seconds)
        await self.outbox.durable(mark)
        return results

    async def _deliver(self, entry: Entry) -> Delivered:
        """Finish sending one outbox entry; every step may be done again (after a retry or a crash)."""
        envelope = envelope_pb2.Envelope.FromString(entry.envelope)
        untried = entry.id in self._untried_steps
        self._untried_steps.discard(entry.id)
        with tracing.within(self._entry_traces.get(entry.id)):
            ack = await jetstream.publish_bytes(self.js, entry.subject, entry.envelope, msg_id=entry.msg_id,
                                                content_type=jetstream.ENVELOPE_CONTENT_TYPE)
        self._entry_traces.pop(entry.id, None)
        if envelope.HasField("status_update"):
            return await self._recorded_step(entry, envelope, duplicate=bool(ack.duplicate), untried=untried)
        duplicate = await self._record_sent(entry, envelope, ack)
        repeats = RepeatLinks([], 0)
        if entry.register:
            repeats = await self.sharing.register([records.case_of(envelope).case], request_id=envelope.request_id)
        self._first_acks.pop(entry.id, None)
        return Delivered(duplicate, repeats)

    async def _deliver_many(self, entries: list[Entry]) -> list[Delivered | BaseException]:
        """`_deliver` for a batch of entries of distinct cases: published together (acks awaited once),
        records updated concurrently, repeat digests matched in order and shared in one message per member.
        Each entry's outcome is its own: a failed one is retried alone by the drainer."""
        untried = [entry.id in self._untried_steps for entry in entries]
        self._untried_steps.difference_update(entry.id for entry in entries)
        acks = await publish_many(self.js, [Publication(entry.subject, entry.envelope, entry.msg_id,
                                                        jetstream.ENVELOPE_CONTENT_TYPE,
                                                        trace=self._entry_traces.get(entry.id))
                                            for entry in entries])
        for entry, ack in zip(entries, acks, strict=True):
            if not isinstance(ack, BaseException):
                self._entry_traces.pop(entry.id, None)
        envelopes = [envelope_pb2.Envelope.FromString(entry.envelope) for entry in entries]

        async def record_step(entry: Entry, envelope: envelope_pb2.Envelope, ack, untried: bool) -> Delivered:
            return await self._recorded_step(entry, envelope, duplicate=bool(ack.duplicate), untried=untried)

        outcomes: list = [ack if isinstance(ack, BaseException) else None for ack in acks]
        steps, sent = [], []  # the published entries: lifecycle steps, and cases
        for n, envelope in enumerate(envelopes):
            if outcomes[n] is None:
                (steps if envelope.HasField("status_update") else sent).append(n)
        # The cases' records in one batch of compare-and-sets (no task each); the rarer steps concurrently.
        recorded = await asyncio.gather(
            self._record_sent_many([(entries[n], envelopes[n], acks[n]) for n in sent]),
            *(record_step(entries[n], envelopes[n], acks[n], untried[n]) for n in steps), return_exceptions=True)
        if isinstance(recorded[0], BaseException):
            recorded[0] = [recorded[0]] * len(sent)
        for n, outcome in zip(sent, recorded[0], strict=True):
            outcomes[n] = outcome
        for n, outcome in zip(steps, recorded[1:], strict=True):
            outcomes[n] = outcome
        registering = [n for n, (entry, outcome) in enumerate(zip(entries, outcomes, strict=True))
                       if entry.register and not isinstance(outcome, BaseException | Delivered)]
        links: dict[int, RepeatLinks] = {}
        if registering:
            try:
                found = await self.sharing.register_many([records.case_of(envelopes[n]).case for n in registering],
                                                         request_ids=[envelopes[n].request_id for n in registering])
                links = dict(zip(registering, found, strict=True))
            except BusError as error:  # published and recorded; registering again is what a retry of these does
                for n in registering:
                    outcomes[n] = error
        results: list[Delivered | BaseException] = []
        for n, (entry, outcome) in enumerate(zip(entries, outcomes, strict=True)):
            if isinstance(outcome, BaseException | Delivered):
                results.append(outcome)
                continue
            self._first_acks.pop(entry.id, None)
            results.append(Delivered(outcome, links.get(n, RepeatLinks([], 0))))
        return results

    async def _record_sent(self, entry: Entry, envelope: envelope_pb2.Envelope, ack) -> bool:
        """The case record updated for a published case entry, one log line; whether the bus had it already."""
        (outcome,) = await self._record_sent_many([(entry, envelope, ack)])
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _record_sent_many(self, published: list[tuple[Entry, envelope_pb2.Envelope, object]]) -> list[bool | BaseException]:
        """`_record_sent` of published case entries of distinct cases, their records written as one batch:
        for each, whether the bus had it already, or the error its record failed with."""
        changes, duplicates = [], []
        for entry, envelope, ack in published:
            observe.published(envelope)
            duplicate = self._first_acks.setdefault(entry.id, bool(ack.duplicate))
            duplicates.append(duplicate)
            # A first attempt was planned with no record of the case: most likely there is none yet.
            changes.append((entry.case_id, functools.partial(records.apply, envelope=envelope),
                            records.case_of(envelope).attempt <= 1 and not duplicate))
        outcomes = await self._mutate_many(changes) if changes else []
        results: list[bool | BaseException] = []
        for (entry, envelope, ack), duplicate, outcome in zip(published, duplicates, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                results.append(outcome)
                continue
            log.info("case_sent", case_id=entry.case_id, flow=subjects.route_of(envelope.flow).token, sender=self.member.name,
                     destination=jurisdictions.display_name(envelope.destination), attempt=records.case_of(envelope).attempt,
                     duplicate=duplicate, stream_seq=ack.seq, entry=entry.id)
            results.append(duplicate)
        return results

    async def _recorded_step(self, entry: Entry, envelope: envelope_pb2.Envelope, *, duplicate: bool,
                             untried: bool) -> Delivered:
        update = envelope.status_update
        if duplicate and untried:
            # Our first try found the step number taken: the other side's report got there first, the bus
            # kept theirs and dropped ours. Refused rather than let the two sides disagree.
            log.warning("status_sequence_taken", case_id=update.case_id, sequence=update.sequence, sender=self.member.name)
            raise StepConflict(f"{update.case_id}: step {update.sequence} was taken by another report meanwhile;"
                               " read the case again (GetCase) and retry if the step still applies",
                               metadata={"caseId": update.case_id, "sequence": str(update.sequence)})
        observe.published(envelope)
        await self._mutate(entry.case_id, lambda current: records.apply(current, envelope))
        log.info("status_reported", case_id=update.case_id, status=case_pb2.Status.Name(update.status),
                 sequence=update.sequence, sender=self.member.name,
                 destination=jurisdictions.display_name(envelope.destination), duplicate=duplicate, entry=entry.id)
        return Delivered(duplicate, RepeatLinks([], 0))

    def _decode_within_limits(self, document: adapter_pb2.NativeDocument) -> tuple[list[case_pb2.Case], list[Rejected]]:
        """The document's cases and rejections; a case too large to send is a rejection naming the field.
        A document over the size or record limit is refused whole, before anything is sent."""
        input_limits.check_document(document.content, self.limits)
        cases, rejected = split_outcomes(self._codec_for(document.format).decode(document.content))
        input_limits.check_count(len(cases) + len(rejected), self.limits)
        within = []
        for case in cases:
            violations = input_limits.case_violations(case, self.limits)
            if not violations:
                within.append(case)
            rejected.extend(Rejected(field, f"{case.native_id}: {reason}") for field, reason in violations)
        return within, rejected

    def _codec_for(self, document_format: int) -> Codec:
        fmt = document_format or self.member.document_format
        if fmt == self.member.document_format:
            return self.codec
        if fmt == adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL:
            return codec_for_format(fmt)
        accepted = f"{adapter_pb2.DocumentFormat.Name(self.member.document_format)} or DOCUMENT_FORMAT_COMMON_JSONL"
        raise UnsupportedDocumentFormat(f"{self.member.name} accepts {accepted}, not {_format_name(fmt)}",
                                        violations=[("document.format", f"must be {accepted}")])

    async def _record_with_pending(self, case_id: str, *, local_if_away: bool) -> records.Record | None:
        """The case's record with its still-queued steps folded in: the state the member was told of.

        With `local_if_away`, the outbox's copy stands in for the bus's while the bus is away, and
        for a while after a read of it failed (a bus that stops answering costs one timeout, not
        one per case)."""
        loop = asyncio.get_running_loop()
        if local_if_away and self._bucket_away(loop):
            record = self.outbox.local_record(case_id)
        else:
            try:
                record = await self.cases.get(case_id)
            except BusUnavailable:
                if not local_if_away:
                    raise
                self._bucket_away_until = loop.time() + BUCKET_RETRY_SECONDS
                record = self.outbox.local_record(case_id)
        return self._with_pending(case_id, record)

    def _bucket_away(self, loop: asyncio.AbstractEventLoop) -> bool:
        return not self.bus_up() or loop.time() < self._bucket_away_until

    def _with_pending(self, case_id: str, record: records.Record | None) -> records.Record | None:
        for entry in self.outbox.pending(case_id=case_id):
            record = records.apply(record, envelope_pb2.Envelope.FromString(entry.envelope)) or record
        return record

    async def _records_of(self, cases) -> list[records.Record | None]:
        """`_record_with_pending(local_if_away=True)` of each case; a batch's records read from the bucket in
        one request (a batched direct get), not two messages per case."""
        ids = [case.case_id for case in cases]
        loop = asyncio.get_running_loop()
        stored: list[records.Record | None] = []
        for start in range(0, len(ids), READS_AT_ONCE):  # a document may hold thousands
            part = ids[start:start + READS_AT_ONCE]
            if not self._bucket_away(loop):
                try:
                    stored += await self.cases.get_many(part)
                    continue
                except BusUnavailable:
                    self._bucket_away_until = loop.time() + BUCKET_RETRY_SECONDS
            stored += [self.outbox.local_record(case_id) for case_id in part]
        return [self._with_pending(case_id, record) for case_id, record in zip(ids, stored, strict=True)]

    def _prepare_case(self, case: case_pb2.Case, route: Route, flow: int, request,
                      existing: records.Record | None) -> tuple[adapter_pb2.Submission, Outgoing | None]:
        """The answer for one case and the signed message to send (None when it is out already), planned from
        `existing`, its record with its queued steps (`_records_of`)."""
        try:
            plan = plan_attempt(records.state_of(existing) if existing else None, route.destination.enum, self.lifecycle)
        except TransitionError as error:
            raise StepRefused(str(error), violations=[("destination", str(error))]) from None
        if isinstance(plan, AlreadyOut):
            return adapter_pb2.Submission(
                case_id=case.case_id, destination=existing.holder, duplicate=True, basis=route.basis,
                envelope_id=subjects.case_envelope_id(case.case_id, existing.flow, existing.attempt),
                quality_flags=case.quality_flags,
            ), None
        attempt, sequence = plan.attempt, plan.sequence
        envelope = envelope_pb2.Envelope(
            envelope_id=subjects.case_envelope_id(case.case_id, flow, attempt),
            flow=flow, sender=self.member.enum, destination=route.destination.enum,
            sent_at=now_timestamp(), request_id=request.request_id,
        )
        if flow == Flow.FLOW_REFERRAL:
            envelope.referral.CopyFrom(envelope_pb2.Referral(
                case=case, basis=route.basis, attempt=attempt, note=request.note, sequence=sequence))
        else:
            envelope.hotline_transfer.CopyFrom(envelope_pb2.HotlineTransfer(
                case=case, attempt=attempt, note=request.note, sequence=sequence))
        message = Outgoing(msg_id=envelope.envelope_id, case_id=case.case_id,
                           subject=subjects.subject(flow, route.destination, self.member),
                           envelope=signed.sign(envelope, self.signer))
        return adapter_pb2.Submission(
            case_id=case.case_id, destination=route.destination.enum, envelope_id=envelope.envelope_id,
            quality_flags=case.quality_flags, basis=route.basis,
        ), message
