"""The receiving half of an adapter's relay: what comes back from the bus, kept in the case records.

The state tracker takes every message addressed to this jurisdiction, whether or not the
member system is connected, and keeps the records current; the member's inbox admits what it
shows through the same `admit`. Both check the sender's right first (kernel.security.admission)
against the record the change is applied to, in one compare-and-set.

A tracker's fetched batch is taken in rounds (adapters/service/tracker_batches.py), one
message of each case a round: a round's records are written as one batch of compare-and-sets
(CaseStore.mutate_many) and its acks sent after, rather than a task, a request and an ack
each. The rules are the same either way: `_inbound_change` and the `_after_*` readings below
serve both `record_inbound` (one envelope) and `_record_inbound_many`. A mixin of AdapterRelay.
"""

from __future__ import annotations

import asyncio
import functools

import structlog
from nats.errors import ConnectionClosedError
from nats.js import api

from adapters.service import observe, receipts, records
from adapters.service.tracker_batches import take_in_rounds
from kernel import jurisdictions
from kernel.bus import bundles, jetstream, subjects
from kernel.bus.envelopes import case_id_of
from kernel.security.admission import authorize
from kernel.security.envelopes import Reason, Refusal
from kernel.waiting import pause
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
TRACKED_FLOWS = subjects.TRACKED_FLOWS
TRACKER_RETRY_SECONDS = 5.0
CASE_PAYLOADS = ("referral", "hotline_transfer")


class InboundRecording:
    """Admitting and recording what comes back; mixed into AdapterRelay (its member, guard, cases, stores)."""

    async def admit(self, message) -> envelope_pb2.Envelope | None:
        """The verified envelope of a bus message, recorded; None when refused (dead-lettered or retried later)."""
        checked = self.guard.verify(message)
        if isinstance(checked, Refusal):
            await self.guard.refuse(message, checked)
            return None
        # The tracker and the inbox both admit every message: whichever comes second takes the first one's outcome.
        refusal = await self._recorded.once(checked.envelope.envelope_id, lambda: self.record_inbound(checked.envelope))
        if refusal is not None:
            await self.guard.refuse(message, refusal)
            return None
        return checked.envelope

    async def record_inbound(self, envelope: envelope_pb2.Envelope) -> Refusal | None:
        """Remember a case, a lifecycle step or a receipt addressed to us, if its sender may send it; idempotent.

        The check reads the record the change is applied to (one compare-and-set), so a
        concurrent step cannot slip between them.
        """
        if envelope.HasField("receipt"):
            return await self._record_receipt(envelope)
        case_id = case_id_of(envelope)
        if not case_id:
            return self._record_caseless(envelope)
        verdict: list[Refusal | None] = [None]
        # A case referred here that this adapter has no copy of is most likely new to its bucket (which only this
        # adapter writes): created without a read first; if it does exist, the create fails and it is read.
        record, changed = await self._mutate(case_id, self._inbound_change(envelope, verdict),
                                             likely_new=envelope.WhichOneof("payload") in CASE_PAYLOADS)
        return self._after_case(envelope, verdict[0], record, changed)

    async def _record_receipt(self, envelope: envelope_pb2.Envelope) -> Refusal | None:
        """Keep a receiver's signed receipt with the case it proves delivery of (the proof GetCase shows)."""
        refusal = authorize(envelope, None, self.lifecycle)
        if refusal is not None or not envelope.receipt.case_id:
            return refusal
        record, _ = await self.cases.mutate(envelope.receipt.case_id,
                                            functools.partial(records.add_receipt, receipt=envelope))
        return self._after_receipt(envelope, record)

    async def _record_inbound_many(self, envelopes: list[envelope_pb2.Envelope]) -> list[Refusal | None | BaseException]:
        """`record_inbound` of envelopes of distinct cases, their records written as one batch; an outcome each."""
        outcomes: list[Refusal | None | BaseException] = [None] * len(envelopes)
        changes, owners = [], []  # owners: (index, the case's verdict, or None for a receipt)
        for n, envelope in enumerate(envelopes):
            if envelope.HasField("receipt"):
                refusal = authorize(envelope, None, self.lifecycle)
                if refusal is not None or not envelope.receipt.case_id:
                    outcomes[n] = refusal
                    continue
                changes.append((envelope.receipt.case_id, functools.partial(records.add_receipt, receipt=envelope), False))
                owners.append((n, None))
                continue
            case_id = case_id_of(envelope)
            if not case_id:
                outcomes[n] = self._record_caseless(envelope)
                continue
            verdict: list[Refusal | None] = [None]
            changes.append((case_id, self._inbound_change(envelope, verdict), envelope.WhichOneof("payload") in CASE_PAYLOADS))
            owners.append((n, verdict))
        written = await self.cases.mutate_many(changes) if changes else []
        for (n, verdict), (case_id, _, _), outcome in zip(owners, changes, written, strict=True):
            if isinstance(outcome, BaseException):
                outcomes[n] = outcome
            elif verdict is None:
                outcomes[n] = self._after_receipt(envelopes[n], outcome[0])
            else:
                self._note_status(case_id, *outcome)  # as `_mutate` does (a receipt changes no status)
                outcomes[n] = self._after_case(envelopes[n], verdict[0], *outcome)
        return outcomes

    def _inbound_change(self, envelope: envelope_pb2.Envelope, verdict: list[Refusal | None]):
        """The change of a case's record an envelope makes, if its sender may make it (else `verdict[0]` says why)."""
        def change(current):
            verdict[0] = authorize(envelope, records.state_of(current) if current is not None else None, self.lifecycle)
            return None if verdict[0] is not None else records.apply(current, envelope)
        return change

    def _record_caseless(self, envelope: envelope_pb2.Envelope) -> Refusal | None:
        refusal = authorize(envelope, None, self.lifecycle)
        if refusal is None and envelope.HasField("information_share") and self.co_handling is not None:
            self.co_handling.record(envelope)  # also fed by Sharing's consumer: whichever comes first
        return refusal

    @staticmethod
    def _after_case(envelope: envelope_pb2.Envelope, verdict: Refusal | None, record, changed: bool) -> Refusal | None:
        if verdict is not None:
            return verdict
        update = envelope.status_update if envelope.HasField("status_update") else None
        if (update is not None and not changed and record is not None and update.sequence == record.sequence
                and update.status != record.case.status):
            # Both sides took a step with the same number: they now disagree. Rare (concurrent steps
            # by origin and holder); made loud rather than resolved silently.
            log.error("sequence_conflict", case_id=update.case_id, sequence=update.sequence,
                      ours=case_pb2.Status.Name(record.case.status), theirs=case_pb2.Status.Name(update.status))
        return None

    @staticmethod
    def _after_receipt(envelope: envelope_pb2.Envelope, record) -> Refusal | None:
        if not records.is_known(record):
            # A quick receiver acknowledges before our own record of the case we just sent is stored
            # (submit publishes, then records): take the receipt again in a moment, not drop it.
            return Refusal(Reason.DEAD_LETTER_REASON_UNKNOWN_CASE,
                           f"a receipt for {envelope.receipt.case_id}, not recorded here yet", final=False)
        log.info("receipt_recorded", case_id=envelope.receipt.case_id, envelope_id=envelope.receipt.envelope_id,
                 receiver=jurisdictions.display_name(envelope.receipt.receiver))
        return None

    async def send_receipts(self, sent: list[envelope_pb2.Envelope | None]) -> None:
        """Send our receipts (adapters/service/receipts.py `receipt_for`), signed, bundled per sender."""
        await receipts.send_receipts(self.nc, self.member, self.signer, sent)

    # -- the state tracker ------------------------------------------------

    def start_state_tracker(self) -> None:
        for flow in TRACKED_FLOWS:
            self._tasks.append(asyncio.create_task(self._track(flow), name=f"track-{self.member.token}-{flow}"))

    async def _track(self, flow: int) -> None:
        """Keep the case store current whether or not the member system is connected."""
        route = subjects.route_of(flow)
        while True:
            try:
                subscription = await jetstream.durable_pull(
                    self.js, subjects.inbox_filter(flow, self.member),
                    durable=subjects.durable_name(subjects.STATE_PURPOSE, self.member.token, flow),
                    stream=route.stream,
                    # A message the tracker cannot apply is retried a bounded number of times, not forever;
                    # it stays in the stream (and reaches the member's inbox, which has no such bound).
                    config=api.ConsumerConfig(ack_wait=self.tracker.ack_wait_seconds, max_deliver=self.tracker.max_deliver),
                )
                break
            except jetstream.BusUnavailable as error:  # until the operator provisions the stream
                log.error("state_tracker_waiting", flow=route.token, error=str(error))
                await pause(TRACKER_RETRY_SECONDS)
        try:
            while True:
                try:
                    messages = await jetstream.fetch_batch(subscription, batch=self.tracker.fetch_batch, timeout=1.0)
                except ConnectionClosedError:
                    return  # shutting down
                # The receipts of one acknowledgement batch come as one bundle: each taken as a message of its own.
                messages = [part for message in messages for part in bundles.parts_of(message)]
                await take_in_rounds(messages, self.guard.verify, self._take_round)
        finally:
            await subscription.unsubscribe()

    async def _take_round(self, messages: list) -> None:
        """Admit messages of distinct cases (`admit`, their records written together), then ack each admitted one."""
        admitted = []
        for message in messages:
            observe.saw(self.member, message)
            checked = self.guard.verify(message)
            if isinstance(checked, Refusal):
                await self._settle_tracked(message, checked)
            else:
                admitted.append((message, checked.envelope))
        outcomes = await self._recorded.once_many(
            [envelope.envelope_id for _, envelope in admitted],
            lambda indexes: self._record_inbound_many([admitted[n][1] for n in indexes]),
            lambda n: self.record_inbound(admitted[n][1]))
        for (message, _), outcome in zip(admitted, outcomes, strict=True):
            await self._settle_tracked(message, outcome)

    async def _settle_tracked(self, message, outcome: Refusal | BaseException | None) -> None:
        """Ack what was recorded, refuse what was refused; a failure is logged and the message left unacked:
        a poison message must not stop the tracker (it is delivered again, at most max_deliver times)."""
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome is not None:
                await self.guard.refuse(message, outcome)  # dead-lettered and acknowledged, or left for a retry
                return
        except Exception:
            log.exception("state_tracking_failed", subject=message.subject)
            return
        await message.ack()
