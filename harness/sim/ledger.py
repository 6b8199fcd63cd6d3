"""What a simulation did, case by case: submitted, rejected, delivered, handled, returned, closed.

Pure bookkeeping shared by the submitting and the receiving simulated members; the
report at the end is read from it, and the checks compare it with what the origin,
the destination and the gateway say.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from jjj.case.v1 import case_pb2


@dataclass
class CaseRecord:
    case_id: str
    origin: str
    destination: str
    kind: int
    delivered: bool = False  # the destination's inbox gave it the referral
    handled: bool = False  # the destination replied (STATUS_REPLIED)
    returned: bool = False  # the destination sent it back (STATUS_RETURNED)
    closed: bool = False  # the origin closed it
    disputed: bool = False  # the origin disputed the return (STATUS_RETURN_DISPUTED)
    overruled: bool = False  # the coordination gave it back to the holder
    extended: bool = False  # the holder extended a clock
    steps: list[int] = field(default_factory=list)  # every step either simulated side reported

    @property
    def cross_border(self) -> bool:
        return self.origin != self.destination

    @property
    def finished(self) -> bool:
        return self.closed


@dataclass
class Ledger:
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    expected_rejections: Counter = field(default_factory=Counter)  # origin -> documents rejected as meant
    unexpected_rejections: list[str] = field(default_factory=list)  # "origin: field: reason"
    missed_rejections: list[str] = field(default_factory=list)  # a defective document that was accepted
    flagged: Counter = field(default_factory=Counter)  # origin -> cases accepted with a quality flag meant
    refused_steps: list[str] = field(default_factory=list)  # "case_id STATUS_...: why"
    shares: Counter = field(default_factory=Counter)  # member -> shares received

    def submitted(self, case_id: str, origin: str, destination: str, kind: int) -> None:
        self.cases.setdefault(case_id, CaseRecord(case_id, origin, destination, kind))

    def stepped(self, case_id: str, status: int, *, extended: bool = False) -> None:
        record = self.cases.get(case_id)
        if record is None:
            return  # a case of an earlier run, still open: not this run's to count
        record.steps.append(status)
        record.extended = record.extended or extended
        if status == case_pb2.STATUS_RETURN_DISPUTED:
            record.disputed = True
        elif status == case_pb2.STATUS_RECEIVED and record.disputed:
            record.overruled = True
        if status == case_pb2.STATUS_REPLIED:
            record.handled = True
        elif status == case_pb2.STATUS_RETURNED:
            record.returned = True
        elif status == case_pb2.STATUS_CLOSED:
            record.closed = True

    def delivered(self, case_id: str) -> None:
        if case_id in self.cases:
            self.cases[case_id].delivered = True

    def cross_border(self) -> list[CaseRecord]:
        return [record for record in self.cases.values() if record.cross_border]

    def open_cross_border(self) -> list[CaseRecord]:
        return [record for record in self.cross_border() if not record.finished]

    def summary(self) -> dict:
        crossing = self.cross_border()
        return {
            "submitted": len(self.cases),
            "cross_border": len(crossing),
            "delivered": sum(r.delivered for r in crossing),
            "handled": sum(r.handled for r in crossing),
            "returned": sum(r.returned for r in crossing),
            "disputed": sum(r.disputed for r in crossing),
            "overruled": sum(r.overruled for r in crossing),
            "extended": sum(r.extended for r in crossing),
            "closed": sum(r.closed for r in crossing),
            "expected_rejections": sum(self.expected_rejections.values()),
            "flagged": sum(self.flagged.values()),
            "unexpected_rejections": len(self.unexpected_rejections),
            "missed_rejections": len(self.missed_rejections),
            "refused_steps": len(self.refused_steps),
        }
