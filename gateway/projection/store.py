"""Where the gateway keeps what crossed a border, so its questions are cheap.

`ProjectionStore` is the narrow interface the query service and the projector
use; `SqliteProjection` is the embedded default (PostgreSQL can implement the same
interface for deployments with several gateways). Applying is idempotent
(envelope_id is the key) and order-tolerant: the current status is the one of
the highest sequence seen, and the trail is ordered by sequence.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from kernel import jurisdictions
from kernel.bus.envelopes import CASE_PAYLOADS, case_step
from kernel.domain.casestate import CaseState, fold
from kernel.domain.measures import CaseFacts
from gateway import observe
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

BEIJING = timezone(timedelta(hours=8))
Flow = envelope_pb2.Flow


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    origin: int
    holder: int
    native_id: str
    status: int
    flow: int
    referred_at: datetime | None
    updated_at: datetime | None
    due_at: datetime | None
    sequence: int


@dataclass(frozen=True, slots=True)
class TrailRow:
    envelope_id: str
    case_id: str
    at: datetime
    flow: int
    sender: int
    destination: int
    status: int
    actor: str
    note: str
    sequence: int
    event_type: int = 0


@dataclass(frozen=True, slots=True)
class CaseFilter:
    native_id: str = ""
    origin: int = 0
    holder: int = 0
    due_before: datetime | None = None
    day: str = ""
    after_case_id: str = ""
    limit: int = 100


class ProjectionStore(abc.ABC):
    @abc.abstractmethod
    def apply(self, envelope: envelope_pb2.Envelope, *, stream: str, stream_seq: int, observed_at: datetime) -> bool: ...

    @abc.abstractmethod
    def cursor(self, stream: str) -> int: ...

    @abc.abstractmethod
    def case(self, case_id: str) -> CaseRow | None: ...

    @abc.abstractmethod
    def trail(self, case_id: str) -> list[TrailRow]: ...

    @abc.abstractmethod
    def cases(self, where: CaseFilter) -> list[CaseRow]: ...

    @abc.abstractmethod
    def message_statistics(self, day: str = "") -> list[dict]: ...

    @abc.abstractmethod
    def case_facts(self) -> list[dict]: ...

    @abc.abstractmethod
    def measure_facts(self) -> list[CaseFacts]: ...

    @abc.abstractmethod
    def case_states(self) -> list[CaseState]:
        """The folded state of every case whose referral was seen."""

    @abc.abstractmethod
    def case_state(self, case_id: str) -> CaseState | None:
        """One case's folded state (None: nothing seen of it)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
  case_id TEXT PRIMARY KEY, origin INTEGER, holder INTEGER, native_id TEXT, status INTEGER,
  flow INTEGER, referred_at TEXT, updated_at TEXT, due_at TEXT, sequence INTEGER NOT NULL DEFAULT 0,
  attempt INTEGER NOT NULL DEFAULT 0, day TEXT, kind INTEGER DEFAULT 0, urgency INTEGER DEFAULT 0,
  signed_at TEXT, returned_count INTEGER NOT NULL DEFAULT 0, overdue INTEGER NOT NULL DEFAULT 0,
  contacted INTEGER, resolved INTEGER, satisfaction INTEGER DEFAULT 0, holder_sequence INTEGER NOT NULL DEFAULT -1,
  procedure INTEGER NOT NULL DEFAULT 0, replied_at TEXT, evaluated_at TEXT, first_time INTEGER NOT NULL DEFAULT 0,
  repeat INTEGER NOT NULL DEFAULT 0, reply_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS cases_native ON cases(native_id);
CREATE INDEX IF NOT EXISTS cases_due ON cases(due_at);
CREATE INDEX IF NOT EXISTS cases_overdue ON cases(case_id) WHERE overdue = 1;
CREATE INDEX IF NOT EXISTS cases_pair_day ON cases(origin, holder, day);
CREATE TABLE IF NOT EXISTS trail (
  envelope_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, at TEXT, flow INTEGER, sender INTEGER,
  destination INTEGER, status INTEGER, actor TEXT, note TEXT, sequence INTEGER, observed_at TEXT,
  lag_ms REAL, day TEXT, event_type INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS trail_case ON trail(case_id, sequence);
CREATE INDEX IF NOT EXISTS trail_pair_day ON trail(sender, destination, day);
CREATE TABLE IF NOT EXISTS extensions (
  case_id TEXT, sequence INTEGER, step TEXT, amount INTEGER, PRIMARY KEY(case_id, sequence));
CREATE TABLE IF NOT EXISTS receipts (
  envelope_id TEXT, receiver INTEGER, case_id TEXT, acknowledged_at TEXT, PRIMARY KEY(envelope_id, receiver));
CREATE TABLE IF NOT EXISTS deadline_notices (
  case_id TEXT, step TEXT, kind INTEGER, due_at TEXT, provisional INTEGER, PRIMARY KEY(case_id, step, kind, due_at));
"""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _ts(stamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


def beijing_day(value: datetime) -> str:
    return value.astimezone(BEIJING).date().isoformat()


@contextlib.contextmanager
def savepoint(db: sqlite3.Connection) -> Iterator[None]:
    """All of the block or none of it, inside the transaction already open."""
    db.execute("SAVEPOINT block")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK TO block")
        raise
    finally:
        db.execute("RELEASE block")


@contextlib.contextmanager
def atomic(db: sqlite3.Connection) -> Iterator[None]:
    """One transaction on the projection's connection: a savepoint of the batch the projector holds
    open (committed with it), else a transaction of its own."""
    if db.in_transaction:
        with savepoint(db):
            yield
        return
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class SqliteProjection(ProjectionStore):
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        observe.ensure_trace_table(self.db)
        self._migrate()
        # Others' bookkeeping that must move with the cursors (gateway.emergency_ledger, gateway.cohandling):
        # each is called with every newly projected envelope, inside the projection's transaction.
        self.recorders: list[Callable[[envelope_pb2.Envelope], None]] = []

    def _migrate(self) -> None:
        """Columns added since a projection file was created (else delete it: it rebuilds by replay)."""
        present = {row[1] for row in self.db.execute("PRAGMA table_info(cases)")}
        if "holder_sequence" not in present:
            self.db.execute("ALTER TABLE cases ADD COLUMN holder_sequence INTEGER NOT NULL DEFAULT -1")
        if "event_type" not in {row[1] for row in self.db.execute("PRAGMA table_info(trail)")}:
            self.db.execute("ALTER TABLE trail ADD COLUMN event_type INTEGER NOT NULL DEFAULT 0")
        for column, declaration in (("procedure", "INTEGER NOT NULL DEFAULT 0"), ("replied_at", "TEXT"),
                                    ("evaluated_at", "TEXT"), ("first_time", "INTEGER NOT NULL DEFAULT 0"),
                                    ("repeat", "INTEGER NOT NULL DEFAULT 0"), ("reply_count", "INTEGER NOT NULL DEFAULT 0")):
            if column not in present:
                self.db.execute(f"ALTER TABLE cases ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self.flush()
        self.db.close()

    def cursor(self, stream: str) -> int:
        row = self.db.execute("SELECT seq FROM cursors WHERE stream=?", (stream,)).fetchone()
        return row[0] if row else 0

    # While True, `apply` leaves its transaction open for the next message; `flush()` commits what
    # was applied (one commit, one fsync, per batch of messages rather than per message).
    batching: bool = False

    def apply(self, envelope: envelope_pb2.Envelope, *, stream: str, stream_seq: int, observed_at: datetime) -> bool:
        # One transaction (or one savepoint of the batch's): the cursor moves with the data.
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        try:
            with savepoint(self.db):
                changed = self._apply(envelope, observed_at)
                self.db.execute(
                    "INSERT INTO cursors(stream, seq) VALUES(?, ?) ON CONFLICT(stream) DO UPDATE SET seq=max(seq, excluded.seq)",
                    (stream, stream_seq),
                )
        finally:
            if not self.batching:
                self.flush()
        return changed

    def flush(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def _apply(self, envelope: envelope_pb2.Envelope, observed_at: datetime) -> bool:
        payload = envelope.WhichOneof("payload")
        if payload == "receipt":  # delivery, not a step: no trail row
            receipt = envelope.receipt
            return bool(self.db.execute("INSERT OR IGNORE INTO receipts VALUES(?,?,?,?)", (
                receipt.envelope_id, receipt.receiver, receipt.case_id,
                _iso(_ts(receipt.acknowledged_at) or observed_at))).rowcount)
        sent_at = _ts(envelope.sent_at) or observed_at
        lag_ms = max(0.0, (observed_at - sent_at).total_seconds() * 1000)
        day = beijing_day(sent_at)
        if payload in ("referral", "hotline_transfer"):
            body = getattr(envelope, payload)
            case = body.case
            status, actor, note, sequence, case_id = case_pb2.STATUS_REFERRED, "", body.note, body.sequence, case.case_id
        elif payload == "status_update":
            update = envelope.status_update
            case_id, status, sequence = update.case_id, update.status, update.sequence
            actor, note = update.event.actor, update.event.note or update.reason
        else:
            self._record_deadlines(envelope.information_share)
            self._record_repeats(envelope.information_share)
            case_id, status, actor, note, sequence = "", 0, "", envelope.information_share.title, 0
        event_type = envelope.status_update.event.type if payload == "status_update" else 0
        inserted = self.db.execute(
            "INSERT OR IGNORE INTO trail(envelope_id, case_id, at, flow, sender, destination, status, actor, note,"
            " sequence, observed_at, lag_ms, day, event_type) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (envelope.envelope_id, case_id, _iso(sent_at), envelope.flow, envelope.sender, envelope.destination,
             status, actor, note, sequence, _iso(observed_at), lag_ms, day, event_type),
        ).rowcount
        if inserted:
            for record in self.recorders:
                record(envelope)
        if not inserted or not case_id:
            return bool(inserted)
        self._fold(case_id, envelope, sent_at, day)
        if payload == "status_update":
            self._record_facts(case_id, envelope.status_update, _ts(envelope.status_update.event.at) or sent_at)
            extension = envelope.status_update.event.extension
            if envelope.status_update.event.type == case_pb2.EVENT_TYPE_EXTENSION and extension.step:
                self.db.execute("INSERT OR IGNORE INTO extensions VALUES(?,?,?,?)",
                                (case_id, sequence, extension.step, extension.amount))
        return True

    _STATE_COLUMNS = ("origin", "holder", "status", "sequence", "attempt", "flow", "kind", "urgency", "holder_sequence",
                      "procedure")

    def _fold(self, case_id: str, envelope: envelope_pb2.Envelope, sent_at: datetime, day: str) -> None:
        """Move the case's state through the kernel's fold; the case's other facts come along."""
        row = self.db.execute(f"SELECT {', '.join(self._STATE_COLUMNS)}, due_at FROM cases WHERE case_id=?",
                              (case_id,)).fetchone()
        before = None
        if row is not None:
            # A stub row (a notice seen before its referral) has no state yet: what the fold would start from.
            origin, *rest = (value or 0 for value in row[:-1])
            before = CaseState(case_id, origin or jurisdictions.origin_of_case_id(case_id).enum, *rest, _dt(row[-1]))
            before = dataclasses.replace(before, holder_sequence=row[self._STATE_COLUMNS.index("holder_sequence")])
        after = fold(before, case_step(envelope))
        if after is before:
            return
        state = {column: getattr(after, column) for column in self._STATE_COLUMNS}
        facts = {}
        if before is None or after.sequence != before.sequence:
            facts["updated_at"] = _iso(sent_at)  # the time of the step the status is from
        if envelope.WhichOneof("payload") in CASE_PAYLOADS:
            case = getattr(envelope, envelope.WhichOneof("payload")).case
            facts.update(native_id=case.native_id, due_at=_iso(_ts(case.due_at)),
                         first_time=int(case.petition.first_time), repeat=int(case.petition.repeat))
        columns = {"case_id": case_id, **state, **facts, "referred_at": None, "day": None}
        if "native_id" in facts:
            columns.update(referred_at=_iso(sent_at), day=day)
        updates = ", ".join(f"{c}=excluded.{c}" for c in (*state, *facts))
        self.db.execute(
            f"INSERT INTO cases({', '.join(columns)}) VALUES({', '.join('?' * len(columns))})"
            f" ON CONFLICT(case_id) DO UPDATE SET {updates},"
            " referred_at=coalesce(cases.referred_at, excluded.referred_at), day=coalesce(cases.day, excluded.day)",
            tuple(columns.values()),
        )

    def _record_facts(self, case_id: str, update: envelope_pb2.StatusUpdate, at: datetime) -> None:
        """What statistics count: signing time, returns, the follow-up result."""
        if update.status == case_pb2.STATUS_RECEIVED:
            self.db.execute("UPDATE cases SET signed_at=coalesce(signed_at, ?) WHERE case_id=?", (_iso(at), case_id))
        elif update.status == case_pb2.STATUS_RETURNED:
            self.db.execute("UPDATE cases SET returned_count=returned_count+1 WHERE case_id=?", (case_id,))
        elif update.status == case_pb2.STATUS_REPLIED:
            # a re-handled case is replied to again: its follow-up clock counts from the last reply
            self.db.execute("UPDATE cases SET replied_at=?, evaluated_at=NULL, reply_count=reply_count+1 WHERE case_id=?",
                            (_iso(at), case_id))
        elif update.status == case_pb2.STATUS_EVALUATED:
            self.db.execute("UPDATE cases SET evaluated_at=coalesce(evaluated_at, ?) WHERE case_id=?", (_iso(at), case_id))
        if update.HasField("feedback"):
            feedback = update.feedback
            self.db.execute(
                "UPDATE cases SET contacted=coalesce(?, contacted), resolved=coalesce(?, resolved),"
                " satisfaction=CASE WHEN ? > 0 THEN ? ELSE satisfaction END WHERE case_id=?",
                (int(feedback.contacted) if feedback.HasField("contacted") else None,
                 int(feedback.resolved) if feedback.HasField("resolved") else None,
                 feedback.satisfaction, feedback.satisfaction, case_id),
            )

    def _record_repeats(self, share: envelope_pb2.InformationShare) -> None:
        for link in share.repeat_links:
            self.db.execute("INSERT OR IGNORE INTO cases(case_id, sequence, attempt) VALUES(?, 0, 0)", (link.case_id,))
            self.db.execute("UPDATE cases SET repeat=1 WHERE case_id=?", (link.case_id,))

    def _record_deadlines(self, share: envelope_pb2.InformationShare) -> None:
        for notice in share.deadlines:
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO deadline_notices VALUES(?,?,?,?,?)",
                (notice.case_id, notice.step, notice.kind, _iso(_ts(notice.due_at)), int(notice.provisional)),
            ).rowcount
            if inserted and notice.kind == envelope_pb2.DEADLINE_KIND_OVERDUE:
                # The notice may come before its referral (streams replay independently): keep a stub row.
                self.db.execute("INSERT OR IGNORE INTO cases(case_id, sequence, attempt) VALUES(?, 0, 0)", (notice.case_id,))
                self.db.execute("UPDATE cases SET overdue=1 WHERE case_id=?", (notice.case_id,))

    def case_facts(self) -> list[dict]:
        """Every case with what deadlines and statistics need."""
        keys = ("case_id", "origin", "holder", "kind", "urgency", "flow", "day", "referred_at", "signed_at",
                "returned_count", "overdue", "contacted", "resolved", "satisfaction", "status", "procedure",
                "replied_at", "evaluated_at")
        rows = self.db.execute(f"SELECT {', '.join(keys)} FROM cases WHERE attempt > 0")
        return [dict(zip(keys, row)) for row in rows]

    def delivered_at(self, envelope_id: str, receiver: int) -> datetime | None:
        """When `receiver`'s member acknowledged the message (its signed receipt), None before the receipt is seen."""
        row = self.db.execute("SELECT acknowledged_at FROM receipts WHERE envelope_id=? AND receiver=?",
                              (envelope_id, receiver)).fetchone()
        return _dt(row[0]) if row else None

    def extensions(self, case_id: str) -> dict[int, tuple[str, int]]:
        """sequence -> (step, amount) of the case's extension steps (rebuilding clocks after a restart)."""
        rows = self.db.execute("SELECT sequence, step, amount FROM extensions WHERE case_id=?", (case_id,))
        return {sequence: (step, amount) for sequence, step, amount in rows}

    def measure_facts(self) -> list[CaseFacts]:
        """Every referred case as the measures (kernel.domain.measures) see it."""
        statuses: dict[str, set[int]] = {}
        for case_id, status in self.db.execute("SELECT DISTINCT case_id, status FROM trail WHERE case_id != ''"):
            statuses.setdefault(case_id, set()).add(status)
        events: dict[str, dict[int, int]] = {}
        for case_id, event_type, count in self.db.execute(
                "SELECT case_id, event_type, COUNT(*) FROM trail WHERE event_type > 0 GROUP BY case_id, event_type"):
            events.setdefault(case_id, {})[event_type] = count
        overdue: dict[str, set[str]] = {}
        for case_id, step in self.db.execute("SELECT DISTINCT case_id, step FROM deadline_notices WHERE kind=?",
                                             (envelope_pb2.DEADLINE_KIND_OVERDUE,)):
            overdue.setdefault(case_id, set()).add(step)
        rows = self.db.execute(
            "SELECT case_id, origin, holder, kind, day, referred_at, urgency, procedure, status, signed_at, returned_count,"
            " contacted, resolved, satisfaction, replied_at, evaluated_at, reply_count, first_time, repeat"
            " FROM cases WHERE attempt > 0")
        return [
            CaseFacts(case_id=r[0], origin=r[1], holder=r[2], kind=r[3] or 0, day=r[4], referred_at=_dt(r[5]),
                      urgency=r[6] or 0, procedure=r[7] or 0, status=r[8] or 0, signed_at=_dt(r[9]), returned=r[10] > 0,
                      contacted=None if r[11] is None else bool(r[11]), resolved=None if r[12] is None else bool(r[12]),
                      satisfaction=r[13] or 0, replied_at=_dt(r[14]), evaluated_at=_dt(r[15]), replies=r[16],
                      statuses=frozenset(statuses.get(r[0], ())), overdue_steps=frozenset(overdue.get(r[0], ())),
                      first_time=bool(r[17]), repeat=bool(r[18]),
                      urgings=events.get(r[0], {}).get(case_pb2.EVENT_TYPE_URGING, 0),
                      supervisions=events.get(r[0], {}).get(case_pb2.EVENT_TYPE_SUPERVISION, 0))
            for r in rows
        ]

    def case_state(self, case_id: str) -> CaseState | None:
        row = self.db.execute(f"SELECT case_id, {', '.join(self._STATE_COLUMNS)}, due_at FROM cases WHERE case_id=?",
                              (case_id,)).fetchone()
        return CaseState(*row[:-1], _dt(row[-1])) if row else None

    def case_states(self) -> list[CaseState]:
        rows = self.db.execute(f"SELECT case_id, {', '.join(self._STATE_COLUMNS)}, due_at FROM cases WHERE attempt > 0")
        return [CaseState(*row[:-1], _dt(row[-1])) for row in rows]

    def _case_row(self, row) -> CaseRow:
        return CaseRow(row[0], row[1] or 0, row[2] or 0, row[3] or "", row[4] or 0, row[5] or 0,
                       _dt(row[6]), _dt(row[7]), _dt(row[8]), row[9] or 0)

    _CASE_COLUMNS = "case_id, origin, holder, native_id, status, flow, referred_at, updated_at, due_at, sequence"

    def case(self, case_id: str) -> CaseRow | None:
        row = self.db.execute(f"SELECT {self._CASE_COLUMNS} FROM cases WHERE case_id=?", (case_id,)).fetchone()
        return self._case_row(row) if row else None

    def trail(self, case_id: str) -> list[TrailRow]:
        rows = self.db.execute(
            "SELECT envelope_id, case_id, at, flow, sender, destination, status, actor, note, sequence, event_type FROM trail"
            " WHERE case_id=? ORDER BY sequence, at, envelope_id", (case_id,),
        )
        return [TrailRow(r[0], r[1], _dt(r[2]), r[3], r[4], r[5], r[6], r[7] or "", r[8] or "", r[9], r[10] or 0)
                for r in rows]

    def cases(self, where: CaseFilter) -> list[CaseRow]:
        clauses, args = ["case_id > ?"], [where.after_case_id]
        for column, value in (("native_id", where.native_id), ("origin", where.origin), ("holder", where.holder), ("day", where.day)):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        if where.due_before:
            clauses.append("due_at IS NOT NULL AND due_at < ?")
            args.append(_iso(where.due_before))
        query = f"SELECT {self._CASE_COLUMNS} FROM cases WHERE {' AND '.join(clauses)} ORDER BY case_id LIMIT ?"
        return [self._case_row(r) for r in self.db.execute(query, (*args, where.limit))]

    def message_statistics(self, day: str = "") -> list[dict]:
        """Per sender, destination and day: status updates sent and the relay lag (p50, max)."""
        query = """SELECT sender, destination, day, SUM(flow=?), group_concat(lag_ms)
                   FROM trail WHERE (?='' OR day=?) AND sender IS NOT NULL GROUP BY sender, destination, day"""
        result = []
        for sender, destination, row_day, updates, lags in self.db.execute(query, (Flow.FLOW_STATUS_UPDATE, day, day)):
            values = sorted(float(v) for v in (lags or "").split(",") if v)
            result.append(dict(sender=sender, destination=destination, day=row_day, status_updates=updates or 0,
                               lag_p50_ms=values[len(values) // 2] if values else 0.0, lag_max_ms=values[-1] if values else 0.0))
        return result
