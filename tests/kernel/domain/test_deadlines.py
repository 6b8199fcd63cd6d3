"""Deadlines from policy data. Expected dates were checked against chinese_calendar 1.11.0:
2026-09-25 (Fri) Mid-Autumn and 10-01..10-07 National Day are holidays; Sun 09-20 and
Sat 10-10 are make-up working days; 10-31/11-01 a plain weekend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.calendar import BEIJING, CalendarYearUnknown, UnknownYear, WorkingCalendar
from kernel.domain.deadlines import DeadlineError, DeadlinePolicy, StepPolicy
from kernel.tables import SCHEMAS_DIR
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
POLICY = DeadlinePolicy.load()


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def end_of(year, month, day) -> dt.datetime:
    return bj(year, month, day, 23, 59, 59).astimezone(UTC)


def test_every_default_of_the_context_is_in_the_policy():
    expected = {
        "referral_sign": (1, "working_days"),
        "petition_accept_decision": (15, "days"),
        "petition_forward": (15, "days"),
        "petition_handle": (60, "days"),
        "petition_review_request_window": (30, "days"),
        "petition_recheck_request_window": (30, "days"),
        "petition_review_decision": (30, "days"),
        "petition_recheck_decision": (30, "days"),
        "petition_simple_reply": (5, "working_days"),
        "hotline_urgent": (2, "hours"),
        "hotline_ordinary": (7, "days"),
        "hotline_long_running": (15, "days"),
        # practice defaults beyond CONTEXT.md's table (configurable)
        "hotline_sign_urgent": (1, "hours"),
        "hotline_sign_ordinary": (24, "hours"),
        "followup_evaluation": (5, "days"),
        "return_dispute_window": (3, "working_days"),
        "return_coordination": (10, "working_days"),
    }
    assert {name: (s.amount, s.unit) for name, s in POLICY.steps.items()} == expected
    assert POLICY.step("petition_handle").extension.max_amount == 30
    assert POLICY.step("petition_handle").extension.max_times == 1


def test_referral_signed_for_over_national_day_is_due_at_the_end_of_8_october():
    deadline = POLICY.deadline("referral_sign", bj(2026, 9, 30, 15, 0))
    assert deadline.due_at == dt.datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Beijing
    assert deadline.due_at.tzinfo == UTC
    assert not deadline.provisional
    assert deadline.step == "referral_sign"
    assert deadline.start == dt.datetime(2026, 9, 30, 7, 0, tzinfo=UTC)


def test_sign_deadline_does_not_depend_on_the_hour_nor_on_arriving_during_the_holiday():
    assert POLICY.deadline("referral_sign", bj(2026, 9, 30, 0, 1)).due_at == end_of(2026, 10, 8)
    assert POLICY.deadline("referral_sign", bj(2026, 9, 30, 23, 59)).due_at == end_of(2026, 10, 8)
    assert POLICY.deadline("referral_sign", bj(2026, 10, 3, 10, 0)).due_at == end_of(2026, 10, 8)
    # a Friday referral is due on the make-up Saturday
    assert POLICY.deadline("referral_sign", bj(2026, 10, 9, 15, 0)).due_at == end_of(2026, 10, 10)
    # the start instant is read in Beijing time: 16:30 UTC on 30 Sep is already 1 Oct in Beijing
    late = dt.datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert POLICY.deadline("referral_sign", late).due_at == end_of(2026, 10, 8)


def test_simple_procedure_counts_five_working_days_including_the_make_up_saturday():
    # Mon 28 Sep: 29, 30 Sep, 8, 9, 10 Oct
    assert POLICY.deadline("petition_simple_reply", bj(2026, 9, 28, 10, 0)).due_at == end_of(2026, 10, 10)


def test_natural_day_limits_roll_off_a_holiday_only_when_the_policy_says_so():
    # petition: 22 Sep + 15 days = 7 Oct (holiday) -> next working day 8 Oct
    assert POLICY.deadline("petition_accept_decision", bj(2026, 9, 22, 10, 0)).due_at == end_of(2026, 10, 8)
    # hotline works every day: 27 Sep + 7 = Sun 4 Oct, kept
    assert POLICY.deadline("hotline_ordinary", bj(2026, 9, 27, 10, 0)).due_at == end_of(2026, 10, 4)
    assert POLICY.deadline("hotline_long_running", bj(2026, 9, 27, 10, 0)).due_at == end_of(2026, 10, 12)


def test_urgent_hotline_is_two_wall_clock_hours_even_on_a_holiday_night():
    deadline = POLICY.deadline("hotline_urgent", bj(2026, 10, 1, 23, 15))
    assert deadline.due_at == bj(2026, 10, 2, 1, 15).astimezone(UTC)
    assert not deadline.provisional


def test_petition_handling_extended_once_by_at_most_30_days():
    deadline = POLICY.deadline("petition_handle", bj(2026, 8, 2, 9, 0))
    assert deadline.due_at == end_of(2026, 10, 8)  # 2 Aug + 60 = 1 Oct, holiday -> 8 Oct
    extended = POLICY.extend(deadline, 30)
    assert extended.due_at == end_of(2026, 11, 2)  # 2 Aug + 90 = Sat 31 Oct -> Mon 2 Nov
    assert (extended.extended_by, extended.extensions) == (30, 1)
    with pytest.raises(DeadlineError, match="1 time"):
        POLICY.extend(extended, 5)
    with pytest.raises(DeadlineError, match="1..30"):
        POLICY.extend(deadline, 31)
    with pytest.raises(DeadlineError, match="cannot be extended"):
        POLICY.extend(POLICY.deadline("referral_sign", bj(2026, 9, 30, 15, 0)), 1)


def test_a_deadline_in_an_unknown_year_is_provisional_by_default():
    deadline = POLICY.deadline("petition_handle", bj(2026, 11, 24, 10, 0))
    # 24 Nov + 60 = Sat 23 Jan 2027; 2027 is unknown: weekends only -> Mon 25 Jan, provisional
    assert deadline.due_at == end_of(2027, 1, 25)
    assert deadline.provisional
    # a 2026 deadline whose counting never looks at 2027 is not provisional
    assert not POLICY.deadline("petition_handle", bj(2026, 10, 20, 10, 0)).provisional
    # hours and non-rolling days never consult the calendar
    assert not POLICY.deadline("hotline_ordinary", bj(2026, 12, 30, 10, 0)).provisional


def test_a_deadline_in_an_unknown_year_can_be_refused_by_configuration(tmp_path: Path):
    strict = DeadlinePolicy.load(calendar=WorkingCalendar.load(unknown_year=UnknownYear.ERROR))
    with pytest.raises(CalendarYearUnknown):
        strict.deadline("referral_sign", bj(2026, 12, 31, 10, 0))
    assert strict.deadline("referral_sign", bj(2026, 9, 30, 15, 0)).due_at == end_of(2026, 10, 8)
    # and the switch lives in deadlines.yaml
    text = (SCHEMAS_DIR / "deadlines.yaml").read_text(encoding="utf-8")
    assert "unknown_year: weekends_provisional" in text
    configured = tmp_path / "deadlines.yaml"
    configured.write_text(text.replace("unknown_year: weekends_provisional", "unknown_year: error"), encoding="utf-8")
    with pytest.raises(CalendarYearUnknown):
        DeadlinePolicy.load(configured).deadline("referral_sign", bj(2026, 12, 31, 10, 0))


def test_naive_start_and_unknown_step_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        POLICY.deadline("referral_sign", dt.datetime(2026, 9, 30, 15, 0))
    with pytest.raises(DeadlineError, match="unknown step 'sign'"):
        POLICY.deadline("sign", bj(2026, 9, 30, 15, 0))


def test_reminders_by_fixed_hours_or_fraction_or_none():
    sign = POLICY.deadline("referral_sign", bj(2026, 9, 30, 15, 0))
    assert POLICY.reminder_at(sign) == bj(2026, 10, 8, 15, 59, 59).astimezone(UTC)  # 8 hours before
    urgent = POLICY.deadline("hotline_urgent", bj(2026, 10, 1, 10, 0))
    assert POLICY.reminder_at(urgent) == bj(2026, 10, 1, 11, 30).astimezone(UTC)  # 25 % of 2 h
    window = POLICY.deadline("petition_review_request_window", bj(2026, 10, 1, 10, 0))
    assert POLICY.reminder_at(window) is None  # the citizen's window: nobody to remind


def test_which_steps_a_status_starts_and_stops():
    referred = c.STATUS_REFERRED
    hotline, petition = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION
    assert POLICY.steps_starting(referred, kind=hotline, urgency=c.URGENCY_URGENT) == [
        "hotline_sign_urgent",
        "hotline_urgent",
    ]
    assert POLICY.steps_starting(referred, kind=hotline, urgency=c.URGENCY_NORMAL) == [
        "hotline_ordinary",
        "hotline_sign_ordinary",
    ]
    assert POLICY.steps_starting(referred, kind=hotline, procedure="long_running") == [
        "hotline_long_running",
        "hotline_sign_ordinary",
    ]
    # an ordinary petition has no signing limit: its acceptance clock runs from delivery
    assert POLICY.steps_starting(referred, kind=petition) == ["petition_accept_decision"]
    assert POLICY.steps_starting(referred, kind=petition, procedure="simple") == [
        "petition_accept_decision",
        "referral_sign",
    ]
    assert POLICY.steps_starting(c.STATUS_ACCEPTED, kind=petition) == ["petition_handle"]
    assert POLICY.steps_starting(c.STATUS_ACCEPTED, kind=petition, procedure="simple") == ["petition_simple_reply"]
    assert {"referral_sign", "hotline_sign_urgent", "hotline_sign_ordinary"} <= set(POLICY.steps_stopping(c.STATUS_RECEIVED))
    assert "hotline_ordinary" in POLICY.steps_stopping(c.STATUS_RETURNED)


def test_a_misspelt_policy_key_fails_to_load(tmp_path: Path):
    text = (SCHEMAS_DIR / "deadlines.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "deadlines.yaml"
    broken.write_text(text.replace("\n    roll_forward: true", "\n    rollforward: true", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key"):
        DeadlinePolicy.load(broken)


# --- properties ------------------------------------------------------------------------------

CALENDAR = POLICY.calendar
starts_in_2026 = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 11, 30), timezones=st.just(BEIJING)
)


@settings(max_examples=200, deadline=None)
@given(start=starts_in_2026, amount=st.integers(1, 10))
def test_a_working_day_deadline_ends_on_the_nth_working_day_after_the_start_date(start, amount):
    spec = StepPolicy(name="n_working_days", description="", amount=amount, unit="working_days",
                      starts_on=frozenset(), stops_on=frozenset())  # fmt: skip
    deadline = DeadlinePolicy([spec], CALENDAR).deadline("n_working_days", start)
    local = deadline.due_at.astimezone(BEIJING)
    assert local.time() == dt.time(23, 59, 59)
    assert CALENDAR.is_working_day(local.date()).working
    between = [start.date() + dt.timedelta(days=n) for n in range(1, (local.date() - start.date()).days + 1)]
    assert sum(CALENDAR.is_working_day(day).working for day in between) == amount
    assert not deadline.provisional


@settings(max_examples=200, deadline=None)
@given(start=starts_in_2026)
def test_a_rolled_day_limit_never_ends_early_and_always_on_a_working_day(start):
    deadline = POLICY.deadline("petition_accept_decision", start)
    last = deadline.due_at.astimezone(BEIJING).date()
    assert last >= start.date() + dt.timedelta(days=15)
    assert CALENDAR.is_working_day(last).working
    # and only as late as needed: every day between the nominal end and the due day is off
    nominal = start.date() + dt.timedelta(days=15)
    skipped = [nominal + dt.timedelta(days=n) for n in range((last - nominal).days)]
    assert not any(CALENDAR.is_working_day(day).working for day in skipped)


def test_the_holders_own_limit_applies_where_it_differs(tmp_path):
    import yaml

    from kernel.tables import SCHEMAS_DIR

    data = yaml.safe_load((SCHEMAS_DIR / "deadlines.yaml").read_text(encoding="utf-8"))
    data["jurisdictions"]["hebei"] = {"hotline_ordinary": {"amount": 10}}
    path = tmp_path / "deadlines.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policy = DeadlinePolicy.load(path)
    start = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)  # Monday 09:00 Beijing
    default = policy.deadline("hotline_ordinary", start)
    beijing = policy.deadline("hotline_ordinary", start, "beijing")
    hebei = policy.deadline("hotline_ordinary", start, "hebei")
    assert default.due_at == beijing.due_at
    assert hebei.due_at - beijing.due_at == dt.timedelta(days=3)
    assert hebei.jurisdiction == "hebei"


_STATUSES = st.sampled_from(list(c.Status.values()))
_EVENTS = st.none() | st.sampled_from(list(c.EventType.values()))


@given(status=_STATUSES, kind=st.sampled_from(list(c.CaseKind.values())), urgency=st.sampled_from(list(c.Urgency.values())),
       procedure=st.sampled_from(list(c.Procedure.values())), event=_EVENTS)
@settings(max_examples=300, deadline=None)
def test_the_steps_a_status_starts_and_stops_are_the_same_asked_once_or_again(status, kind, urgency, procedure, event):
    policy = DeadlinePolicy.load()
    name = policy.procedure_name(procedure)
    starting = sorted(s.name for s in policy.steps.values()
                      if status in s.starts_on and s.starts_on_event == event and (s.kinds is None or kind in s.kinds)
                      and (s.urgencies is None or urgency in s.urgencies) and (s.procedure is None or s.procedure == name))
    stopping = sorted(s.name for s in policy.steps.values() if status in s.stops_on)
    for _ in range(2):  # the second answer is the remembered one
        answer = policy.steps_starting(status, kind=kind, urgency=urgency, procedure=procedure, event=event)
        assert answer == starting
        answer.append("changed by a caller")  # a caller's list is its own
        stopped = policy.steps_stopping(status)
        assert stopped == stopping
        stopped.clear()
