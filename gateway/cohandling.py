"""The federation's view of co-handled cases (协办): every co-handler's part, in order.

Fed with every share inside the projection's transaction (SqliteProjection.recorders);
the order of parts is kernel.domain.cohandling's. A part out of order (or from a
jurisdiction not asked to co-handle) is logged for operators and kept aside, never
folded in. With a database, the co-handlers, the parts reached, the refusals and the
parts seen are stored, so a restarted gateway resumes where it was (the second copy
of a part, to the lead, seen after a restart is still a copy, not out of order).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from types import MappingProxyType

import structlog

from kernel import jurisdictions
from kernel.domain.cohandling import CoHandlingRules, Parts, check_part, fold_part
from kernel.errors import TransitionError
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS co_handlers (case_id TEXT, jurisdiction INTEGER, PRIMARY KEY(case_id, jurisdiction));
CREATE TABLE IF NOT EXISTS co_handling_parts (
  case_id TEXT, co_handler INTEGER, lead INTEGER, status INTEGER, PRIMARY KEY(case_id, co_handler));
CREATE TABLE IF NOT EXISTS co_handling_refused (case_id TEXT, co_handler INTEGER, status INTEGER, why TEXT);
CREATE TABLE IF NOT EXISTS co_handling_seen (key TEXT PRIMARY KEY);
"""


@dataclass
class CoHandlingWatch:
    db: sqlite3.Connection | None = None
    rules: CoHandlingRules = field(default_factory=CoHandlingRules.load)
    co_handlers: dict[str, set[int]] = field(default_factory=dict)
    parts: dict[str, Parts] = field(default_factory=dict)
    refused: list[tuple[str, int, int, str]] = field(default_factory=list)  # case, co-handler, status, why
    _seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.db is not None:
            self.db.executescript(SCHEMA)
            self._restore()

    def _restore(self) -> None:
        for case_id, jurisdiction in self.db.execute("SELECT case_id, jurisdiction FROM co_handlers"):
            self.co_handlers.setdefault(case_id, set()).add(jurisdiction)
        reached: dict[str, tuple[int, dict[int, int]]] = {}
        for case_id, co_handler, lead, status in self.db.execute(
                "SELECT case_id, co_handler, lead, status FROM co_handling_parts"):
            reached.setdefault(case_id, (lead, {}))[1][co_handler] = status
        for case_id, (lead, statuses) in reached.items():
            parts = Parts.start(lead, {*self.co_handlers.get(case_id, ()), *statuses})
            for co_handler, status in statuses.items():
                parts = fold_part(parts, co_handler, status, self.rules)
            self.parts[case_id] = parts
        self.refused = [tuple(row) for row in self.db.execute(
            "SELECT case_id, co_handler, status, why FROM co_handling_refused ORDER BY rowid")]
        self._seen = {key for (key,) in self.db.execute("SELECT key FROM co_handling_seen")}

    def observe(self, envelope: envelope_pb2.Envelope) -> None:
        if envelope.WhichOneof("payload") != "information_share" or not envelope.sender:
            return
        share = envelope.information_share
        if share.topic == envelope_pb2.SHARE_TOPIC_CO_HANDLING_REQUEST and share.HasField("co_handled_case"):
            case = share.co_handled_case
            self.co_handlers.setdefault(case.case_id, set()).update(case.co_handlers)
            self._store("INSERT OR IGNORE INTO co_handlers VALUES(?,?)", [(case.case_id, j) for j in case.co_handlers])
            if case.case_id in self.parts:  # another co-handler asked for later: it starts with no part
                parts = self.parts[case.case_id]
                added = {j: case_pb2.STATUS_UNSPECIFIED for j in case.co_handlers if j != parts.lead}
                self.parts[case.case_id] = Parts(parts.lead, MappingProxyType({**added, **parts.reached}))
        elif share.topic == envelope_pb2.SHARE_TOPIC_CO_HANDLING_PART and share.HasField("co_handling_part"):
            part = share.co_handling_part
            key = f"{part.case_id}/{part.co_handler}/{part.status}/{part.at.seconds}.{part.at.nanos}"
            if key in self._seen:
                return  # the same part sent to the origin and to the lead
            self._seen.add(key)
            self._store("INSERT OR IGNORE INTO co_handling_seen VALUES(?)", [(key,)])
            self._part(part, envelope.sender)

    def _part(self, part: envelope_pb2.CoHandlingPart, sender: int) -> None:
        parts = self.parts.get(part.case_id) or Parts.start(part.lead, self.co_handlers.get(part.case_id, ()))
        try:
            if sender != part.co_handler:
                raise TransitionError("a part comes from its co-handler")
            check_part(parts, part.co_handler, part.status, self.rules)
        except TransitionError as error:
            self.refused.append((part.case_id, part.co_handler, part.status, str(error)))
            self._store("INSERT INTO co_handling_refused VALUES(?,?,?,?)",
                        [(part.case_id, part.co_handler, part.status, str(error))])
            log.warning("co_handling_part_out_of_order", case_id=part.case_id,
                        co_handler=jurisdictions.display_name(part.co_handler), detail=str(error))
            return
        self.parts[part.case_id] = fold_part(parts, part.co_handler, part.status, self.rules)
        self._store("INSERT INTO co_handling_parts VALUES(?,?,?,?) ON CONFLICT(case_id, co_handler)"
                    " DO UPDATE SET status=excluded.status, lead=excluded.lead",
                    [(part.case_id, part.co_handler, part.lead, part.status)])

    def _store(self, statement: str, rows: list[tuple]) -> None:
        if self.db is not None:
            self.db.executemany(statement, rows)
