"""What a member system acknowledged, remembered by its adapter on disk.

JetStream's own memory of an acknowledgement is not enough: its duplicate window
ends, and a consumer can lose its ack state (a nats-server restart did, the operator
may delete a consumer). The adapter records each envelope its member acknowledged
here, durably, BEFORE it acknowledges the message on the bus; an envelope found here
that the bus delivers again is settled on the bus and never shown to the member.

It also keeps which envelope each item id showed (written before the item goes to the
member, not fsynced: it survives a crash of the process; a power loss losing the last of
it only means an acknowledgement answered NOT_FOUND and the item delivered again), so an
item shown by an earlier process of the adapter (a crash, a restart) can still be
acknowledged by its id: the member may not have noticed the restart.

One SQLite file (WAL, synchronous FULL, mode 0600; a second, read-only connection for lookups) per member under the adapter's data
directory, keyed by envelope id, kept for `retention` (InboxSettings) and pruned in
the background. Only the member's acknowledgements go here: a message that was
dead-lettered and redriven was never acknowledged, so it is delivered.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from kernel.waiting import pause

import structlog

log = structlog.get_logger(__name__)
FILE_NAME = "acknowledged.sqlite3"
FILE_MODE = 0o600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS acknowledged (
    envelope_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    acknowledged_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS acknowledged_by_item ON acknowledged (item_id);
CREATE INDEX IF NOT EXISTS acknowledged_by_time ON acknowledged (acknowledged_at);
CREATE TABLE IF NOT EXISTS shown (
    item_id TEXT PRIMARY KEY,
    envelope_id TEXT NOT NULL,
    shown_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS shown_by_time ON shown (shown_at);
"""


def log_path(data_dir: Path, member_name: str) -> Path:
    return data_dir / "adapters" / member_name / FILE_NAME


def _create_private(path: Path) -> None:
    """The file exists with mode 0600 before SQLite opens it (its -wal and -shm files take the same mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    os.close(descriptor)
    os.chmod(path, FILE_MODE)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    envelope_id: str
    item_id: str
    acknowledged_at: float


class AcknowledgedLog:
    """The durable record; every call runs in a worker thread so the event loop never waits on the disk."""

    def __init__(self, path: Path, *, retention_seconds: float) -> None:
        _create_private(path)
        self.path = path
        self.retention_seconds = retention_seconds
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Written before the bus's ack: it must survive a crash of the machine, not only of the process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        # Asked once per delivered item (`contains`): a primary-key read on a reader of its own, on the event
        # loop. A WAL reader waits for no writer, so it never waits on the writer's fsync; a worker thread per
        # item cost more than the read.
        self._reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
        self._shown_pending: dict[str, tuple[str, float]] = {}

    def _run(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    async def record(self, envelope_id: str, item_id: str, *, at: float | None = None) -> None:
        """Idempotent: the first acknowledgement's time stays."""
        await asyncio.to_thread(self._run, "INSERT OR IGNORE INTO acknowledged VALUES (?, ?, ?)",
                                (envelope_id, item_id, time.time() if at is None else at))

    async def record_many(self, acknowledged: list[tuple[str, str]], *, at: float | None = None) -> None:
        """(envelope id, item id) pairs, in one transaction (one fsync); idempotent like `record`."""
        stamp = time.time() if at is None else at

        def insert() -> None:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany("INSERT OR IGNORE INTO acknowledged VALUES (?, ?, ?)",
                                         ((envelope_id, item_id, stamp) for envelope_id, item_id in acknowledged))
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")

        await asyncio.to_thread(insert)

    def note_shown(self, item_id: str, envelope_id: str) -> None:
        """The item was shown to the member; kept at the next `flush_shown` (latest showing wins:
        a stream re-created after a lost store numbers its items afresh)."""
        self._shown_pending[item_id] = (envelope_id, time.time())

    async def flush_shown(self) -> None:
        if not self._shown_pending:
            return
        pending, self._shown_pending = self._shown_pending, {}

        def insert() -> None:
            with self._lock:
                self._db.execute("PRAGMA synchronous=NORMAL")  # not what an answer depends on
                try:
                    self._db.execute("BEGIN")
                    self._db.executemany("INSERT OR REPLACE INTO shown VALUES (?, ?, ?)",
                                         ((item_id, envelope_id, at) for item_id, (envelope_id, at) in pending.items()))
                    self._db.execute("COMMIT")
                finally:
                    self._db.execute("PRAGMA synchronous=FULL")

        try:
            await asyncio.to_thread(insert)
        except sqlite3.Error:
            log.exception("shown_items_not_kept", count=len(pending))

    async def shown_envelope(self, item_id: str) -> tuple[str, float] | None:
        """(envelope id, when shown) of what the item showed, by this process or an earlier one (None: never shown)."""
        if item_id in self._shown_pending:
            return self._shown_pending[item_id]
        rows = await asyncio.to_thread(self._run, "SELECT envelope_id, shown_at FROM shown WHERE item_id = ?", (item_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    async def contains(self, envelope_id: str) -> bool:
        return self._reader.execute("SELECT 1 FROM acknowledged WHERE envelope_id = ?", (envelope_id,)).fetchone() is not None

    async def by_item(self, item_id: str) -> Acknowledgement | None:
        rows = await asyncio.to_thread(
            self._run, "SELECT envelope_id, item_id, acknowledged_at FROM acknowledged WHERE item_id = ? LIMIT 1",
            (item_id,))
        return Acknowledgement(*rows[0]) if rows else None

    async def count(self) -> int:
        return (await asyncio.to_thread(self._run, "SELECT count(*) FROM acknowledged"))[0][0]

    async def prune(self, *, now: float | None = None) -> int:
        """Forget acknowledgements older than the retention; returns how many."""
        cutoff = (time.time() if now is None else now) - self.retention_seconds

        def delete() -> int:
            with self._lock:
                # What was shown matters until it is acknowledged (or as long as an acknowledgement is kept).
                self._db.execute("DELETE FROM shown WHERE shown_at < ? OR item_id IN (SELECT item_id FROM acknowledged)",
                                 (cutoff,))
                return self._db.execute("DELETE FROM acknowledged WHERE acknowledged_at < ?", (cutoff,)).rowcount

        return await asyncio.to_thread(delete)

    async def prune_forever(self, interval: float) -> None:
        while True:
            try:
                pruned = await self.prune()
                if pruned:
                    log.info("acknowledged_pruned", count=pruned, retention_days=round(self.retention_seconds / 86400, 1))
            except sqlite3.Error:
                log.exception("acknowledged_prune_failed")
            await pause(interval)

    def close(self) -> None:
        self._reader.close()
        with self._lock:
            if self._shown_pending:
                self._db.executemany("INSERT OR REPLACE INTO shown VALUES (?, ?, ?)",
                                     ((item_id, envelope_id, at) for item_id, (envelope_id, at) in self._shown_pending.items()))
                self._shown_pending = {}
            self._db.close()
