"""The repeat index of an adapter, on disk.

The index holds a digest of every case of the other members within the matching
window (90 days, schemas/repeats.yaml), a few hundred thousand at a peak. Held in
memory it grew the adapter past its bound (issue 9: 162 MiB with 50,000 referrals
waiting, bound 150); here SQLite keeps them, with a small page cache, and matching
loads one requester's records (at most max_cases_per_requester).

Nothing here must survive the process: the index is rebuilt from the share stream at
each start (adapters.service.sharing), so the file is recreated when opened and written
without a journal or fsync. Also kept: the status last noted of a case the adapter
follows, so that a repeat link says where the earlier case stands now.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from adapters.service.packed_sketch import PackedSketch
from kernel.domain.repeats import RepeatRecord

FILE_NAME = "repeats.sqlite3"
PAGE_CACHE_KIB = 4096
FILE_MODE = 0o600
WRITES_PER_COMMIT = 1000  # one transaction for many writes: a commit per write doubled the cost of each

_SCHEMA = """
CREATE TABLE records (
    case_id TEXT PRIMARY KEY, requester_key TEXT NOT NULL, admin_code TEXT NOT NULL, category_code TEXT NOT NULL,
    received_us INTEGER NOT NULL, sketch BLOB NOT NULL, status INTEGER NOT NULL
);
CREATE INDEX records_by_requester ON records(requester_key, received_us, case_id);
CREATE INDEX records_by_age ON records(received_us);
CREATE TABLE noted (case_id TEXT PRIMARY KEY, status INTEGER NOT NULL, noted_us INTEGER NOT NULL);
CREATE INDEX noted_by_age ON noted(noted_us);
"""
_COLUMNS = "case_id, requester_key, admin_code, category_code, received_us, sketch, status"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _microseconds(at: dt.datetime) -> int:
    """Exact, where a float timestamp rounds some microseconds."""
    return (at - _EPOCH) // _MICROSECOND


def store_path(data_dir: Path, member_name: str) -> Path:
    return data_dir / "adapters" / member_name / FILE_NAME


class DiskRepeats:
    """A kernel.domain.repeats.RepeatStore in one SQLite file; sketches must be PackedSketch (digests')."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in (path, path.with_name(path.name + "-journal")):
                stale.unlink(missing_ok=True)
            # Digests hold keyed hashes and masked names and phones: readable by the adapter's user only.
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, FILE_MODE))
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        self.db.executescript(_SCHEMA)
        self._uncommitted = 0
        self.db.execute("BEGIN")

    def close(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()

    def _write(self, sql: str, parameters: tuple) -> sqlite3.Cursor:
        # Reads of this connection see what is not committed yet; nothing needs a commit but the page
        # cache, which spills to the file (no journal) when full, and close.
        cursor = self.db.execute(sql, parameters)
        self._uncommitted += 1
        if self._uncommitted >= WRITES_PER_COMMIT:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self._uncommitted = 0
        return cursor

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM records").fetchone()[0]

    def put(self, record: RepeatRecord) -> None:
        if not isinstance(record.shingles, PackedSketch):
            raise TypeError(f"the disk repeat index keeps packed sketches, not {type(record.shingles).__name__}")
        self._write(
            f"INSERT OR REPLACE INTO records ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            (record.case_id, record.requester_key, record.admin_code, record.category_code,
             _microseconds(record.received_at), record.shingles.packed, record.status),
        )

    def remove(self, case_id: str) -> None:
        self._write("DELETE FROM records WHERE case_id = ?", (case_id,))

    def records_of(self, requester_key: str) -> list[RepeatRecord]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM records WHERE requester_key = ?", (requester_key,))
        return [
            RepeatRecord(case_id=case_id, requester_key=key, admin_code=admin, category_code=category,
                         received_at=_EPOCH + received * _MICROSECOND,
                         shingles=PackedSketch.from_packed(sketch), status=status)
            for case_id, key, admin, category, received, sketch, status in rows
        ]

    def keep_newest(self, requester_key: str, count: int) -> None:
        # The same order as the kernel's in-memory store: oldest received first, then by case id.
        self._write(
            "DELETE FROM records WHERE case_id IN (SELECT case_id FROM records WHERE requester_key = ?"
            " ORDER BY received_us DESC, case_id DESC LIMIT -1 OFFSET ?)", (requester_key, count),
        )

    def prune(self, received_before: dt.datetime) -> int:
        cursor = self._write("DELETE FROM records WHERE received_us < ?", (_microseconds(received_before),))
        # A status noted before the window began is of a case received before it too: no longer asked for.
        self._write("DELETE FROM noted WHERE noted_us < ?", (_microseconds(received_before),))
        return cursor.rowcount

    def note_status(self, case_id: str, status: int) -> None:
        self._write("INSERT OR REPLACE INTO noted VALUES (?, ?, ?)", (case_id, status, _microseconds(dt.datetime.now(dt.UTC))))

    def noted_status(self, case_id: str) -> int | None:
        row = self.db.execute("SELECT status FROM noted WHERE case_id = ?", (case_id,)).fetchone()
        return None if row is None else row[0]
