"""Feeds the audit log from every stream of the bus: messages, receipts and dead letters.

Every stream read through the gateway's feed (gateway/feed.py, one ordered consumer per
stream shared with the projection), resuming after the stored cursor, puts messages on
a queue; one writer takes whatever has arrived (up to a batch) and appends it in a
single transaction. Every `anchor_every` records, or `anchor_seconds` after the last
anchor when records came since, the chain head is signed with the federation's key
and kept in the anchors file and on the JJJ_AUDIT_ANCHORS stream.

What a record says of a message: its flow (or "dead_letter"), ids, parties, the
step a referral or status update sets, the SHA-256 of its bytes (the digest a
receipt quotes), the signing key, and whether its signature and sender check out
here ("verified", or "refused:<REASON>"). A dead letter is recorded with the
receiver's reason ("dead:<REASON>") and the digest of the refused bytes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext

from gateway.audit import exchanges
from gateway.audit.store import AuditStore
from gateway.feed import BusFeed
from kernel import audit, jurisdictions
from kernel.bus import bundles, jetstream, subjects
from kernel.bus.envelopes import case_id_of
from kernel.security.envelopes import Refusal, VerificationCache, digest, parse
from kernel.security.signing import Signer
from kernel.waiting import get_within
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
BATCH = 512
# After the first message of a batch, what else arrives within this is written with it: one commit
# (one fsync) per batch, not per message, at volume (it was a fifth of the gateway's time).
LINGER_SECONDS = 0.05
ANCHOR_CONTENT_TYPE = "application/json; kind=jjj.audit.anchor"


@dataclass(frozen=True, slots=True)
class _Taken:
    stream: str
    seq: int
    subject: str
    data: bytes
    at: datetime
    part: int = 0  # which envelope of a bundled message (kernel.bus.bundles)
    last: bool = True  # the message's last envelope: only then is its stream position done

    @property
    def done_up_to(self) -> int:
        # A batch may end inside a bundle: a restart then reads the whole bundle again (a record twice, not lost).
        return self.seq if self.last else self.seq - 1


def _name(value: int) -> str:
    try:
        return jurisdictions.display_name(value)
    except jurisdictions.UnknownJurisdiction:
        return case_pb2.Jurisdiction.Name(value) if value in case_pb2.Jurisdiction.values() else str(value)


def _step(envelope: envelope_pb2.Envelope) -> str:
    payload = envelope.WhichOneof("payload")
    if payload in ("referral", "hotline_transfer"):
        return "STATUS_REFERRED"
    if payload == "status_update":
        return case_pb2.Status.Name(envelope.status_update.status) if envelope.status_update.status in case_pb2.Status.values() else ""
    return ""


def _token_name(token: str) -> str:
    try:
        return jurisdictions.by_token(token).name
    except jurisdictions.UnknownJurisdiction:
        return "federation" if token == subjects.FEDERATION_TOKEN else token


def recorded_of(taken: _Taken, verifier: VerificationCache) -> tuple[audit.AuditEntry, exchanges.Published | exchanges.Acknowledged | None]:
    """The audit entry of a taken message and its exchange record (None for a dead letter and what is not a
    relayed message), from one verification and one parse."""
    at = taken.at.astimezone(UTC).isoformat()
    if taken.stream == subjects.DEAD_LETTER_STREAM:
        return _dead_letter_entry(taken, at), None
    outcome = verifier.verify(taken.data, taken.subject, receiver=None, published_at=taken.at, stream=taken.stream,
                              sequence=taken.seq, part=taken.part)
    if isinstance(outcome, Refusal):
        status, envelope = f"refused:{outcome.reason_name}", parse(taken.data)
    else:
        status, envelope = "verified", outcome.envelope
    observation = exchanges.observation_of_envelope(taken.stream, taken.seq, envelope, len(taken.data), at,
                                                    verified=status == "verified")
    return _entry(taken, at, status, envelope), observation


def _entry(taken: _Taken, at: str, status: str, envelope: envelope_pb2.Envelope | Refusal) -> audit.AuditEntry:
    parts = taken.subject.split(".")
    kind = parts[1] if len(parts) == 4 else taken.stream
    if isinstance(envelope, Refusal):  # not even an envelope
        return audit.AuditEntry(at, kind, "", "", _token_name(parts[-1]), "", status, "", digest(taken.data).hex(), "")
    return audit.AuditEntry(
        at=at, kind=kind, envelope_id=envelope.envelope_id,
        case_id=envelope.receipt.case_id if envelope.HasField("receipt") else case_id_of(envelope),
        sender=_name(envelope.sender), destination=_name(envelope.destination), status=status, step=_step(envelope),
        digest=digest(taken.data).hex(), key_id=envelope.signature.key_id,
    )


def _dead_letter_entry(taken: _Taken, at: str) -> audit.AuditEntry:
    letter = envelope_pb2.DeadLetter.FromString(taken.data)
    refused = parse(letter.envelope)
    case_id = key_id = step = ""
    if not isinstance(refused, Refusal):
        case_id, key_id, step = case_id_of(refused), refused.signature.key_id, _step(refused)
    sender_token = taken.subject.split(".")[-1]
    return audit.AuditEntry(
        at=at, kind="dead_letter", envelope_id=letter.envelope_id, case_id=case_id, sender=_token_name(sender_token),
        destination=_name(letter.receiver), status=f"dead:{envelope_pb2.DeadLetterReason.Name(letter.reason)}",
        step=step, digest=digest(letter.envelope).hex(), key_id=key_id,
    )


class Auditor:
    def __init__(self, js: JetStreamContext, store: AuditStore, verifier: VerificationCache, signer: Signer, *,
                 anchor_every: int = 100, anchor_seconds: float = 30.0) -> None:
        self.js, self.store, self.verifier, self.signer = js, store, verifier, signer
        exchanges.create(store.db)
        self.anchor_every, self.anchor_seconds = anchor_every, anchor_seconds
        self.queue: asyncio.Queue[_Taken] = asyncio.Queue()
        self._unwritten = 0  # taken and not yet written (in the queue, or in the batch being gathered)
        self._writer: asyncio.Task | None = None
        anchors = store.anchors()
        if anchors and store.head is None:
            # A log started afresh beside the anchors of an earlier one: `jjj audit verify` will say so.
            log.warning("audit_log_restarted", anchors=len(anchors), anchored_up_to=anchors[-1].seq)
        self._anchored = anchors[-1].seq if anchors and store.head is not None else 0
        self._anchored_at = time.monotonic()

    def read_from(self, feed: BusFeed) -> None:
        """Register on the gateway's feed (started by the caller once every reader is on it) and start the writer."""
        for stream in [*dict.fromkeys(route.stream for route in subjects.FLOW_ROUTES), subjects.DEAD_LETTER_STREAM]:
            # No filter: every subject of the stream, in stream order (one cursor per stream).
            feed.read(stream, start_seq=self.store.cursor(stream) + 1, on_message=self._on_message)
        self._writer = asyncio.create_task(self._write(), name="audit-writer")

    async def _on_message(self, message) -> None:
        meta = message.metadata
        # A bundle's envelopes are recorded one by one, as if each had come alone.
        envelopes = bundles.envelopes_of(message)
        for part, data in enumerate(envelopes):
            self._unwritten += 1
            self.queue.put_nowait(_Taken(meta.stream, meta.sequence.stream, message.subject, data, meta.timestamp,
                                         part=part, last=part == len(envelopes) - 1))

    async def _write(self) -> None:
        while True:
            try:
                first = await get_within(self.queue, self.anchor_seconds)
            except TimeoutError:
                await self._anchor_if_due(force_time=True)
                continue
            if self.queue.qsize() < BATCH:
                await asyncio.sleep(LINGER_SECONDS)
            batch = [first]
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                self._append(batch)
            except Exception:  # a record that cannot be made must not stop the log; it is retried after a restart
                log.exception("audit_append_failed", stream=first.stream, stream_seq=first.seq)
                continue
            finally:
                self._unwritten -= len(batch)
            await self._anchor_if_due()

    def _append(self, batch: list[_Taken]) -> None:
        cursors: dict[str, int] = {}
        for taken in batch:
            cursors[taken.stream] = max(cursors.get(taken.stream, 0), taken.done_up_to)
        recorded = [recorded_of(taken, self.verifier) for taken in batch]
        entries = [entry for entry, _ in recorded]
        observations = [observation for _, observation in recorded]
        self.store.append(entries, cursors, also=lambda db: exchanges.write(db, observations))

    async def _anchor_if_due(self, *, force_time: bool = False) -> None:
        head = self.store.head
        if head is None or head.seq <= self._anchored:
            return
        due_by_time = force_time or time.monotonic() - self._anchored_at >= self.anchor_seconds
        if head.seq - self._anchored < self.anchor_every and not due_by_time:
            return
        await self.anchor_now()

    async def anchor_now(self) -> audit.Anchor | None:
        head = self.store.head
        if head is None:
            return None
        signed = audit.anchor(head, self.signer, datetime.now(UTC).isoformat())
        self.store.add_anchor(signed)
        self._anchored, self._anchored_at = head.seq, time.monotonic()
        try:
            await jetstream.publish_bytes(self.js, subjects.AUDIT_ANCHOR_SUBJECT, signed.to_json().encode(),
                                          msg_id=f"anchor/{signed.seq}/{signed.head}", content_type=ANCHOR_CONTENT_TYPE)
        except jetstream.BusError:
            log.warning("audit_anchor_not_published", seq=signed.seq)
        log.info("audit_anchored", seq=signed.seq, head=signed.head)
        return signed

    async def drain(self, timeout: float = 5.0) -> None:
        """Write what has been taken so far (stopping, tests)."""
        deadline = time.monotonic() + timeout
        while self._unwritten > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.drain()
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self.store.head is not None and self.store.head.seq > self._anchored:
            await self.anchor_now()

