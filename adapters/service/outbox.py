"""An adapter's local durable outbox: what it accepted is on disk before it answers.

One SQLite database per adapter (`<data_dir>/outbox/<jurisdiction>.sqlite3`, mode 0600:
it holds cases, so personal data) with three tables:

- `entries`: what is still to be published, in the order it was accepted (a monotonic
  AUTOINCREMENT row id, never reused). An entry holds everything needed to finish the
  send after a crash: the subject, the envelope bytes as signed, the message id (= the
  envelope id, sent as Nats-Msg-Id so a re-send is dropped by JetStream's duplicate
  window) and the case it carries; the record change to apply after publishing is
  `records.apply(record, envelope)`, a fold that is idempotent, so applying it again
  after a crash changes nothing.
- `requests`: request_id -> the first answer, for idempotent retries (written in the
  same transaction as the entries it answers for: a retry after a crash gets the same
  answer, never a second send). Kept `REQUEST_TTL_SECONDS`, like the bus's duplicate window.
- `records`: a copy of each case record as last stored in the bus's key-value bucket, so
  a submission can be planned (new case, re-route, already out) while the bus is away.

Durability: WAL mode. The commit a member's answer depends on (the entries and the
answer, one per SubmitDocument) runs with `synchronous=FULL`: the WAL is fsynced before
the member is answered, so "OK"/"queued" survives a power loss, not only a kill -9
(NORMAL would survive a kill -9 too, but may lose the last commits on power loss, and
those would be answers already given). Everything else (an entry marked done, the local
copy of a record, the final answer replacing the provisional one) runs with
`synchronous=NORMAL`: safe against a crash of the process, and if a power loss undoes
it, what it undoes is redone (an entry relayed again is deduplicated by the bus; the
provisional answer is still true), and the next FULL commit makes it durable anyway,
since fsyncing the WAL covers every frame before it. One fsync per call rather than
three per case: a 3000-case document otherwise spends most of its time in fsync. The local copies of
records and the final answers (`keep_record_soon`, `remember_soon`) are written together, one
transaction per turn of the event loop, and read back from memory until then.

The calls are synchronous and short (a few rows, on the event loop), except the fsync an
answer waits for: `commit(durable=False)` commits with NORMAL, `written()` marks it, and
`durable(mark)` waits for an fsync of the WAL file in a worker thread (`WalSync`) that started
after the mark. A submission waits for its relay first and for its mark after it; the drainer
starts one fsync for each batch it relays (`sync_soon`), so the calls of a batch share it. A power
loss before that fsync may undo the commit with what followed it in the WAL (the relay's done
mark), never the mark without the commit; the member was not answered yet, and its retry finds
the case gone out already. Concurrent submissions
share one fsync (group commit) and the event loop never stops for the disk: with FULL on
the loop, the fsync was a fifth of the sending adapter's time and every call waited for
every other call's fsync. The durability is FULL's: the commit's WAL frames are written
(to the page cache) before `COMMIT` returns, and the fsync puts them on the disk; a
checkpoint in between fsyncs them itself (NORMAL syncs the WAL before each checkpoint).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.service.records import Record
from adapters.service.store import CaseStore, Written
from kernel.jurisdictions import Member

REQUEST_TTL_SECONDS = 7 * 24 * 3600
# Relayed entries are kept a while for an operator's eyes, then removed.
DONE_TTL_SECONDS = 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    envelope BLOB NOT NULL,
    register INTEGER NOT NULL,
    accepted_at REAL NOT NULL,
    done_at REAL,
    refused TEXT
);
CREATE INDEX IF NOT EXISTS entries_pending ON entries (case_id) WHERE done_at IS NULL AND refused IS NULL;
-- What the drainer reads, oldest first, without scanning the day of done entries kept beside it.
CREATE INDEX IF NOT EXISTS entries_pending_in_order ON entries (id) WHERE done_at IS NULL AND refused IS NULL;
CREATE TABLE IF NOT EXISTS requests (
    method TEXT NOT NULL,
    request_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response BLOB NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (method, request_id)
);
CREATE TABLE IF NOT EXISTS records (
    case_id TEXT PRIMARY KEY,
    record BLOB NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0
);
"""
# Columns added after a table was first created: (table, column, definition).
ADDED_COLUMNS = (("records", "revision", "INTEGER NOT NULL DEFAULT 0"),)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish: a case's referral or transfer, signed."""

    msg_id: str
    case_id: str
    subject: str
    envelope: bytes
    # Share the case's digest (repeat detection) once it is published.
    register: bool = True


@dataclass(frozen=True, slots=True)
class Entry(Outgoing):
    id: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer given to a request_id, and what identifies the request it answered."""

    method: str
    request_id: str
    fingerprint: str
    response: bytes


def outbox_path(data_dir: Path, member: Member) -> Path:
    return data_dir / "outbox" / f"{member.name}.sqlite3"


class Outbox:
    def __init__(self, connection: sqlite3.Connection, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._db = connection
        self.path = path
        self._clock = clock
        self._wal = WalSync(Path(f"{path}-wal"))
        self._unkept: dict[str, tuple[bytes, int]] = {}  # records kept soon, not written yet
        self._unremembered: dict[tuple[str, str], Answer] = {}  # final answers remembered soon, not written yet
        self._keeping_soon = False
        self._synchronous = ""  # the connection's PRAGMA synchronous as last set

    @classmethod
    def open(cls, path: Path, clock: Callable[[], float] = time.time) -> "Outbox":
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(path, 0o600)
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        for table, column, definition in ADDED_COLUMNS:  # an outbox written by an earlier version
            if column not in {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        outbox = cls(connection, path, clock)
        outbox.prune()
        return outbox

    def close(self) -> None:
        self.flush_kept()
        self._wal.close()
        self._db.close()

    # -- entries ------------------------------------------------------------

    async def durable(self, mark: int | None = None) -> None:
        """Every commit made before `mark` (`written`; by default: so far) is on the disk once this
        returns (an fsync shared with the commits made meanwhile). With `commit(durable=False)`: the
        answer a member gets waits for this."""
        await self._wal.durable(mark)

    def written(self) -> int:
        """A mark for `durable`, standing for every commit made so far (take it right after the commit)."""
        return self._wal.mark()

    def sync_soon(self) -> None:
        """Start putting the commits made so far on the disk, for whoever waits for them later."""
        self._wal.sync_soon()

    def commit(self, outgoing: Sequence[Outgoing], answer: Answer | None = None, *, durable: bool = True) -> list[int]:
        """Store the messages (in this order) and the answer in one transaction; their entry ids.
        `durable=False`: not fsynced here (the caller waits for `WalSync.durable`)."""
        now = self._clock()
        ids = []
        with self._transaction(durable=durable):
            for item in outgoing:
                cursor = self._db.execute(
                    "INSERT INTO entries (msg_id, case_id, subject, envelope, register, accepted_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (item.msg_id, item.case_id, item.subject, item.envelope, int(item.register), now))
                ids.append(cursor.lastrowid)
            if answer is not None:
                self._remember(answer, now)
        return ids

    def pending(self, *, case_id: str | None = None) -> list[Entry]:
        """What is still to be published, oldest first (all of it, or one case's)."""
        query = "SELECT id, msg_id, case_id, subject, envelope, register FROM entries WHERE done_at IS NULL AND refused IS NULL"
        parameters: tuple = ()
        if case_id is not None:
            query, parameters = query + " AND case_id = ?", (case_id,)
        rows = self._db.execute(query + " ORDER BY id", parameters).fetchall()
        return [Entry(id=row[0], msg_id=row[1], case_id=row[2], subject=row[3], envelope=row[4], register=bool(row[5]))
                for row in rows]

    def pending_count(self) -> int:
        """How many entries are still to be published (the partial index answers it without the done ones)."""
        return self._db.execute("SELECT count(*) FROM entries WHERE done_at IS NULL AND refused IS NULL").fetchone()[0]

    def mark_done(self, entry_id: int) -> None:
        with self._transaction():
            self._db.execute("UPDATE entries SET done_at = ? WHERE id = ?", (self._clock(), entry_id))

    def mark_done_many(self, entry_ids: Sequence[int]) -> None:
        with self._transaction():
            now = self._clock()
            self._db.executemany("UPDATE entries SET done_at = ? WHERE id = ?", ((now, entry_id) for entry_id in entry_ids))

    def mark_refused(self, entry_id: int, reason: str) -> None:
        """The bus refused it for good: kept for an operator, no longer retried."""
        with self._transaction():
            self._db.execute("UPDATE entries SET refused = ? WHERE id = ?", (reason, entry_id))

    def refused(self) -> list[tuple[Entry, str]]:
        rows = self._db.execute(
            "SELECT id, msg_id, case_id, subject, envelope, register, refused FROM entries WHERE refused IS NOT NULL ORDER BY id")
        return [(Entry(id=r[0], msg_id=r[1], case_id=r[2], subject=r[3], envelope=r[4], register=bool(r[5])), r[6])
                for r in rows]

    # -- answers to request ids ----------------------------------------------

    def recall(self, method: str, request_id: str) -> tuple[str, bytes] | None:
        """(fingerprint of the first request, its response bytes), if this id was answered within the TTL."""
        if (unwritten := self._unremembered.get((method, request_id))) is not None:
            return unwritten.fingerprint, unwritten.response
        row = self._db.execute(
            "SELECT fingerprint, response FROM requests WHERE method = ? AND request_id = ? AND at >= ?",
            (method, request_id, self._clock() - REQUEST_TTL_SECONDS)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def remember(self, answer: Answer) -> None:
        self._unremembered.pop((answer.method, answer.request_id), None)
        with self._transaction():
            self._remember(answer, self._clock())

    def remember_soon(self, answer: Answer) -> None:
        """`remember`, written with the others remembered (and records kept) in the same turn of the event loop:
        for a final answer replacing a provisional one committed before (which a crash meanwhile leaves standing).
        `recall` sees it at once."""
        if not self._soon():
            self.remember(answer)
            return
        self._unremembered[(answer.method, answer.request_id)] = answer

    def forget(self, method: str, request_id: str) -> None:
        self._unremembered.pop((method, request_id), None)
        with self._transaction():
            self._db.execute("DELETE FROM requests WHERE method = ? AND request_id = ?", (method, request_id))

    def _remember(self, answer: Answer, now: float) -> None:
        self._db.execute(
            "INSERT INTO requests (method, request_id, fingerprint, response, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (method, request_id) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " response = excluded.response",
            (answer.method, answer.request_id, answer.fingerprint, answer.response, now))

    # -- the local copy of case records ----------------------------------------

    def local_record(self, case_id: str) -> Record | None:
        if (unkept := self._unkept.get(case_id)) is not None:
            return Record.FromString(unkept[0])
        row = self._db.execute("SELECT record FROM records WHERE case_id = ?", (case_id,)).fetchone()
        return Record.FromString(row[0]) if row else None

    def stored_record(self, case_id: str) -> tuple[bytes, int] | None:
        """The record as last stored in the bucket and the revision it was stored at (None: not known)."""
        if (unkept := self._unkept.get(case_id)) is not None and unkept[1] > 0:
            return unkept
        row = self._db.execute("SELECT record, revision FROM records WHERE case_id = ? AND revision > 0",
                               (case_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def keep_record(self, case_id: str, data: bytes, revision: int) -> None:
        self._unkept.pop(case_id, None)
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO records (case_id, record, revision) VALUES (?, ?, ?)",
                             (case_id, data, revision))

    def keep_record_soon(self, case_id: str, data: bytes, revision: int) -> None:
        """`keep_record`, written with the others kept in the same turn of the event loop: one transaction for
        a batch's records (57 µs a record alone, 21 in a batch of 16). Read back at once (local_record,
        stored_record). A crash before the write leaves the copy behind the bucket, which the copy allows."""
        if not self._soon():
            self.keep_record(case_id, data, revision)
            return
        self._unkept[case_id] = (data, revision)

    def _soon(self) -> bool:
        """A flush of what is kept soon is scheduled for this turn of the event loop (False: no loop runs)."""
        if self._keeping_soon:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._keeping_soon = True
        loop.call_soon(self.flush_kept)
        return True

    def flush_kept(self) -> None:
        """Write the records kept soon and the answers remembered soon, not yet written: one transaction."""
        self._keeping_soon = False
        if not self._unkept and not self._unremembered:
            return
        unkept, self._unkept = self._unkept, {}
        unremembered, self._unremembered = self._unremembered, {}
        now = self._clock()
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO records (case_id, record, revision) VALUES (?, ?, ?)",
                                 [(case_id, data, revision) for case_id, (data, revision) in unkept.items()])
            for answer in unremembered.values():
                self._remember(answer, now)

    # -------------------------------------------------------------------------

    def prune(self) -> None:
        now = self._clock()
        with self._transaction():
            self._db.execute("DELETE FROM entries WHERE done_at IS NOT NULL AND done_at < ?", (now - DONE_TTL_SECONDS,))
            self._db.execute("DELETE FROM requests WHERE at < ?", (now - REQUEST_TTL_SECONDS,))

    def _transaction(self, *, durable: bool = False):
        mode = "FULL" if durable else "NORMAL"
        if mode != self._synchronous:  # a statement for each transaction otherwise, mostly setting what is set
            self._db.execute(f"PRAGMA synchronous={mode}")
            self._synchronous = mode
        return _Transaction(self._db)


class WalSync:
    """fsyncs of a WAL file, each covering every commit made before it started, shared by their waiters.

    A commit is known by a mark taken right after it (`mark`: a count of the points in the WAL so
    far); an fsync covers the marks taken before it started. So a call that waits for the relay
    first can wait for its commit's mark afterwards, and the fsync the relay started for its batch
    (`sync_soon`) is already done or under way: with one fsync per call, 64 calls of one work
    order in flight made 0.8 fsyncs per referral, each a hand-off to a worker thread and back
    (docs/PERFORMANCE.md, sixteenth pass).

    All bookkeeping runs on the event loop (one thread); only the fsync runs in a worker thread."""

    def __init__(self, path: Path, fsync: Callable[[int], None] = os.fsync) -> None:
        self.path = path
        self._fsync = fsync
        self._fd: int | None = None
        self._marks = 0   # marks taken so far: the n-th stands for every commit made before it
        self._synced = 0  # the highest mark a finished fsync covers
        self._running: asyncio.Task | None = None
        self._again = False  # asked for while one ran: the next starts when it ends

    def mark(self) -> int:
        """A point in the WAL: every commit made so far is before it (take it right after the commit)."""
        self._marks += 1
        return self._marks

    async def durable(self, mark: int | None = None) -> None:
        """Return once every commit before `mark` (by default: before this call) is on the disk
        (raises what the fsync raised)."""
        needed = self.mark() if mark is None else mark
        while self._synced < needed:
            if self._running is None:
                self._start()
            await asyncio.shield(self._running)

    def sync_soon(self) -> None:
        """Start an fsync of the commits marked so far (its waiters come later); while one runs, the next
        starts as soon as it ends, rather than when the first waiter it missed comes for it."""
        if self._running is not None:
            self._again = True
        elif self._synced < self._marks:
            self._start().add_done_callback(_retrieved)

    def _start(self) -> asyncio.Task:
        # It covers the marks taken before it starts (our commits came before them).
        self._running = asyncio.create_task(self._sync(self._marks))
        return self._running

    async def _sync(self, covers: int) -> None:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)  # exists once the first commit went to the WAL
            await asyncio.to_thread(self._fsync, self._fd)
            self._synced = max(self._synced, covers)
        finally:
            self._running = None
            again, self._again = self._again, False
            if again and not asyncio.current_task().cancelling():  # not once the adapter is stopping
                self.sync_soon()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _retrieved(task: asyncio.Task) -> None:
    """An fsync nobody awaited: its failure is raised to the next waiter's own fsync, not logged as lost."""
    if not task.cancelled():
        task.exception()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): the connection runs in autocommit mode otherwise.
    Its durability is the connection's PRAGMA synchronous (set by Outbox._transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, traceback) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


class MirroredCaseStore(CaseStore):
    """The bus's case records, each one copied to the outbox's database with its revision when stored there.

    The copy is also what the next change of a case is compare-and-set against when the records
    kept in memory no longer hold it (a receipt coming back after thousands of other cases, a step
    days later): a local read instead of a bucket read. A copy that is behind the bucket (a crash
    between the two writes) costs one failed compare-and-set, then the bucket is read."""

    def __init__(self, store: CaseStore, outbox: Outbox) -> None:
        super().__init__(store._bucket, store._nc)
        self.outbox = outbox

    def _last_written(self, key: str, case_id: str) -> Written | None:
        if (remembered := super()._last_written(key, case_id)) is not None:
            return remembered
        copy = self.outbox.stored_record(case_id)
        return Written(*copy, certain=False) if copy is not None else None

    def _stored(self, key: str, record: Record, data: bytes, revision: int) -> None:
        super()._stored(key, record, data, revision)
        if record.case.case_id:
            self.outbox.keep_record_soon(record.case.case_id, data, revision)
