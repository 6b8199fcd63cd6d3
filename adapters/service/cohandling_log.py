"""What an adapter knows of the co-handled cases (协办) it takes part in, on disk.

Fed by every co-handling share addressed to the member (Sharing's share consumer,
replayed from the stream at each start, and recording is idempotent) and by the
parts the member itself sends. From it the adapter enforces, before anything goes
on the bus, what the gateway also checks: a co-handler reports parts of a case it was
asked to co-handle, in order; the lead replies only once every co-handler's part is
replied (kernel.domain.cohandling, schemas/lifecycle.yaml co_handling). A part still
on its way is not known yet: the lead is refused, naming whom it waits for, and
tries again once the part is in its inbox.

One SQLite file per member under the adapter's data directory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kernel.domain.cohandling import CoHandlingRules, Parts, fold_part
from jjj.bus.v1 import envelope_pb2

FILE_NAME = "cohandling.sqlite3"
REQUEST, PART = envelope_pb2.SHARE_TOPIC_CO_HANDLING_REQUEST, envelope_pb2.SHARE_TOPIC_CO_HANDLING_PART

_SCHEMA = """
CREATE TABLE IF NOT EXISTS co_handlers (case_id TEXT, jurisdiction INTEGER, PRIMARY KEY(case_id, jurisdiction));
CREATE TABLE IF NOT EXISTS parts (case_id TEXT, co_handler INTEGER, status INTEGER, PRIMARY KEY(case_id, co_handler, status));
"""


def log_path(data_dir: Path, member_name: str) -> Path:
    return data_dir / "adapters" / member_name / FILE_NAME


class CoHandlingLog:
    def __init__(self, path: Path | str, rules: CoHandlingRules | None = None) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.rules = rules or CoHandlingRules.load()

    def close(self) -> None:
        self.db.close()

    def record(self, envelope: envelope_pb2.Envelope) -> None:
        """A verified share addressed to this member; anything but co-handling is ignored."""
        share = envelope.information_share
        if share.topic == REQUEST and share.HasField("co_handled_case"):
            self.asked(share.co_handled_case.case_id, share.co_handled_case.co_handlers)
        elif share.topic == PART and share.HasField("co_handling_part") and envelope.sender == share.co_handling_part.co_handler:
            part = share.co_handling_part
            self.reported(part.case_id, part.co_handler, part.status)

    def asked(self, case_id: str, co_handlers) -> None:
        self.db.executemany("INSERT OR IGNORE INTO co_handlers VALUES(?,?)", [(case_id, j) for j in co_handlers])

    def reported(self, case_id: str, co_handler: int, status: int) -> None:
        if status not in self.rules.parts:
            return  # not a part: the gateway keeps it aside; nothing to fold here
        self.db.execute("INSERT OR IGNORE INTO parts VALUES(?,?,?)", (case_id, co_handler, status))

    def co_handlers(self, case_id: str) -> frozenset[int]:
        return frozenset(j for (j,) in self.db.execute("SELECT jurisdiction FROM co_handlers WHERE case_id=?", (case_id,)))

    def parts(self, case_id: str, lead: int) -> Parts:
        """Each co-handler's furthest part as known here."""
        parts = Parts.start(lead, self.co_handlers(case_id))
        reported = self.db.execute("SELECT co_handler, status FROM parts WHERE case_id=?", (case_id,)).fetchall()
        for co_handler, status in sorted(reported, key=lambda row: (row[0], self.rules.rank(row[1]))):
            parts = fold_part(parts, co_handler, status, self.rules)
        return parts
