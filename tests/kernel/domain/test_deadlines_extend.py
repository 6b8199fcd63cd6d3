"""Extending a deadline counts on the holder's own limit, not on the federation default."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.calendar import BEIJING
from kernel.domain.deadlines import DeadlinePolicy, Extension, StepPolicy
from kernel.tables import SCHEMAS_DIR

UTC = dt.timezone.utc
CALENDAR = DeadlinePolicy.load().calendar


def end_of(year, month, day) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=BEIJING).astimezone(UTC)


def policy_with_hebei_limit(tmp_path, step: str, amount: int) -> DeadlinePolicy:
    import yaml

    data = yaml.safe_load((SCHEMAS_DIR / "deadlines.yaml").read_text(encoding="utf-8"))
    data["jurisdictions"]["hebei"] = {step: {"amount": amount}}
    path = tmp_path / "deadlines.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return DeadlinePolicy.load(path)


def test_an_extension_adds_to_the_holders_own_period(tmp_path):
    policy = policy_with_hebei_limit(tmp_path, "petition_handle", 45)
    start = dt.datetime(2026, 8, 2, 9, 0, tzinfo=BEIJING)
    hebei = policy.deadline("petition_handle", start, "hebei")
    assert hebei.due_at == end_of(2026, 9, 16)  # 2 Aug + 45 days = Wed 16 Sep
    extended = policy.extend(hebei, 7)
    # 45 + 7 = 52 days: Wed 23 Sep (the default 60 + 7 would end on 8 Oct)
    assert extended.due_at == end_of(2026, 9, 23)
    assert (extended.jurisdiction, extended.extended_by, extended.extensions) == ("hebei", 7, 1)
    # a holder without its own limit extends the default period
    default = policy.extend(policy.deadline("petition_handle", start, "beijing"), 7)
    assert default.due_at == end_of(2026, 10, 8)  # 2 Aug + 67 days = Thu 8 Oct


DAYS_STEP = StepPolicy(name="handle", description="", amount=20, unit="days", starts_on=frozenset(), stops_on=frozenset(),
                       extension=Extension(max_times=3, max_amount=30))


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 6, 30), timezones=st.just(BEIJING)),
    own=st.integers(1, 60),
    extensions=st.lists(st.integers(1, 30), min_size=1, max_size=3),
)
def test_the_extended_due_day_is_the_holders_period_plus_every_extension(start, own, extensions):
    policy = DeadlinePolicy([DAYS_STEP], CALENDAR, amounts={"tianjin": {"handle": own}})
    deadline = policy.deadline("handle", start, "tianjin")
    for amount in extensions:
        deadline = policy.extend(deadline, amount)
    last_day = start.astimezone(BEIJING).date() + dt.timedelta(days=own + sum(extensions))
    assert deadline.due_at == end_of(last_day.year, last_day.month, last_day.day)
    assert deadline.extensions == len(extensions)
