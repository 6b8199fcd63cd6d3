"""The deadline watcher: the holder's own limits, the entry time, and the order of what it reports.

Steps of the shipped policy (schemas/deadlines.yaml): hotline_ordinary is 7 days from
REFERRED for an ordinary-procedure hotline request; referral_sign 1 working day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kernel.domain.calendar import BEIJING, WorkingCalendar
from kernel.domain.deadlines import DeadlinePolicy, StepPolicy
from kernel.domain.watcher import DeadlineEvent, DeadlineWatcher, EventKind
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def fixed_clock(moment: dt.datetime):
    return lambda: moment


def test_observing_a_hotline_request_without_naming_the_procedure_starts_the_ordinary_clock():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    started = watcher.observe("jjj:BJ:1", c.STATUS_REFERRED, bj(2026, 12, 1, 9, 0), kind=c.CASE_KIND_HOTLINE_REQUEST)
    assert started == ["hotline_ordinary", "hotline_sign_ordinary"]
    assert watcher.deadline("jjj:BJ:1", "hotline_ordinary").due_at == bj(2026, 12, 8, 23, 59, 59)


def test_observing_a_long_running_hotline_request_starts_the_long_running_clock():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    started = watcher.observe(
        "jjj:BJ:1", c.STATUS_REFERRED, bj(2026, 12, 1, 9, 0), kind=c.CASE_KIND_HOTLINE_REQUEST, procedure="long_running"
    )
    assert started == ["hotline_long_running", "hotline_sign_ordinary"]


def test_the_clock_starts_when_the_case_entered_the_status_not_when_it_was_observed():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 3, 18, 0)))
    watcher.observe("jjj:BJ:1", c.STATUS_REFERRED, bj(2026, 12, 1, 9, 0), kind=c.CASE_KIND_HOTLINE_REQUEST)
    assert watcher.deadline("jjj:BJ:1", "hotline_ordinary").start == bj(2026, 12, 1, 9, 0)
    assert watcher.deadline("jjj:BJ:1", "hotline_sign_ordinary").due_at == bj(2026, 12, 2, 9, 0)


def policy_with_hebei_limit() -> DeadlinePolicy:
    shipped = DeadlinePolicy.load()
    return DeadlinePolicy(shipped.steps.values(), shipped.calendar, {"hebei": {"hotline_ordinary": 10}})


def test_observe_and_track_count_on_the_holders_own_limits():
    watcher = DeadlineWatcher(policy_with_hebei_limit(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    watcher.observe(
        "jjj:BJ:1", c.STATUS_REFERRED, bj(2026, 12, 1, 9, 0), kind=c.CASE_KIND_HOTLINE_REQUEST, jurisdiction="hebei"
    )
    assert watcher.deadline("jjj:BJ:1", "hotline_ordinary").due_at == bj(2026, 12, 11, 23, 59, 59)
    assert watcher.deadline("jjj:BJ:1", "hotline_ordinary").jurisdiction == "hebei"
    tracked = watcher.track("jjj:BJ:2", "hotline_ordinary", bj(2026, 12, 1, 9, 0), "hebei")
    assert tracked.due_at == bj(2026, 12, 11, 23, 59, 59)
    assert watcher.track("jjj:BJ:3", "hotline_ordinary", bj(2026, 12, 1, 9, 0)).due_at == bj(2026, 12, 8, 23, 59, 59)


def test_an_untracked_step_has_no_deadline():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    assert watcher.deadline("jjj:BJ:404", "referral_sign") is None


def test_running_clocks_come_soonest_due_first_whatever_the_case_ids():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    late = watcher.track("jjj:BJ:a", "hotline_ordinary", bj(2026, 12, 1, 9, 0))
    soon = watcher.track("jjj:BJ:b", "referral_sign", bj(2026, 12, 1, 9, 0))
    assert watcher.running() == [("jjj:BJ:b", "referral_sign", soon), ("jjj:BJ:a", "hotline_ordinary", late)]


def test_a_naive_now_is_refused():
    watcher = DeadlineWatcher(DeadlinePolicy.load(), fixed_clock(bj(2026, 12, 1, 9, 0)))
    with pytest.raises(ValueError) as error:
        watcher.due_events(dt.datetime(2026, 12, 1, 9, 0))
    assert str(error.value) == "now must be an aware datetime"


def test_a_notice_of_a_provisional_deadline_says_so():
    step = StepPolicy.from_yaml(
        "sign", {"amount": 1, "unit": "working_days", "starts_on": ["STATUS_REFERRED"], "stops_on": ["STATUS_RECEIVED"]}
    )
    watcher = DeadlineWatcher(DeadlinePolicy([step], WorkingCalendar()), fixed_clock(bj(2027, 3, 1, 9, 0)))
    deadline = watcher.track("jjj:BJ:1", "sign", bj(2027, 3, 1, 9, 0))  # 2027 is not in the calendar yet
    assert deadline.provisional
    assert watcher.due_events(bj(2027, 3, 3, 0, 0)) == [
        DeadlineEvent(EventKind.OVERDUE, "jjj:BJ:1", "sign", bj(2027, 3, 2, 23, 59, 59), True)
    ]
