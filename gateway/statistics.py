"""Relay statistics per jurisdiction pair and day, from the projection's case facts. Pure.

The measures people use (CONTEXT.md): signed in time, overdue, returned, and the
follow-up rates 响应率 (contacted), 解决率 (resolved), 满意率 (satisfied or
basically satisfied, of those rated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from kernel import jurisdictions
from kernel.domain.deadlines import DeadlinePolicy
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

SIGN_STEP = "referral_sign"
SATISFIED = {case_pb2.SATISFACTION_SATISFIED, case_pb2.SATISFACTION_BASICALLY_SATISFIED}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def signed_in_time(fact: dict, policy: DeadlinePolicy) -> bool:
    if not fact["signed_at"] or not fact["referred_at"]:
        return False
    holder = jurisdictions.by_enum(fact["holder"]).name  # the receiver's own limit applies
    due = policy.deadline(SIGN_STEP, datetime.fromisoformat(fact["referred_at"]), holder).due_at
    return datetime.fromisoformat(fact["signed_at"]) <= due


def pair_statistics(facts: Iterable[dict], message_stats: Iterable[dict], policy: DeadlinePolicy, day: str = "") -> list[dict]:
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
