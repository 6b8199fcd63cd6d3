"""The deadline watcher with a hand-driven clock: each reminder and overdue notice exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.calendar import BEIJING
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineEvent, DeadlineWatcher, EventKind
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
POLICY = DeadlinePolicy.load()
CASE = "jjj:BJ:2026093000001"
REFERRED_AT = dt.datetime(2026, 9, 30, 15, 0, tzinfo=BEIJING)
SIGN_DUE = dt.datetime(2026, 10, 8, 23, 59, 59, tzinfo=BEIJING)  # see test_deadlines
SIGN_REMINDER = SIGN_DUE - dt.timedelta(hours=8)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, *args) -> None:
        self.now = dt.datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def clock() -> Clock:
    return Clock(REFERRED_AT)


@pytest.fixture
def watcher(clock) -> DeadlineWatcher:
    return DeadlineWatcher(POLICY, clock)


def kinds(events: list[DeadlineEvent]) -> list[tuple[EventKind, str, str]]:
    return [(e.kind, e.case_id, e.step) for e in events]


def test_reminder_then_overdue_each_exactly_once(watcher, clock):
    deadline = watcher.track(CASE, "referral_sign", REFERRED_AT)
    assert deadline.due_at == SIGN_DUE
    clock.set(2026, 10, 8, 15, 59, 58)
    assert watcher.due_events() == []
    clock.set(2026, 10, 8, 15, 59, 59)
    assert watcher.due_events() == [DeadlineEvent(EventKind.REMINDER, CASE, "referral_sign", SIGN_DUE, False)]
    assert watcher.due_events() == []
    clock.set(2026, 10, 8, 23, 59, 58)
    assert watcher.due_events() == []
    clock.set(2026, 10, 8, 23, 59, 59)
    assert kinds(watcher.due_events()) == [(EventKind.OVERDUE, CASE, "referral_sign")]
    clock.set(2026, 10, 20, 0, 0)
    assert watcher.due_events() == []


def test_an_explicit_now_overrides_the_clock(watcher):
    watcher.track(CASE, "referral_sign", REFERRED_AT)
    assert kinds(watcher.due_events(SIGN_REMINDER)) == [(EventKind.REMINDER, CASE, "referral_sign")]
    with pytest.raises(ValueError):
        watcher.due_events(dt.datetime(2026, 10, 9))


def test_a_stopped_clock_emits_nothing(watcher, clock):
    watcher.track(CASE, "referral_sign", REFERRED_AT)
    assert watcher.stop(CASE, "referral_sign")
    assert not watcher.stop(CASE, "referral_sign")
    clock.set(2026, 10, 20, 0, 0)
    assert watcher.due_events() == []


def test_a_reminder_noticed_after_the_deadline_is_superseded_by_the_overdue(watcher, clock):
    watcher.track(CASE, "referral_sign", REFERRED_AT)
    clock.set(2026, 10, 9, 9, 0)
    assert kinds(watcher.due_events()) == [(EventKind.OVERDUE, CASE, "referral_sign")]
    assert watcher.due_events() == []


def test_tracking_again_is_idempotent_but_a_new_start_rearms(watcher, clock):
    watcher.track(CASE, "referral_sign", REFERRED_AT)
    clock.set(2026, 10, 8, 16, 0)
    assert len(watcher.due_events()) == 1
    watcher.track(CASE, "referral_sign", REFERRED_AT)  # a redelivered referral
    assert watcher.due_events() == []
    rerouted = dt.datetime(2026, 10, 8, 16, 0, tzinfo=BEIJING)
    assert watcher.track(CASE, "referral_sign", rerouted).due_at == dt.datetime(
        2026, 10, 9, 23, 59, 59, tzinfo=BEIJING
    )
    assert watcher.due_events() == []
    clock.set(2026, 10, 9, 16, 0)
    assert kinds(watcher.due_events()) == [(EventKind.REMINDER, CASE, "referral_sign")]


def test_track_defaults_to_the_clock(watcher, clock):
    assert watcher.track(CASE, "hotline_urgent").start == REFERRED_AT.astimezone(UTC)


def test_an_extension_moves_the_deadline_and_rearms_its_notices(watcher, clock):
    accepted = dt.datetime(2026, 8, 2, 9, 0, tzinfo=BEIJING)
    watcher.track(CASE, "petition_handle", accepted)
    clock.set(2026, 9, 25, 0, 0)
    assert kinds(watcher.due_events()) == [(EventKind.REMINDER, CASE, "petition_handle")]
    extended = watcher.extend(CASE, "petition_handle", 30)
    assert extended.due_at == dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=BEIJING)
    assert watcher.deadline(CASE, "petition_handle") == extended
    clock.set(2026, 10, 9, 0, 0)  # past the old due time
    assert watcher.due_events() == []
    clock.set(2026, 11, 3, 0, 0)
    assert [e.kind for e in watcher.due_events()] == [EventKind.OVERDUE]


def test_a_window_without_reminder_only_reports_its_end(watcher, clock):
    watcher.track(CASE, "petition_review_request_window", REFERRED_AT)
    clock.set(2026, 10, 29, 12, 0)
    assert watcher.due_events() == []
    clock.set(2026, 11, 1, 0, 0)
    assert kinds(watcher.due_events()) == [(EventKind.OVERDUE, CASE, "petition_review_request_window")]


def test_observe_starts_and_stops_clocks_from_status_changes(watcher, clock):
    started = watcher.observe(
        CASE, c.STATUS_REFERRED, REFERRED_AT, kind=c.CASE_KIND_HOTLINE_REQUEST, urgency=c.URGENCY_URGENT
    )
    assert started == ["hotline_sign_urgent", "hotline_urgent"]
    assert [step for _, step, _ in watcher.running()] == ["hotline_sign_urgent", "hotline_urgent"]
    watcher.observe(CASE, c.STATUS_RECEIVED, REFERRED_AT, kind=c.CASE_KIND_HOTLINE_REQUEST)
    assert [step for _, step, _ in watcher.running()] == ["hotline_urgent"]
    clock.set(2026, 9, 30, 16, 30)
    assert kinds(watcher.due_events()) == [(EventKind.REMINDER, CASE, "hotline_urgent")]
    watcher.observe(CASE, c.STATUS_REPLIED, clock.now, kind=c.CASE_KIND_HOTLINE_REQUEST)
    assert [step for _, step, _ in watcher.running()] == ["followup_evaluation"]  # the origin's turn


def test_events_come_in_time_order_across_cases(watcher, clock):
    watcher.track("jjj:BJ:2", "hotline_urgent", dt.datetime(2026, 9, 30, 15, 30, tzinfo=BEIJING))
    watcher.track("jjj:BJ:1", "hotline_urgent", REFERRED_AT)
    clock.set(2026, 9, 30, 18, 0)
    events = watcher.due_events()
    assert [(e.case_id, e.kind) for e in events] == [
        ("jjj:BJ:1", EventKind.OVERDUE),
        ("jjj:BJ:2", EventKind.OVERDUE),
    ]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.sampled_from(sorted(POLICY.steps)), min_size=1, max_size=5),
    polls=st.lists(st.integers(0, 120 * 24), min_size=1, max_size=30),
)
def test_however_the_watcher_is_polled_each_notice_comes_once_and_in_order(steps, polls):
    clock = Clock(REFERRED_AT)
    watcher = DeadlineWatcher(POLICY, clock)
    for number, step in enumerate(steps):
        watcher.track(f"jjj:BJ:{number}", step, REFERRED_AT)
    seen: list[DeadlineEvent] = []
    for hours in sorted(polls) + [200 * 24]:  # the last poll is past every deadline
        now = REFERRED_AT + dt.timedelta(hours=hours)
        events = watcher.due_events(now)
        assert all(e.due_at <= now or e.kind is EventKind.REMINDER for e in events)
        seen.extend(events)
    per_case: dict[str, list[EventKind]] = {}
    for event in seen:
        per_case.setdefault(event.case_id, []).append(event.kind)
    assert set(per_case) == {f"jjj:BJ:{n}" for n in range(len(steps))}
    for case_kinds in per_case.values():
        assert case_kinds in ([EventKind.OVERDUE], [EventKind.REMINDER, EventKind.OVERDUE])


def test_running_clocks_due_by_a_time_are_those_only_soonest_first(watcher):
    watcher.track("jjj:BJ:late", "referral_sign", REFERRED_AT + dt.timedelta(days=20))
    watcher.track("jjj:BJ:soon", "referral_sign", REFERRED_AT)
    watcher.track("jjj:BJ:sooner", "referral_sign", REFERRED_AT - dt.timedelta(days=3))
    every = watcher.running()
    assert [case for case, _, _ in every] == ["jjj:BJ:sooner", "jjj:BJ:soon", "jjj:BJ:late"]
    assert watcher.running(due_by=SIGN_DUE) == every[:2]
    assert watcher.running(due_by=SIGN_DUE - dt.timedelta(seconds=1)) == every[:1]


def test_clock_states_count_overdue_due_soon_and_running_per_holder(watcher):
    watcher.track("jjj:BJ:a", "referral_sign", REFERRED_AT, jurisdiction="hebei")
    watcher.track("jjj:BJ:b", "referral_sign", REFERRED_AT - dt.timedelta(days=3), jurisdiction="hebei")
    watcher.track("jjj:BJ:c", "referral_sign", REFERRED_AT + dt.timedelta(days=20))
    watcher.track("jjj:BJ:d", "referral_sign", REFERRED_AT - dt.timedelta(days=3), jurisdiction="tianjin")
    watcher.pause("jjj:BJ:d", "referral_sign", REFERRED_AT)  # paused: running, whatever its due time
    states = watcher.states(SIGN_REMINDER)  # a's reminder time; b is overdue by then
    assert states == {("due_soon", "hebei"): 1, ("overdue", "hebei"): 1, ("running", "default"): 1,
                      ("running", "tianjin"): 1}
    # The same as reading each clock's reminder from the policy, as the gauge did before.
    for (case_id, step, deadline) in watcher.running():
        remind_at = POLICY.reminder_at(deadline)
        assert watcher._tracked[(case_id, step)].remind_at == remind_at
