"""The audit log in SQLite, append-only and hash-chained (kernel.audit), with its anchors kept apart.

Records are appended in batches, each in one transaction with the per-stream cursors,
so a restart resumes after the last recorded message. Anchors (signed chain heads)
go to a JSON Lines file beside the database (and, by the auditor, to the bus), so a
database cut short is found against them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kernel.audit import FIELDS, Anchor, AuditEntry, AuditRecord, extend, row_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, envelope_id TEXT NOT NULL, case_id TEXT NOT NULL,
  sender TEXT NOT NULL, destination TEXT NOT NULL, status TEXT NOT NULL, step TEXT NOT NULL, digest TEXT NOT NULL,
  key_id TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_case ON audit(case_id);
CREATE TABLE IF NOT EXISTS audit_cursors (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""
COLUMNS = ", ".join(FIELDS)


def anchors_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "-anchors.jsonl")


class AuditStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.head: AuditRecord | None = self._last()

    def close(self) -> None:
        self.db.close()

    def _last(self) -> AuditRecord | None:
        row = self.db.execute(f"SELECT {COLUMNS} FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return AuditRecord(*row) if row else None

    def cursor(self, stream: str) -> int:
        row = self.db.execute("SELECT seq FROM audit_cursors WHERE stream=?", (stream,)).fetchone()
        return row[0] if row else 0

    def append(self, entries: Sequence[AuditEntry], cursors: Mapping[str, int],
               also: Callable[[sqlite3.Connection], None] | None = None) -> list[AuditRecord]:
        """Chain and store a batch, moving the streams' cursors (and writing `also`) in the same transaction."""
        records = extend(self.head, entries)
        with self.db:
            self.db.execute("BEGIN")
            if also is not None:
                also(self.db)
            self.db.executemany(f"INSERT INTO audit({COLUMNS}) VALUES({', '.join('?' * len(FIELDS))})",
                                [row_of(record) for record in records])
            self.db.executemany(
                "INSERT INTO audit_cursors(stream, seq) VALUES(?, ?) ON CONFLICT(stream) DO UPDATE SET seq=max(seq, excluded.seq)",
                list(cursors.items()))
        if records:
            self.head = records[-1]
        return records

    def records(self, case_id: str | None = None) -> list[AuditRecord]:
        if case_id is None:
            rows = self.db.execute(f"SELECT {COLUMNS} FROM audit ORDER BY seq")
        else:
            rows = self.db.execute(f"SELECT {COLUMNS} FROM audit WHERE case_id=? ORDER BY seq", (case_id,))
        return [AuditRecord(*row) for row in rows]

    # -- anchors, kept apart ------------------------------------------------

    def add_anchor(self, anchor: Anchor) -> None:
        with anchors_path(self.path).open("a", encoding="utf-8") as handle:
            handle.write(anchor.to_json() + "\n")

    def anchors(self) -> list[Anchor]:
        return read_anchors(anchors_path(self.path))


def read_anchors(path: Path) -> list[Anchor]:
    if not path.is_file():
        return []
    return [Anchor.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def read_records(path: Path, case_id: str | None = None) -> list[AuditRecord]:
    """The records of a log file as stored, for `jjj audit` (read-only: never creates or migrates)."""
    with contextlib.closing(open_read_only(path)) as db:
        if case_id is None:
            rows = db.execute(f"SELECT {COLUMNS} FROM audit ORDER BY seq").fetchall()
        else:
            rows = db.execute(f"SELECT {COLUMNS} FROM audit WHERE case_id=? ORDER BY seq", (case_id,)).fetchall()
    return [AuditRecord(*row) for row in rows]
