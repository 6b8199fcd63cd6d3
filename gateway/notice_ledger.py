"""Which deadline notices the gateway has sent, stored beside the projection.

The clocks are rebuilt from the stored trails at each start (gateway.app.rebuild_clocks), and
without this a case already overdue was told so again after every restart: JetStream's
duplicate window (7 days) dropped the repeat while it lasted, the member saw it beyond.
A notice is written here once published to every receiver; one whose clock has moved since
(an extension, a new attempt: another due time) does not match and is sent as a new notice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime

from gateway.projection.store import atomic
from kernel.domain.watcher import DeadlineEvent, EventKind

SCHEMA = """
CREATE TABLE IF NOT EXISTS deadline_notices_sent (
    case_id TEXT NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL, due_at TEXT NOT NULL,
    PRIMARY KEY (case_id, step, kind, due_at)
);
"""


class NoticeLedger:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)

    def sent(self, event: DeadlineEvent) -> None:
        with atomic(self.db):
            self.db.execute("INSERT OR IGNORE INTO deadline_notices_sent VALUES(?,?,?,?)",
                            (event.case_id, event.step, event.kind.value, event.due_at.isoformat()))

    def all_sent(self) -> Iterator[tuple[str, str, EventKind, datetime]]:
        for case_id, step, kind, due_at in self.db.execute("SELECT case_id, step, kind, due_at FROM deadline_notices_sent"):
            yield case_id, step, EventKind(kind), datetime.fromisoformat(due_at)
