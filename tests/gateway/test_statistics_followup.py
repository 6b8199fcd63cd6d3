"""超期未评: cases evaluated after the follow-up limit, or never while it has passed, are counted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gateway.statistics import evaluated_late, pair_statistics
from kernel.domain.deadlines import DeadlinePolicy
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

BEIJING = timezone(timedelta(hours=8))
POLICY = DeadlinePolicy.load()
REPLIED = datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)  # follow-up due Sat 7 Nov 23:59:59 (5 days)


def fact(case_id: str, *, evaluated_at: datetime | None, replied_at: datetime | None = REPLIED) -> dict:
    return dict(case_id=case_id, origin=c.JURISDICTION_BEIJING, holder=c.JURISDICTION_HEBEI, kind=c.CASE_KIND_HOTLINE_REQUEST,
                urgency=c.URGENCY_NORMAL, flow=envelope_pb2.FLOW_HOTLINE_TRANSFER, day="2026-11-01",
                referred_at=None, signed_at=None, returned_count=0, overdue=0, contacted=None, resolved=None,
                satisfaction=0, status=c.STATUS_REPLIED, procedure=0,
                replied_at=replied_at.isoformat() if replied_at else None,
                evaluated_at=evaluated_at.isoformat() if evaluated_at else None)


def test_evaluated_late_or_never_is_counted_in_time_or_not_yet_due_is_not():
    now = datetime(2026, 11, 10, 9, 0, tzinfo=BEIJING)
    facts = [
        fact("in-time", evaluated_at=datetime(2026, 11, 7, 23, 0, tzinfo=BEIJING)),
        fact("late", evaluated_at=datetime(2026, 11, 8, 0, 0, tzinfo=BEIJING)),
        fact("never", evaluated_at=None),
        fact("not-yet-due", evaluated_at=None, replied_at=datetime(2026, 11, 9, 9, 0, tzinfo=BEIJING)),
        fact("not-replied", evaluated_at=None, replied_at=None),
    ]
    assert [f["case_id"] for f in facts if evaluated_late(f, POLICY, now)] == ["late", "never"]
    (row,) = pair_statistics(facts, [], POLICY, now=now)
    assert (row["replied"], row["not_evaluated_in_time"]) == (4, 2)
