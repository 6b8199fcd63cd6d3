"""Information sharing and cross-region repeat detection, on an adapter's side.

Shares go to each audience member on its own subject (jjj.share.<to>.<from>), so
a jurisdiction never receives what was not addressed to it. Case digests carry
no raw name, ID number or phone: a keyed requester hash, masked name and phone,
and a keyed sketch of the content's character bigrams. Every adapter indexes the
digests addressed to it (replayed from the stream at start) with its own cases,
and when a new case of its own looks like an earlier one it answers with the
link and tells the earlier case's origin (并单 suggestion on both sides).
"""

from __future__ import annotations

import asyncio
import hashlib
import functools
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from nats.js import JetStreamContext, api

from adapters.service import observe
from adapters.service.guard import Guard
from adapters.service.packed_sketch import PackedSketch
from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.domain.privacy import digest_case
from kernel.domain.sensitive import SensitiveRules
from kernel.domain.repeats import RepeatIndex, RepeatRecord, content_shingles
from kernel.jurisdictions import Member
from kernel.security.envelopes import Refusal
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
SHARE = envelope_pb2.FLOW_INFORMATION_SHARE
SKETCH_SIZE = 256
STATUS_MEMORY = 100_000  # statuses of followed cases kept in memory for repeat links; beyond, the record is read again
PRUNE_EVERY_SECONDS = 60.0  # how often cases gone out of the matching window are forgotten


def content_sketch(text: str, secret: bytes) -> list[int]:
    """Bottom-k keyed hashes (HMAC-SHA256, first 4 bytes) of the text's bigrams: comparable by Jaccard, not readable."""
    inner, outer = _hmac_pads(secret)
    hashes = set()
    for shingle in content_shingles(text):
        keyed = inner.copy()
        keyed.update(shingle.encode())
        finished = outer.copy()
        finished.update(keyed.digest())
        hashes.add(int.from_bytes(finished.digest()[:4], "big"))
    return sorted(hashes)[:SKETCH_SIZE]


@functools.lru_cache(maxsize=4)
def _hmac_pads(secret: bytes) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    """HMAC-SHA256 (RFC 2104) with its two keyed states made once: `hmac.new` per bigram rebuilt them each
    time, three times the cost (7% of a sending adapter's CPU). The same values as hmac.new (a test says so)."""
    block = hashlib.sha256().block_size
    key = hashlib.sha256(secret).digest() if len(secret) > block else secret
    key = key.ljust(block, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def sketched_digest(case: case_pb2.Case, secret: bytes) -> envelope_pb2.CaseDigest:
    digest = digest_case(case, secret)
    digest.content_sketch.extend(content_sketch(f"{case.title}\n{case.content}", secret))
    digest.category_source_code = case.category.source_code
    return digest


def record_of(digest: envelope_pb2.CaseDigest) -> RepeatRecord:
    return RepeatRecord(
        case_id=digest.case_id, requester_key=digest.requester_key, admin_code=digest.admin_code,
        category_code=digest.category_code, received_at=digest.received_at.ToDatetime(tzinfo=UTC),
        shingles=PackedSketch(digest.content_sketch), status=digest.status,
    )


class NotedStatuses(Protocol):
    """The status last noted of a case the adapter follows (adapters.service.repeat_store keeps them on disk)."""

    def note_status(self, case_id: str, status: int) -> None: ...
    def noted_status(self, case_id: str) -> int | None: ...


class MemoryStatuses:
    """The most recent STATUS_MEMORY notes, in memory."""

    def __init__(self) -> None:
        self._statuses: OrderedDict[str, int] = OrderedDict()

    def note_status(self, case_id: str, status: int) -> None:
        self._statuses[case_id] = status
        self._statuses.move_to_end(case_id)
        while len(self._statuses) > STATUS_MEMORY:
            self._statuses.popitem(last=False)

    def noted_status(self, case_id: str) -> int | None:
        return self._statuses.get(case_id)


@dataclass(frozen=True, slots=True)
class RepeatLinks:
    links: list[envelope_pb2.RepeatLink]
    omitted: int  # matches beyond the per-case bound, not listed


@dataclass
class Sharing:
    member: Member
    js: JetStreamContext
    secret: bytes
    signer: Signer
    # Verifies what the index learns from.
    guard: Guard
    index: RepeatIndex = field(default_factory=RepeatIndex)
    # Others' bookkeeping fed with every verified share addressed to us (adapters.service.cohandling_log).
    observers: list[Callable[[envelope_pb2.Envelope], None]] = field(default_factory=list)
    # The earlier case's status now, where this adapter follows the case (its own, or one it holds);
    # None: the status its digest carried is all there is.
    status_of: Callable[[str], Awaitable[int | None]] | None = None
    statuses: NotedStatuses = field(default_factory=MemoryStatuses)
    _pruned_at: float = field(default_factory=time.monotonic)
    _subscriptions: list = field(default_factory=list)

    async def start(self) -> None:
        """Index every digest addressed to us within the matching window (rebuilt from the stream at each start)."""
        route = subjects.route_of(SHARE)
        since = (datetime.now(UTC) - self.index.window).isoformat().replace("+00:00", "Z")
        for subject in (subjects.digest_filter(self.member), subjects.inbox_filter(SHARE, self.member)):
            config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_TIME, opt_start_time=since)
            self._subscriptions.append(await jetstream.ordered_subscribe(
                self.js, subject, stream=route.stream, owner=f"sharing_{self.member.token}", config=config, cb=self._on_share,
            ))

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        self._subscriptions.clear()

    async def _on_share(self, message) -> None:
        checked = self.guard.verify(message, read_once=subjects.is_digest(message.subject))
        if isinstance(checked, Refusal):
            # Ordered consumers take no acks: dead-lettered, then simply not indexed.
            await self.guard.refuse(message, checked, acknowledge=False)
            return
        envelope = checked.envelope
        for observer in self.observers:
            try:
                observer(envelope)
            except Exception:  # one observer's failure must not stop the index (nor the others)
                log.exception("share_observer_failed", envelope_id=envelope.envelope_id)
        if envelope.information_share.topic == envelope_pb2.SHARE_TOPIC_CASE_DIGEST:
            for digest in envelope.information_share.digests:
                self._index(record_of(digest))

    def audience(self, requested: Iterable[int]) -> list[Member]:
        wanted = list(requested)
        if not wanted:
            return [m for m in jurisdictions.members() if m.enum != self.member.enum]
        members = [jurisdictions.by_enum(value) for value in dict.fromkeys(wanted)]
        return [m for m in members if m.enum != self.member.enum]

    async def publish(self, share: envelope_pb2.InformationShare, audience: Sequence[Member], *, id_base: str,
                      request_id: str = "", internal: bool = False) -> list[str]:
        """One envelope per audience member on its own subject, published concurrently."""
        share.audience[:] = [m.enum for m in audience]
        envelopes = []
        for destination in audience:
            envelope = envelope_pb2.Envelope(
                envelope_id=f"{id_base}/{destination.token}", flow=SHARE, sender=self.member.enum,
                destination=destination.enum, request_id=request_id, information_share=share,
            )
            envelope.sent_at.GetCurrentTime()
            subject = subjects.digest_subject(destination, self.member) if internal else subjects.subject(SHARE, destination, self.member)
            envelopes.append((subject, envelope))
        await asyncio.gather(*(jetstream.publish_envelope(self.js, subject, envelope, signer=self.signer)
                               for subject, envelope in envelopes))
        for _, envelope in envelopes if not internal else ():
            observe.published(envelope)
        return [envelope.envelope_id for _, envelope in envelopes]

    async def register(self, cases: Sequence[case_pb2.Case], *, request_id: str = "") -> RepeatLinks:
        """Match our new cases against the index, share their digests with every other member, send links.

        Each case keeps its best links only (schemas/repeats.yaml); `omitted` counts the rest."""
        found = [await self._match(case) for case in cases]
        links = [link for case_links, _, _ in found for link in case_links]
        for case, (_, _, digest) in zip(cases, found, strict=True):
            if digest is not None:
                await self._share_digests([digest], id_base=f"{case.case_id}/digest", request_id=request_id)
        await self._send_links(links, request_id)
        return RepeatLinks(links, sum(omitted for _, omitted, _ in found))

    async def register_many(self, cases: Sequence[case_pb2.Case], *, request_ids: Sequence[str]) -> list[RepeatLinks]:
        """`register` for a batch relayed together: matched in order (a case sees the ones before it), their
        digests shared in one message per member rather than one per case; the links of each case."""
        found = [await self._match(case) for case in cases]
        digests = [digest for _, _, digest in found if digest is not None]
        if digests:
            # Deterministic for the same batch relayed again; a different batch re-shares digests the index replaces.
            await self._share_digests(digests, id_base=f"{cases[0].case_id}/digests/{len(cases)}/{cases[-1].case_id}",
                                      request_id=request_ids[0] if request_ids else "")
        for case_links, request_id in zip((links for links, _, _ in found), request_ids, strict=True):
            await self._send_links(case_links, request_id)
        return [RepeatLinks(case_links, omitted) for case_links, omitted, _ in found]

    async def _match(self, case: case_pb2.Case) -> tuple[list[envelope_pb2.RepeatLink], int, envelope_pb2.CaseDigest | None]:
        """The case's links to earlier cases (then it is indexed itself), and its digest to share (None: never shared)."""
        digest = sketched_digest(case, self.secret)
        record = record_of(digest)
        found = self.index.find(record)
        rules = SensitiveRules.load()
        links = []
        for match in found.links:
            status = await self._status_now(match)
            links.append(envelope_pb2.RepeatLink(
                case_id=case.case_id, earlier_case_id=match.case_id, score=match.score, reasons=list(match.reasons),
                earlier_origin=jurisdictions.origin_of_case_id(match.case_id).enum,
                earlier_status=status, earlier_reviewed=rules.reviewed(status),
            ))
        self._index(record)
        # Matched here, but an accusation or litigation-related case is never shared as a digest.
        return links, found.omitted, digest if rules.may_digest(case) else None

    async def _share_digests(self, digests: list[envelope_pb2.CaseDigest], *, id_base: str, request_id: str) -> None:
        await self.publish(
            envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST,
                                          classification=envelope_pb2.CLASSIFICATION_INTERNAL,
                                          title="case digest", digests=digests),
            self.audience([]), id_base=id_base, request_id=request_id, internal=True,
        )

    async def _send_links(self, links: list[envelope_pb2.RepeatLink], request_id: str) -> None:
        for link in links:
            earlier_origin = jurisdictions.by_enum(link.earlier_origin)
            if earlier_origin.enum == self.member.enum:
                continue
            await self.publish(
                envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_REPEAT_LINK,
                                              classification=envelope_pb2.CLASSIFICATION_INTERNAL,
                                              title="possible repeat request (并单建议)", repeat_links=[link]),
                [earlier_origin], id_base=f"{link.case_id}/repeat/{link.earlier_case_id}", request_id=request_id,
            )
            log.info("repeat_linked", case_id=link.case_id, earlier_case_id=link.earlier_case_id,
                     score=link.score, reasons=",".join(link.reasons))


    def note_status(self, case_id: str, status: int) -> None:
        """A case this adapter follows reached `status` (its record changed)."""
        self.statuses.note_status(case_id, status)

    async def _status_now(self, match) -> int:
        """The earlier case's status now: as last noted, else its record (once), else its digest's."""
        noted = self.statuses.noted_status(match.case_id)
        if noted is None and self.status_of is not None:
            noted = await self.status_of(match.case_id)
            if noted:
                self.note_status(match.case_id, noted)
        return noted or match.status

    def _index(self, record: RepeatRecord) -> None:
        self.index.add(record)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self.prune()

    def prune(self, now: datetime | None = None) -> int:
        """Forget the cases received before the matching window; how many were forgotten."""
        self._pruned_at = time.monotonic()
        forgotten = self.index.prune((now or datetime.now(UTC)) - self.index.window)
        if forgotten:
            log.info("repeat_index_pruned", forgotten=forgotten, kept=len(self.index))
        return forgotten


def share_id_base(member: Member, request_id: str) -> str:
    """Deterministic for a retried request, unique otherwise."""
    token = hashlib.sha256(request_id.encode()).hexdigest()[:24] if request_id else uuid.uuid4().hex
    return f"share/{member.token}/{token}"
