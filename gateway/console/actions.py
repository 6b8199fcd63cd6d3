"""What operators did (redrive, discard, read a refused envelope's personal data), hash-chained like the gateway's audit log (kernel.audit),
in a file of its own: `jjj audit verify --db <data_dir>/console/actions.sqlite3` checks it.

Each record says the action (`kind` operator_redrive / operator_discard / operator_read_personal_data), the operator
(`sender`, "operator:<name>"), the dead letter (`envelope_id`, `case_id`, `destination`
the original subject), the outcome (`status`) and the operator's reason (`step`). The
console in the gateway and `jjj deadletters` may both append: each append re-reads the
chain head inside its transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.audit.store import AuditStore
from kernel.audit import FIELDS, AuditEntry, AuditRecord, extend, row_of


@dataclass(frozen=True, slots=True)
class OperatorAction:
    action: str  # redrive, discard, read_personal_data
    operator: str
    reason: str
    outcome: str  # redriven, discarded, shown, refused:<why>
    sequence: int  # of the dead letter
    envelope_id: str
    case_id: str
    subject: str
    envelope: bytes


class ActionLog:
    def __init__(self, path: Path) -> None:
        self.store = AuditStore(path)

    def close(self) -> None:
        self.store.close()

    def record(self, action: OperatorAction) -> AuditRecord:
        entry = AuditEntry(
            at=datetime.now(UTC).isoformat(), kind=f"operator_{action.action}", envelope_id=action.envelope_id or f"dead/{action.sequence}",
            case_id=action.case_id, sender=f"operator:{action.operator}", destination=action.subject,
            status=action.outcome, step=action.reason, digest=hashlib.sha256(action.envelope).hexdigest(),
            key_id=f"dead_letter:{action.sequence}",
        )
        db = self.store.db
        columns = ", ".join(FIELDS)
        with db:
            db.execute("BEGIN IMMEDIATE")  # another process may have appended since: chain on the stored head
            row = db.execute(f"SELECT {columns} FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            head = AuditRecord(*row) if row else None
            record = extend(head, [entry])[0]
            db.execute(f"INSERT INTO audit({columns}) VALUES({', '.join('?' * len(FIELDS))})", row_of(record))
        self.store.head = record
        return record

    def records(self, limit: int = 200) -> list[AuditRecord]:
        return self.store.records()[-limit:][::-1]
