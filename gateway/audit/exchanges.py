"""The operational-monitoring record of each relayed message, kept beside the audit log.

One row per envelope id (table `exchange_records` in the audit database, written in the
audit batch's transaction, so it resumes with the audit cursors after a restart):
sent (the envelope's sent_at), published (when the bus stored it), the size in bytes of
the stream message, how many times it was published (a redrive publishes it again), and,
from the receiver's signed receipt, when the message was first shown to the member
(delivered), when the member acknowledged it, and how many deliveries that took.

Not hash-chained: the audit records remain the evidence; this is what the console
searches and shows. A receipt whose signature does not check out here is not taken.
Messages and their receipts come on different streams, so either may arrive first:
each side fills only its own columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.bus.envelopes import case_id_of
from kernel.security.envelopes import Refusal, parse
from jjj.bus.v1 import envelope_pb2

SCHEMA = """
CREATE TABLE IF NOT EXISTS exchange_records (
  envelope_id TEXT PRIMARY KEY, case_id TEXT NOT NULL DEFAULT '', stream TEXT, stream_seq INTEGER,
  sent_at TEXT, published_at TEXT, size_bytes INTEGER, publications INTEGER NOT NULL DEFAULT 0,
  delivered_at TEXT, acknowledged_at TEXT, delivery_count INTEGER, receipt_at TEXT);
CREATE INDEX IF NOT EXISTS exchange_records_case ON exchange_records(case_id);
"""


@dataclass(frozen=True, slots=True)
class Published:
    envelope_id: str
    case_id: str
    stream: str
    stream_seq: int
    sent_at: str | None
    published_at: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Acknowledged:
    envelope_id: str  # of the receipted message
    delivered_at: str | None
    acknowledged_at: str | None
    delivery_count: int
    receipt_at: str


def create(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def _iso(timestamp) -> str | None:
    if not timestamp.seconds and not timestamp.nanos:
        return None
    return timestamp.ToDatetime(tzinfo=UTC).isoformat()


def observation_of(stream: str, seq: int, data: bytes, published_at: datetime, *,
                   verified: bool) -> Published | Acknowledged | None:
    """What one stream message says for the record (pure); None for what is not a relayed message."""
    return observation_of_envelope(stream, seq, parse(data), len(data), published_at.astimezone(UTC).isoformat(),
                                   verified=verified)


def observation_of_envelope(stream: str, seq: int, envelope: envelope_pb2.Envelope | Refusal, size: int, at: str, *,
                            verified: bool) -> Published | Acknowledged | None:
    """`observation_of` for a message already parsed (the audit log's entry parsed it): `size` its bytes,
    `at` when the bus stored it, in ISO 8601 UTC."""
    if isinstance(envelope, Refusal) or not envelope.envelope_id:
        return None
    if envelope.HasField("receipt"):
        if not verified:
            return None
        receipt = envelope.receipt
        return Acknowledged(receipt.envelope_id, _iso(receipt.delivered_at), _iso(receipt.acknowledged_at),
                            receipt.delivery_count, at)
    if envelope.flow == envelope_pb2.FLOW_UNSPECIFIED:
        return None
    return Published(envelope.envelope_id, case_id_of(envelope), stream, seq, _iso(envelope.sent_at), at, size)


def write(db: sqlite3.Connection, observations: Iterable[Published | Acknowledged | None]) -> None:
    """Upsert inside the caller's transaction. The first publication and the first acknowledgement stand;
    a later publication (a redrive) is counted."""
    for item in observations:
        if isinstance(item, Published):
            db.execute(
                "INSERT INTO exchange_records(envelope_id, case_id, stream, stream_seq, sent_at, published_at, size_bytes, publications)"
                " VALUES(?,?,?,?,?,?,?,1) ON CONFLICT(envelope_id) DO UPDATE SET case_id=excluded.case_id,"
                " stream=coalesce(stream, excluded.stream), stream_seq=coalesce(stream_seq, excluded.stream_seq),"
                " sent_at=coalesce(sent_at, excluded.sent_at), published_at=coalesce(published_at, excluded.published_at),"
                " size_bytes=coalesce(size_bytes, excluded.size_bytes), publications=publications + 1",
                (item.envelope_id, item.case_id, item.stream, item.stream_seq, item.sent_at, item.published_at, item.size_bytes))
        elif isinstance(item, Acknowledged):
            db.execute(
                "INSERT INTO exchange_records(envelope_id, delivered_at, acknowledged_at, delivery_count, receipt_at)"
                " VALUES(?,?,?,?,?) ON CONFLICT(envelope_id) DO UPDATE SET"
                " delivered_at=coalesce(delivered_at, excluded.delivered_at),"
                " acknowledged_at=coalesce(acknowledged_at, excluded.acknowledged_at),"
                " delivery_count=coalesce(delivery_count, excluded.delivery_count),"
                " receipt_at=coalesce(receipt_at, excluded.receipt_at)",
                (item.envelope_id, item.delivered_at, item.acknowledged_at, item.delivery_count or None, item.receipt_at))
