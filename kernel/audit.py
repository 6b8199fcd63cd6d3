"""The audit log (工作留痕) as a hash chain, and the checks that find a changed, removed,
reordered or truncated record. Pure: records in, findings out.

Each record holds the hash of the one before it (`prev_hash`; the first holds GENESIS)
and its own hash over its canonical encoding: a JSON array of every field but `hash`,
in FIELDS order, UTF-8, no spaces. So a changed field breaks the record's own hash, a
removed record leaves a gap in `seq`, a record moved elsewhere keeps a hash that fits
another position, and a chain rewritten from some record on disagrees with the signed
anchor (the chain head at a sequence, signed by the gateway's key) stored apart. Only a
cut after the last anchor goes unseen, until the next anchor.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kernel.security.envelopes import KeyLookup
from kernel.security.keys import FEDERATION
from kernel.security.signing import Signer, verify as verify_signature

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What is recorded of one message, before it takes its place in the chain."""

    at: str  # ISO 8601, UTC: when the bus took the message
    kind: str  # the flow's subject token (referral, status, share, receipt, ...) or "dead_letter"
    envelope_id: str
    case_id: str
    sender: str  # a member's name, "federation", or a subject's token for what could not be read
    destination: str
    status: str  # "verified", "refused:<REASON>" (a bad signature or sender), "dead:<REASON>" (refused by a receiver)
    step: str  # the case status a referral or status update moves to ("" for others)
    digest: str  # SHA-256 hex of the message's bytes as published
    key_id: str  # of the signature ("" if none)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: str
    kind: str
    envelope_id: str
    case_id: str
    sender: str
    destination: str
    status: str
    step: str
    digest: str
    key_id: str
    prev_hash: str
    hash: str


FIELDS = tuple(field.name for field in dataclasses.fields(AuditRecord))
HASHED = FIELDS[:-1]
_ENTRY_VALUES = operator.attrgetter(*(field.name for field in dataclasses.fields(AuditEntry)))
_HASHED_VALUES = operator.attrgetter(*HASHED)
# A record's values in FIELDS order, as stored (dataclasses.astuple deep-copies every field: slower, same result).
row_of = operator.attrgetter(*FIELDS)


def canonical(values: Sequence) -> bytes:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_hash(record: AuditRecord, *, seq: int | None = None) -> str:
    """The hash the record's fields give (at another position, with `seq`)."""
    values = _HASHED_VALUES(record)
    if seq is not None:
        values = (seq, *values[1:])
    return hashlib.sha256(canonical(values)).hexdigest()


def append(previous: AuditRecord | None, entry: AuditEntry) -> AuditRecord:
    seq, prev_hash = (previous.seq + 1, previous.hash) if previous is not None else (1, GENESIS)
    values = (seq, *_ENTRY_VALUES(entry), prev_hash)
    return AuditRecord(*values, hashlib.sha256(canonical(values)).hexdigest())


def extend(previous: AuditRecord | None, entries: Iterable[AuditEntry]) -> list[AuditRecord]:
    records = []
    for entry in entries:
        previous = append(previous, entry)
        records.append(previous)
    return records


# -- anchors ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain head at record `seq`, signed by the federation's key."""

    seq: int
    head: str
    at: str
    key_id: str
    signature: str  # base64

    def signed_bytes(self) -> bytes:
        return canonical([self.seq, self.head, self.at])

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Anchor":
        return cls(**json.loads(text))


def anchor(record: AuditRecord, signer: Signer, at: str) -> Anchor:
    unsigned = Anchor(seq=record.seq, head=record.hash, at=at, key_id=signer.key_id, signature="")
    return dataclasses.replace(unsigned, signature=base64.b64encode(signer.sign(unsigned.signed_bytes())).decode())


def anchor_is_genuine(candidate: Anchor, keys: KeyLookup) -> bool:
    entry = keys.get(candidate.key_id)
    if entry is None or entry.owner != FEDERATION:
        return False
    try:
        signature = base64.b64decode(candidate.signature, validate=True)
    except ValueError:
        return False
    return verify_signature(entry.public_key, signature, candidate.signed_bytes())


# -- verification ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """The first thing wrong with a log: the record (by sequence) and what happened to it."""

    seq: int
    problem: str  # changed, removed, reordered, rewritten, truncated, forged_anchor
    detail: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.problem}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Verified:
    records: int
    head: str
    anchored_at: int  # the highest anchor's record (0: none)


def verify(records: Sequence[AuditRecord], anchors: Sequence[Anchor] = (), keys: KeyLookup | None = None) -> Verified | Finding:
    """Walk the chain in stored order, then hold it against the anchors."""
    found = _walk(records)
    if found is not None:
        return found
    by_seq = {record.seq: record for record in records}
    last = records[-1].seq if records else 0
    genuine = []
    for candidate in sorted(anchors, key=lambda a: a.seq):
        if keys is None or not anchor_is_genuine(candidate, keys):
            return Finding(candidate.seq, "forged_anchor", f"the anchor at record {candidate.seq} is not signed by the federation's key")
        genuine.append(candidate)
    for candidate in genuine:
        if candidate.seq <= last and by_seq[candidate.seq].hash != candidate.head:
            return Finding(candidate.seq, "rewritten",
                           f"the chain head at record {candidate.seq} is not the one anchored at {candidate.at}: "
                           f"records up to {candidate.seq} were changed and re-hashed")
    if genuine and genuine[-1].seq > last:
        newest = genuine[-1]
        return Finding(last + 1, "truncated",
                       f"records {last + 1}..{newest.seq} are missing: the log ends at {last}, the anchor signed at "
                       f"{newest.at} covers up to {newest.seq}")
    return Verified(len(records), records[-1].hash if records else GENESIS, genuine[-1].seq if genuine else 0)


def _walk(records: Sequence[AuditRecord]) -> Finding | None:
    present = {record.seq for record in records}
    expected, prev_hash = 1, GENESIS
    for record in records:
        if record_hash(record) != record.hash:
            moved_from = _original_position(record, upto=max(present) + len(records) + 1)
            if moved_from is not None:
                return Finding(record.seq, "reordered", f"it holds record {moved_from}, intact, moved from its place")
            return Finding(record.seq, "changed", "its content does not match its hash")
        if record.seq < expected:
            return Finding(record.seq, "reordered", f"record {record.seq} comes again after record {expected - 1}")
        if record.seq > expected:
            if any(later.seq == expected for later in records):
                return Finding(expected, "reordered", f"record {record.seq} is stored before record {expected}")
            missing = f"{expected}" if record.seq == expected + 1 else f"{expected}..{record.seq - 1}"
            return Finding(expected, "removed", f"record(s) {missing} missing: {record.seq} follows {expected - 1}")
        if record.prev_hash != prev_hash:
            return Finding(record.seq, "changed" if record.seq == 1 else "rewritten",
                           f"it does not follow record {record.seq - 1}: that record was replaced, or records were "
                           "removed and renumbered")
        expected, prev_hash = record.seq + 1, record.hash
    return None


def _original_position(record: AuditRecord, *, upto: int) -> int | None:
    """The sequence at which this record's own hash fits, if not its stored one: it was moved."""
    for seq in range(1, upto + 1):
        if seq != record.seq and record_hash(record, seq=seq) == record.hash:
            return seq
    return None
