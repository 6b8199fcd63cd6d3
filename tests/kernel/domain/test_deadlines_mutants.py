"""Deadline policy: every key of a step as read from the file, the errors an operator sees
when the file is wrong, and the edges of extension and time zones.

Dates were counted by hand on the calendar: December 2026 has no holiday in
chinese_calendar 1.11.0, and 2027 is unknown to it (weekends only, provisional).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from kernel.domain.calendar import BEIJING, UnknownYear, WorkingCalendar
from kernel.domain.deadlines import Deadline, DeadlineError, DeadlinePolicy, Extension, StepPolicy
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc

FULL_STEP = {
    "description": "receiver signs for it",
    "amount": 3,
    "unit": "days",
    "roll_forward": True,
    "starts_on": ["STATUS_REFERRED", "STATUS_DISPATCHED"],
    "stops_on": ["STATUS_RECEIVED"],
    "kinds": ["CASE_KIND_PETITION"],
    "urgencies": ["URGENCY_URGENT"],
    "procedure": "simple",
    "owner": "origin",
    "extension": {"max_times": 2, "max_amount": 4},
    "reminder": {"fraction": 0.5},
}
MINIMAL_STEP = {"amount": 1, "unit": "hours", "starts_on": ["STATUS_REFERRED"], "stops_on": ["STATUS_CLOSED"]}


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def end_of(year, month, day) -> dt.datetime:
    return bj(year, month, day, 23, 59, 59).astimezone(UTC)


def test_every_key_of_a_step_is_read():
    assert StepPolicy.from_yaml("sign", FULL_STEP) == StepPolicy(
        name="sign",
        description="receiver signs for it",
        amount=3,
        unit="days",
        starts_on=frozenset({c.STATUS_REFERRED, c.STATUS_DISPATCHED}),
        stops_on=frozenset({c.STATUS_RECEIVED}),
        kinds=frozenset({c.CASE_KIND_PETITION}),
        urgencies=frozenset({c.URGENCY_URGENT}),
        procedure="simple",
        owner="origin",
        roll_forward=True,
        extension=Extension(max_times=2, max_amount=4),
        reminder_fraction=0.5,
        reminder_hours=None,
    )


def test_a_step_with_only_the_required_keys_gets_the_documented_defaults():
    assert StepPolicy.from_yaml("call", MINIMAL_STEP) == StepPolicy(
        name="call",
        description="",
        amount=1,
        unit="hours",
        starts_on=frozenset({c.STATUS_REFERRED}),
        stops_on=frozenset({c.STATUS_CLOSED}),
        kinds=None,
        urgencies=None,
        procedure=None,
        owner="holder",
        roll_forward=False,
        extension=None,
        reminder_fraction=None,
        reminder_hours=None,
    )


def test_a_reminder_in_hours():
    step = StepPolicy.from_yaml("call", {**MINIMAL_STEP, "reminder": {"hours": 8}})
    assert (step.reminder_hours, step.reminder_fraction) == (8.0, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"remind": {"hours": 1}}, "deadlines.yaml: steps.x: unknown key(s) ['remind']"),
        ({"unit": "weeks"}, "deadlines.yaml: steps.x: unit must be hours, days or working_days, not 'weeks'"),
        ({"amount": 0}, "deadlines.yaml: steps.x: amount must be at least 1"),
        ({"reminder": {"minutes": 5}}, "deadlines.yaml: steps.x.reminder: unknown key(s) ['minutes']"),
        ({"reminder": {"fraction": 0.5, "hours": 2}}, "deadlines.yaml: steps.x.reminder: give fraction or hours, not both"),
        ({"extension": {"max_times": 1, "max_days": 3}}, "deadlines.yaml: steps.x.extension: unknown key(s) ['max_days']"),
    ],
)
def test_a_wrong_step_names_the_step_and_the_key(change, message):
    with pytest.raises(ValueError) as error:
        StepPolicy.from_yaml("x", {**MINIMAL_STEP, **change})
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("fraction", [0, 0.0, 1, 1.0, 1.5, -0.25])
def test_a_reminder_fraction_lies_strictly_between_0_and_1(fraction):
    with pytest.raises(ValueError) as error:
        StepPolicy.from_yaml("x", {**MINIMAL_STEP, "reminder": {"fraction": fraction}})
    assert str(error.value) == "deadlines.yaml: steps.x.reminder.fraction must be between 0 and 1"


@pytest.mark.parametrize("fraction", [0.01, 0.5, 0.99])
def test_a_reminder_fraction_inside_the_bounds_is_kept(fraction):
    assert StepPolicy.from_yaml("x", {**MINIMAL_STEP, "reminder": {"fraction": fraction}}).reminder_fraction == fraction


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deadlines.yaml"
    path.write_text(text, encoding="utf-8")
    return path


STEPS = """\
steps:
  sign:
    amount: 2
    unit: days
    starts_on: [STATUS_REFERRED]
    stops_on: [STATUS_RECEIVED]
"""


def test_a_policy_file_with_a_misspelt_section_names_the_file(tmp_path: Path):
    path = write_policy(tmp_path, "calender: {unknown_year: error}\n" + STEPS)
    with pytest.raises(ValueError) as error:
        DeadlinePolicy.load(path)
    assert str(error.value).startswith("deadlines.yaml: unknown key(s) ['calender']")


@pytest.mark.parametrize(
    ("calendar_section", "mode"),
    [
        ("", UnknownYear.WEEKENDS_PROVISIONAL),
        ("calendar: {}\n", UnknownYear.WEEKENDS_PROVISIONAL),
        ("calendar: {unknown_year: error}\n", UnknownYear.ERROR),
        ("calendar: {unknown_year: weekends_provisional}\n", UnknownYear.WEEKENDS_PROVISIONAL),
    ],
)
def test_the_unknown_year_mode_defaults_to_provisional_weekends(tmp_path: Path, calendar_section, mode):
    policy = DeadlinePolicy.load(write_policy(tmp_path, calendar_section + STEPS))
    assert policy.calendar.unknown_year is mode


def test_a_jurisdictions_own_amounts_are_read_and_apply_to_its_cases_only(tmp_path: Path):
    policy = DeadlinePolicy.load(write_policy(tmp_path, STEPS + "jurisdictions:\n  hebei:\n    sign: {amount: 5}\n  tianjin:\n"))
    assert policy.amounts == {"hebei": {"sign": 5}, "tianjin": {}}
    assert policy.amount("sign", "hebei") == 5
    assert policy.amount("sign", "tianjin") == 2
    assert policy.amount("sign", None) == 2
    start = bj(2026, 12, 1, 10, 0)
    assert policy.deadline("sign", start, "hebei").due_at == end_of(2026, 12, 6)
    assert policy.deadline("sign", start).due_at == end_of(2026, 12, 3)


def test_an_unknown_step_lists_the_known_ones():
    policy = DeadlinePolicy([StepPolicy.from_yaml("b", MINIMAL_STEP), StepPolicy.from_yaml("a", MINIMAL_STEP)], WorkingCalendar())
    with pytest.raises(DeadlineError) as error:
        policy.step("c")
    assert str(error.value) == "unknown step 'c'; known: a, b"


def extendable(unit: str = "days", amount: int = 5, max_amount: int = 30) -> StepPolicy:
    return StepPolicy.from_yaml(
        "handle", {**MINIMAL_STEP, "unit": unit, "amount": amount, "extension": {"max_times": 1, "max_amount": max_amount}}
    )


def test_an_extension_of_one_unit_is_allowed_and_of_none_is_not():
    policy = DeadlinePolicy([extendable()], WorkingCalendar())
    deadline = policy.deadline("handle", bj(2026, 12, 1, 9, 0))
    assert policy.extend(deadline, 1).due_at == end_of(2026, 12, 7)
    assert policy.extend(deadline, 30).due_at == end_of(2027, 1, 5)
    for amount in (0, -1, 31):
        with pytest.raises(DeadlineError) as error:
            policy.extend(deadline, amount)
        assert str(error.value) == f"handle: an extension is 1..30 days, not {amount}"


def test_an_extension_counts_on_the_holders_own_period():
    policy = DeadlinePolicy([extendable()], WorkingCalendar(), {"hebei": {"handle": 10}})
    deadline = policy.deadline("handle", bj(2026, 12, 1, 9, 0), "hebei")
    assert deadline.due_at == end_of(2026, 12, 11)
    extended = policy.extend(deadline, 3)
    assert extended == Deadline("handle", deadline.start, end_of(2026, 12, 14), False, 3, 1, "hebei", own_limits=True)


def test_an_extension_into_an_unknown_year_becomes_provisional_and_back_out_of_it_does_not():
    policy = DeadlinePolicy([extendable("working_days")], WorkingCalendar())
    deadline = policy.deadline("handle", bj(2026, 12, 1, 9, 0))
    # 5 working days after Tue 1 Dec 2026: Wed 2 .. Tue 8 Dec, all known.
    assert (deadline.due_at, deadline.provisional) == (end_of(2026, 12, 8), False)
    extended = policy.extend(deadline, 30)
    # 35: 22 more in December (2..31), then Fri 1 Jan 2027 and weekdays up to Tue 19 Jan (guessed).
    assert (extended.due_at, extended.provisional) == (end_of(2027, 1, 19), True)


@pytest.fixture
def beijing_machine(monkeypatch):
    """The process's local time zone is Beijing (where a gateway may well run)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("unit", ["hours", "days", "working_days"])
def test_start_and_due_times_are_utc_whatever_the_machines_zone(beijing_machine, unit):
    assert dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC).astimezone().utcoffset() == dt.timedelta(hours=8)
    policy = DeadlinePolicy([StepPolicy.from_yaml("s", {**MINIMAL_STEP, "unit": unit})], WorkingCalendar())
    deadline = policy.deadline("s", bj(2026, 12, 1, 9, 0))
    assert deadline.start.utcoffset() == dt.timedelta(0)
    assert deadline.due_at.utcoffset() == dt.timedelta(0)


class _NoOffset(dt.tzinfo):
    def utcoffset(self, moment):
        return None

    def dst(self, moment):
        return None


def test_a_start_whose_zone_has_no_offset_is_refused():
    policy = DeadlinePolicy([StepPolicy.from_yaml("s", MINIMAL_STEP)], WorkingCalendar())
    with pytest.raises(ValueError, match=re.escape("has no time zone; deadlines need aware datetimes")):
        policy.deadline("s", dt.datetime(2026, 12, 1, 9, 0, tzinfo=_NoOffset()))
