"""The measures of schemas/measures.yaml over case facts, per jurisdiction or pair and period. Pure.

A measure is numerator / denominator, each the sum of one case fact (FACTS below)
over the cases of a group; a measure without a denominator is a count. The
definitions are data; this module only names the facts and adds them up.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kernel import jurisdictions
from kernel.domain.deadlines import DeadlinePolicy, StepPolicy
from kernel.errors import ConfigurationError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from jjj.case.v1 import case_pb2

DAY, WEEK, MONTH = "day", "week", "month"
BY_JURISDICTION, BY_PAIR = "jurisdiction", "pair"
FOLLOW_UP_STEP = "followup_evaluation"
SIGNED, REFERRED_STATUSES = case_pb2.STATUS_RECEIVED, (case_pb2.STATUS_REFERRED, case_pb2.STATUS_DISPATCHED)


@dataclass(frozen=True)
class CaseFacts:
    """What the measures need of one case (the gateway's projection gives them)."""

    case_id: str
    origin: int
    holder: int
    kind: int
    day: str  # yyyy-mm-dd, Beijing, of the referral
    referred_at: dt.datetime | None = None
    urgency: int = case_pb2.URGENCY_UNSPECIFIED
    procedure: int = case_pb2.PROCEDURE_UNSPECIFIED
    status: int = case_pb2.STATUS_REFERRED
    signed_at: dt.datetime | None = None
    returned: bool = False
    contacted: bool | None = None
    resolved: bool | None = None
    satisfaction: int = case_pb2.SATISFACTION_UNSPECIFIED
    replied_at: dt.datetime | None = None
    evaluated_at: dt.datetime | None = None
    replies: int = 0  # how often it was replied to (more than once: re-handled)
    statuses: frozenset[int] = frozenset()  # every status the case was in
    overdue_steps: frozenset[str] = frozenset()  # steps with an overdue notice
    first_time: bool = False  # 初信初访
    repeat: bool = False
    urgings: int = 0  # 催办 events on its trail
    supervisions: int = 0  # 督办 events


@dataclass(frozen=True)
class Context:
    policy: DeadlinePolicy
    now: dt.datetime
    weights: dict[int, float]
    step: StepPolicy | None = None  # for per-step measures


def _followed_up(f: CaseFacts, _: Context) -> float:
    return float(f.contacted is not None or f.resolved is not None or bool(f.satisfaction))


def _sign_step(f: CaseFacts, ctx: Context) -> str | None:
    names = [n for n in ctx.policy.steps_starting(case_pb2.STATUS_REFERRED, kind=f.kind, urgency=f.urgency,
                                                  procedure=f.procedure)
             if SIGNED in ctx.policy.step(n).stops_on]
    return names[0] if names else None


def _signed_in_time(f: CaseFacts, ctx: Context) -> bool:
    if f.signed_at is None or f.referred_at is None:
        return False
    step = _sign_step(f, ctx)
    return step is None or f.signed_at <= ctx.policy.deadline(step, f.referred_at, _name(f.holder)).due_at


def _evaluated_late(f: CaseFacts, ctx: Context) -> float:
    if f.replied_at is None:
        return 0.0
    due = ctx.policy.deadline(FOLLOW_UP_STEP, f.replied_at, _name(f.holder)).due_at
    return float(f.evaluated_at > due if f.evaluated_at is not None else ctx.now >= due)


def _step_ran(f: CaseFacts, step: StepPolicy) -> bool:
    return (bool(f.statuses & step.starts_on) and (step.kinds is None or f.kind in step.kinds)
            and (step.urgencies is None or f.urgency in step.urgencies))


def _step_settled(f: CaseFacts, ctx: Context) -> float:
    step = ctx.step
    return float(_step_ran(f, step) and (bool(f.statuses & step.stops_on) or step.name in f.overdue_steps))


def _step_on_time(f: CaseFacts, ctx: Context) -> float:
    step = ctx.step
    return float(_step_ran(f, step) and bool(f.statuses & step.stops_on) and step.name not in f.overdue_steps)


def _name(jurisdiction: int) -> str | None:
    return jurisdictions.by_enum(jurisdiction).name if jurisdiction else None


# Every fact a measure may name, 1.0 / 0.0 per case (or a weight).
FACTS: dict[str, Callable[[CaseFacts, Context], float]] = {
    "referred": lambda f, ctx: 1.0,
    "followed_up": _followed_up,
    "contacted_in_time": lambda f, ctx: float(bool(f.contacted) and _signed_in_time(f, ctx)),
    "resolved": lambda f, ctx: float(bool(f.resolved)),
    "rated": lambda f, ctx: float(bool(f.satisfaction)),
    "satisfaction_weight": lambda f, ctx: ctx.weights.get(f.satisfaction, 0.0) if f.satisfaction else 0.0,
    "step_on_time": _step_on_time,
    "step_settled": _step_settled,
    "returned": lambda f, ctx: float(f.returned),
    "repeat": lambda f, ctx: float(f.repeat),
    "evaluated_late": _evaluated_late,
    "replied_not_followed_up": lambda f, ctx: float(f.replied_at is not None and not _followed_up(f, ctx)),
    "resolved_first_time": lambda f, ctx: float(bool(f.resolved) and f.replies == 1),
    "first_time": lambda f, ctx: float(f.first_time and f.kind == case_pb2.CASE_KIND_PETITION),
    "first_contact_handled": lambda f, ctx: float(
        f.first_time and f.kind == case_pb2.CASE_KIND_PETITION and case_pb2.STATUS_CLOSED in f.statuses
        and not f.statuses & {case_pb2.STATUS_REVIEW_REQUESTED, case_pb2.STATUS_RECHECK_REQUESTED}),
    "open": lambda f, ctx: float(f.status != case_pb2.STATUS_CLOSED),
    "urgings": lambda f, ctx: float(f.urgings),
    "supervisions": lambda f, ctx: float(f.supervisions),
    "urged": lambda f, ctx: float(f.urgings > 0),
    "waiting_to_sign": lambda f, ctx: float(f.status in REFERRED_STATUSES),
    "overdue_open": lambda f, ctx: float(f.status != case_pb2.STATUS_CLOSED and bool(f.overdue_steps)),
}


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    numerator: str
    denominator: str | None
    per_step: bool = False


@dataclass(frozen=True)
class Report:
    name: str
    label: str
    period: str
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Value:
    measure: str
    step: str  # "" unless per step
    numerator: float
    denominator: float | None

    @property
    def value(self) -> float:
        if self.denominator is None:
            return self.numerator
        return round(self.numerator / self.denominator, 4) if self.denominator else 0.0


@dataclass
class Row:
    period: str
    jurisdiction: int = 0  # the holder, per jurisdiction
    origin: int = 0  # per pair
    holder: int = 0
    values: list[Value] = field(default_factory=list)


class Measures:
    def __init__(self, measures: Iterable[Measure], weights: dict[int, float], reports: Iterable[Report]) -> None:
        self.measures = {m.name: m for m in measures}
        self.weights = weights
        self.reports = {r.name: r for r in reports}
        for measure in self.measures.values():
            for fact in (measure.numerator, measure.denominator):
                if fact is not None and fact not in FACTS:
                    raise ConfigurationError(f"measures.yaml: {measure.name}: unknown fact {fact!r}")
        for report in self.reports.values():
            if report.period not in (DAY, WEEK, MONTH):
                raise ConfigurationError(f"measures.yaml: reports.{report.name}: period must be day, week or month")
            unknown = set(report.measures) - set(self.measures)
            if unknown:
                raise ConfigurationError(f"measures.yaml: reports.{report.name}: unknown measures {sorted(unknown)}")

    @classmethod
    def load(cls, path: Path | None = None) -> "Measures":
        return _default() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "Measures":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"satisfaction_weights", "measures", "reports"})
        weights = {case_pb2.Satisfaction.Value(k): float(v) for k, v in data["satisfaction_weights"].items()}
        measures = []
        for name, entry in data["measures"].items():
            reject_unknown_keys(f"{path}: measures.{name}", entry, {"label", "numerator", "denominator", "per_step"})
            measures.append(Measure(name, entry.get("label", ""), entry["numerator"], entry.get("denominator"),
                                    bool(entry.get("per_step", False))))
        reports = [Report(name, entry.get("label", ""), entry["period"], tuple(entry["measures"]))
                   for name, entry in data.get("reports", {}).items()]
        return cls(measures, weights, reports)

    def compute(self, facts: Iterable[CaseFacts], policy: DeadlinePolicy, *, now: dt.datetime, period: str = DAY,
                group: str = BY_PAIR, names: Iterable[str] | None = None, period_key: str = "") -> list[Row]:
        """One row per group and period (only `period_key` when given), with every measure named."""
        chosen = [self.measures[n] for n in (names or self.measures)]
        groups: dict[tuple, list[CaseFacts]] = defaultdict(list)
        for fact in facts:
            key = period_of(fact.day, period)
            if period_key and key != period_key:
                continue
            who = (fact.holder,) if group == BY_JURISDICTION else (fact.origin, fact.holder)
            groups[(key, *who)].append(fact)
        rows = []
        for key in sorted(groups):
            members = groups[key]
            row = Row(period=key[0], jurisdiction=key[1] if group == BY_JURISDICTION else 0,
                      origin=key[1] if group == BY_PAIR else 0, holder=key[2] if group == BY_PAIR else key[1])
            for measure in chosen:
                steps = sorted(policy.steps.values(), key=lambda s: s.name) if measure.per_step else [None]
                for step in steps:
                    ctx = Context(policy, now, self.weights, step)
                    row.values.append(self._value(measure, members, ctx))
            rows.append(row)
        return rows

    def report(self, name: str, facts: Iterable[CaseFacts], policy: DeadlinePolicy, *, now: dt.datetime,
               group: str = BY_PAIR, period_key: str = "") -> list[Row]:
        report = self.reports[name]
        return self.compute(facts, policy, now=now, period=report.period, group=group, names=report.measures,
                            period_key=period_key)

    @staticmethod
    def _value(measure: Measure, facts: list[CaseFacts], ctx: Context) -> Value:
        numerator = sum(FACTS[measure.numerator](f, ctx) for f in facts)
        denominator = None if measure.denominator is None else sum(FACTS[measure.denominator](f, ctx) for f in facts)
        return Value(measure.name, ctx.step.name if ctx.step else "", round(numerator, 4), denominator)


def period_of(day: str, period: str) -> str:
    """The period key of a Beijing day: the day itself, its ISO week (2026-W48) or its month (2026-11)."""
    if period == DAY:
        return day
    if period == MONTH:
        return day[:7]
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


@functools.cache
def _default() -> Measures:
    return Measures._from_file(SCHEMAS_DIR / "measures.yaml")
