"""Relay statistics per jurisdiction pair and day, from the projection's case facts. Pure.

The measures people use (CONTEXT.md): signed in time, overdue, returned, and the
follow-up rates 响应率 (contacted), 解决率 (resolved), 满意率 (satisfied or
basically satisfied, of those rated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from kernel import jurisdictions
from kernel.domain import measures as measures_of
from kernel.domain.deadlines import DeadlinePolicy
from kernel.errors import InvalidRequest
from jjj.gateway.v1 import gateway_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

SATISFIED = {case_pb2.SATISFACTION_SATISFIED, case_pb2.SATISFACTION_BASICALLY_SATISFIED}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def sign_step(fact: dict, policy: DeadlinePolicy) -> str | None:
    """The signing limit of this case (by kind, urgency, procedure); None when it has none."""
    steps = [name for name in policy.steps_starting(case_pb2.STATUS_REFERRED, kind=fact["kind"], urgency=fact["urgency"],
                                                    procedure=fact.get("procedure") or 0)
             if case_pb2.STATUS_RECEIVED in policy.step(name).stops_on]
    return steps[0] if steps else None


def signed_in_time(fact: dict, policy: DeadlinePolicy) -> bool:
    """Signed, and by the case's signing limit when it has one (an ordinary petition has none)."""
    if not fact["signed_at"] or not fact["referred_at"]:
        return False
    step = sign_step(fact, policy)
    if step is None:
        return True
    holder = jurisdictions.by_enum(fact["holder"]).name  # the receiver's own limit applies
    due = policy.deadline(step, datetime.fromisoformat(fact["referred_at"]), holder).due_at
    return datetime.fromisoformat(fact["signed_at"]) <= due


FOLLOW_UP_STEP = "followup_evaluation"


def evaluated_late(fact: dict, policy: DeadlinePolicy, now: datetime) -> bool:
    """超期未评: replied to, and evaluated after the follow-up limit or not at all while it has passed."""
    if not fact.get("replied_at"):
        return False
    holder = jurisdictions.by_enum(fact["holder"]).name if fact["holder"] else None
    due = policy.deadline(FOLLOW_UP_STEP, datetime.fromisoformat(fact["replied_at"]), holder).due_at
    evaluated = fact.get("evaluated_at")
    return datetime.fromisoformat(evaluated) > due if evaluated else now >= due


def pair_statistics(facts: Iterable[dict], message_stats: Iterable[dict], policy: DeadlinePolicy, day: str = "",
                    now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(UTC)
    rows: dict[tuple[int, int, str], dict] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        if day and fact["day"] != day:
            continue
        row = rows[(fact["origin"], fact["holder"], fact["day"])]
        row["referrals" if fact["flow"] == envelope_pb2.FLOW_REFERRAL else "hotline_transfers"] += 1
        row["received"] += bool(fact["signed_at"])
        row["signed_in_time"] += signed_in_time(fact, policy)
        row["returned"] += fact["returned_count"] > 0
        row["overdue"] += bool(fact["overdue"])
        row["replied"] += bool(fact.get("replied_at"))
        row["not_evaluated_in_time"] += evaluated_late(fact, policy, now)
        if fact["contacted"] is not None or fact["resolved"] is not None or fact["satisfaction"]:
            row["followed_up"] += 1
            row["contacted"] += bool(fact["contacted"])
            row["resolved"] += bool(fact["resolved"])
        if fact["satisfaction"]:
            row["rated"] += 1
            row["satisfied"] += fact["satisfaction"] in SATISFIED
    for message in message_stats:
        row = rows[(message["sender"], message["destination"], message["day"])]
        row["status_updates"] += message["status_updates"]
        row["lag_p50_ms"] = message["lag_p50_ms"]
        row["lag_max_ms"] = message["lag_max_ms"]
    result = []
    for (sender, destination, row_day), row in sorted(rows.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])):
        if not sender or not destination:
            continue
        result.append(dict(
            row, sender=sender, destination=destination, day=row_day,
            response_rate=_ratio(row["contacted"], row["followed_up"]),
            resolution_rate=_ratio(row["resolved"], row["followed_up"]),
            satisfaction_rate=_ratio(row["satisfied"], row["rated"]),
        ))
    return result


PERIODS = {gateway_pb2.MEASURE_PERIOD_UNSPECIFIED: measures_of.DAY, gateway_pb2.MEASURE_PERIOD_DAY: measures_of.DAY,
           gateway_pb2.MEASURE_PERIOD_WEEK: measures_of.WEEK, gateway_pb2.MEASURE_PERIOD_MONTH: measures_of.MONTH}
GROUPINGS = {gateway_pb2.MEASURE_GROUPING_UNSPECIFIED: measures_of.BY_PAIR,
             gateway_pb2.MEASURE_GROUPING_PAIR: measures_of.BY_PAIR,
             gateway_pb2.MEASURE_GROUPING_JURISDICTION: measures_of.BY_JURISDICTION}


def measure_rows(facts, policy: DeadlinePolicy, request: gateway_pb2.GetMeasuresRequest, *,
                 now: datetime | None = None, measures: measures_of.Measures | None = None) -> list[gateway_pb2.MeasureRow]:
    """GetMeasures: the request's measures (or report) over the projection's case facts, as proto rows."""
    measures = measures or measures_of.Measures.load()
    now = now or datetime.now(UTC)
    group = GROUPINGS.get(request.grouping)
    if group is None:
        raise InvalidRequest("unknown grouping", violations=[("grouping", "unknown value")])
    unknown = [name for name in request.measures if name not in measures.measures]
    if request.report and request.report not in measures.reports:
        raise InvalidRequest(f"no report {request.report!r}; known: {', '.join(sorted(measures.reports))}",
                             violations=[("report", "unknown")])
    if unknown:
        raise InvalidRequest(f"unknown measures {unknown}", violations=[("measures", ", ".join(unknown))])
    if request.report:
        report = measures.reports[request.report]
        period, names = report.period, list(request.measures) or list(report.measures)
    else:
        period = PERIODS.get(request.period)
        if period is None:
            raise InvalidRequest("unknown period", violations=[("period", "unknown value")])
        names = list(request.measures) or None
    rows = measures.compute(facts, policy, now=now, period=period, group=group, names=names,
                            period_key=request.period_key)
    return [
        gateway_pb2.MeasureRow(
            period=row.period, jurisdiction=row.jurisdiction, origin=row.origin, holder=row.holder,
            values=[gateway_pb2.MeasureValue(measure=v.measure, label=measures.measures[v.measure].label, step=v.step,
                                             numerator=v.numerator, denominator=v.denominator, value=v.value)
                    for v in row.values])
        for row in rows
    ]
