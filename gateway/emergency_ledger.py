"""What the federation's emergency watch must not forget across a restart, kept in the projection's database.

Broadcasts, their receivers and acknowledgements are written in the projection's
transaction (SqliteProjection.recorders), so they move with its stream cursors:
a restart resumes at the cursor and finds everything before it here. An escalation
is an outbox: deciding it (the broadcast marked escalated, one row per envelope to
send) is one transaction; each row is marked published once the bus took it, and
rows left unpublished (a failed publish, a crash) are sent again, under the same
envelope id (JetStream drops a duplicate), until the bus takes them. The clusters
warned about are kept too: a restarted gateway does not warn of one again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.projection.store import atomic
from kernel.domain.emergency import EmergencyTracker
from jjj.bus.v1 import envelope_pb2

SCHEMA = """
CREATE TABLE IF NOT EXISTS emergency_broadcasts (
  key TEXT PRIMARY KEY, broadcaster INTEGER NOT NULL, due_at TEXT NOT NULL, broadcast BLOB NOT NULL,
  escalated INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS emergency_receivers (key TEXT, receiver INTEGER, PRIMARY KEY(key, receiver));
CREATE TABLE IF NOT EXISTS emergency_acks (key TEXT, receiver INTEGER, PRIMARY KEY(key, receiver));
CREATE TABLE IF NOT EXISTS emergency_warned (area TEXT, category_code TEXT, PRIMARY KEY(area, category_code));
CREATE TABLE IF NOT EXISTS emergency_outbox (
  envelope_id TEXT PRIMARY KEY, subject TEXT NOT NULL, envelope BLOB NOT NULL, published INTEGER NOT NULL DEFAULT 0);
"""


@dataclass(frozen=True)
class Outgoing:
    envelope_id: str
    subject: str
    envelope: envelope_pb2.Envelope


class EmergencyLedger:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)

    # -- inside the projection's transaction ----------------------------

    def broadcast(self, key: str, broadcaster: int, receiver: int, broadcast: envelope_pb2.EmergencyBroadcast) -> None:
        due = broadcast.ack_due_at.ToDatetime(tzinfo=UTC).isoformat()
        self.db.execute(
            "INSERT INTO emergency_broadcasts(key, broadcaster, due_at, broadcast) VALUES(?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET broadcaster=excluded.broadcaster, due_at=excluded.due_at,"
            " broadcast=excluded.broadcast", (key, broadcaster, due, broadcast.SerializeToString()))
        self.db.execute("INSERT OR IGNORE INTO emergency_receivers VALUES(?,?)", (key, receiver))

    def acknowledge(self, key: str, receiver: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO emergency_acks VALUES(?,?)", (key, receiver))

    # -- the watch's own ------------------------------------------------

    def restore(self) -> tuple[EmergencyTracker, dict[str, envelope_pb2.EmergencyBroadcast]]:
        """The tracker and the broadcasts as they were stored (the acknowledgement that overtook its broadcast too)."""
        tracker, broadcasts = EmergencyTracker(), {}
        receivers: dict[str, list[int]] = {}
        for key, receiver in self.db.execute("SELECT key, receiver FROM emergency_receivers"):
            receivers.setdefault(key, []).append(receiver)
        for key, broadcaster, due_at, blob, escalated in self.db.execute(
                "SELECT key, broadcaster, due_at, broadcast, escalated FROM emergency_broadcasts"):
            broadcasts[key] = envelope_pb2.EmergencyBroadcast.FromString(blob)
            tracker.broadcast(key, broadcaster, receivers.get(key, ()), datetime.fromisoformat(due_at))
            if escalated:
                tracker.mark_escalated(key)
        for key, receiver in self.db.execute("SELECT key, receiver FROM emergency_acks"):
            tracker.acknowledge(key, receiver)
        return tracker, broadcasts

    def escalate(self, key: str, outgoing: list[Outgoing]) -> None:
        """The escalation decided: never decided again, its envelopes to send until sent."""
        with atomic(self.db):
            self.db.execute("UPDATE emergency_broadcasts SET escalated=1 WHERE key=?", (key,))
            self.db.executemany("INSERT OR IGNORE INTO emergency_outbox(envelope_id, subject, envelope) VALUES(?,?,?)",
                                [(o.envelope_id, o.subject, o.envelope.SerializeToString()) for o in outgoing])

    def warned(self) -> set[tuple[str, str]]:
        """The (area, category) of every cluster warned about (each is warned once)."""
        return {(area, code) for area, code in self.db.execute("SELECT area, category_code FROM emergency_warned")}

    def warn(self, area: str, category_code: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO emergency_warned VALUES(?,?)", (area, category_code))

    def unpublished(self) -> list[Outgoing]:
        rows = self.db.execute("SELECT envelope_id, subject, envelope FROM emergency_outbox WHERE published=0"
                               " ORDER BY rowid")
        return [Outgoing(i, s, envelope_pb2.Envelope.FromString(b)) for i, s, b in rows]

    def published(self, envelope_id: str) -> None:
        self.db.execute("UPDATE emergency_outbox SET published=1 WHERE envelope_id=?", (envelope_id,))
