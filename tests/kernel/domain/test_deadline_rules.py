"""The second pass over the deadline rules: each test names the rule it holds."""

from __future__ import annotations

import datetime as dt

import pytest

from kernel.domain import events
from kernel.domain.calendar import BEIJING
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from kernel.errors import ConfigurationError, DeadlineError, TransitionError
from kernel.tables import SCHEMAS_DIR
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
POLICY = DeadlinePolicy.load()
PETITION, HOTLINE = c.CASE_KIND_PETITION, c.CASE_KIND_HOTLINE_REQUEST
CASE = "jjj:BJ:1"


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def watcher_at(moment: dt.datetime) -> DeadlineWatcher:
    return DeadlineWatcher(POLICY, lambda: moment)


# -- acceptance from delivery -------------------------------------------------

def test_the_acceptance_clock_runs_from_delivery_and_a_late_signature_does_not_move_it():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    delivered = bj(2026, 11, 2, 9, 0)
    assert "petition_accept_decision" in watcher.observe(CASE, c.STATUS_REFERRED, delivered, kind=PETITION)
    watcher.observe(CASE, c.STATUS_RECEIVED, bj(2026, 11, 9, 16, 0), kind=PETITION)  # signed a week later
    deadline = watcher.deadline(CASE, "petition_accept_decision")
    assert deadline.start == delivered.astimezone(UTC)
    assert deadline.due_at == bj(2026, 11, 17, 23, 59, 59)  # 2 Nov + 15 days, a Tuesday


# -- signing limits ----------------------------------------------------------

def test_the_one_working_day_signing_limit_is_the_simple_procedures_only():
    assert POLICY.step("referral_sign").procedure == "simple"
    assert POLICY.step("referral_sign").source == "practice"
    ordinary = watcher_at(bj(2026, 11, 2, 9, 0))
    ordinary.observe(CASE, c.STATUS_REFERRED, bj(2026, 11, 2, 9, 0), kind=PETITION)
    assert ordinary.deadline(CASE, "referral_sign") is None
    simple = watcher_at(bj(2026, 11, 2, 9, 0))
    simple.observe(CASE, c.STATUS_REFERRED, bj(2026, 11, 2, 9, 0), kind=PETITION, procedure=c.PROCEDURE_SIMPLE)
    assert simple.deadline(CASE, "referral_sign").due_at == bj(2026, 11, 3, 23, 59, 59)


def test_an_urgent_hotline_transfer_is_signed_within_the_hour_even_before_a_holiday():
    # Wed 30 Sep 2026 18:00: the National Day holiday starts the next day.
    watcher = watcher_at(bj(2026, 9, 30, 18, 0))
    started = watcher.observe(CASE, c.STATUS_DISPATCHED, bj(2026, 9, 30, 18, 0), kind=HOTLINE, urgency=c.URGENCY_URGENT)
    assert "hotline_sign_urgent" in started and "referral_sign" not in started
    assert watcher.deadline(CASE, "hotline_sign_urgent").due_at == bj(2026, 9, 30, 19, 0)


def test_an_ordinary_hotline_transfer_has_its_own_wall_clock_signing_limit():
    watcher = watcher_at(bj(2026, 9, 30, 18, 0))
    watcher.observe(CASE, c.STATUS_DISPATCHED, bj(2026, 9, 30, 18, 0), kind=HOTLINE, urgency=c.URGENCY_NORMAL)
    assert watcher.deadline(CASE, "hotline_sign_ordinary").due_at == bj(2026, 10, 1, 18, 0)
    assert watcher.deadline(CASE, "hotline_sign_urgent") is None


def test_a_member_may_set_its_own_hotline_signing_limit():
    policy = DeadlinePolicy(POLICY.steps.values(), POLICY.calendar, {"tianjin": {"hotline_sign_urgent": 2}},
                            POLICY.procedures)
    deadline = policy.deadline("hotline_sign_urgent", bj(2026, 9, 30, 18, 0), "tianjin")
    assert (deadline.due_at, deadline.own_limits) == (bj(2026, 9, 30, 20, 0), True)
    default = policy.deadline("hotline_sign_urgent", bj(2026, 9, 30, 18, 0), "hebei")
    assert (default.due_at, default.own_limits, default.jurisdiction) == (bj(2026, 9, 30, 19, 0), False, "hebei")


# -- procedures are reachable -----------------------------------------------

def test_the_case_procedure_code_selects_the_procedure_named_in_the_policy():
    assert POLICY.procedure_name(c.PROCEDURE_SIMPLE) == "simple"
    assert POLICY.procedure_name(c.PROCEDURE_LONG_RUNNING) == "long_running"
    assert POLICY.procedure_name(c.PROCEDURE_UNSPECIFIED) == "ordinary"
    assert POLICY.steps_starting(c.STATUS_REFERRED, kind=HOTLINE, procedure=c.PROCEDURE_LONG_RUNNING) == [
        "hotline_long_running", "hotline_sign_ordinary"]
    assert POLICY.steps_starting(c.STATUS_ACCEPTED, kind=PETITION, procedure=c.PROCEDURE_SIMPLE) == ["petition_simple_reply"]


def test_a_step_naming_an_unknown_procedure_fails_to_load(tmp_path):
    text = (SCHEMAS_DIR / "deadlines.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "deadlines.yaml"
    broken.write_text(text.replace("procedure: long_running", "procedure: longrunning", 1), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="longrunning"):
        DeadlinePolicy.load(broken)


# -- the assigning body's due date ------------------------------------------

def test_an_earlier_due_date_of_the_assigning_body_is_honoured_a_later_one_is_not():
    start = bj(2026, 11, 2, 9, 0)
    earlier = POLICY.deadline("hotline_ordinary", start, "hebei", assigned_due_at=bj(2026, 11, 5, 18, 0))
    assert (earlier.due_at, earlier.assigned) == (bj(2026, 11, 5, 18, 0), True)
    later = POLICY.deadline("hotline_ordinary", start, "hebei", assigned_due_at=bj(2026, 12, 5, 18, 0))
    assert (later.due_at, later.assigned) == (bj(2026, 11, 9, 23, 59, 59), False)
    # a signing limit is not the assigning body's to shorten
    assert not POLICY.deadline("hotline_sign_ordinary", start, assigned_due_at=bj(2026, 11, 2, 10, 0)).assigned


def test_an_extension_of_an_assigned_due_date_moves_it_by_the_extension_only():
    start = bj(2026, 8, 2, 9, 0)
    assigned = POLICY.deadline("petition_handle", start, "hebei", assigned_due_at=bj(2026, 8, 20, 17, 0))
    extended = POLICY.extend(assigned, 30)
    assert (extended.due_at, extended.assigned) == (bj(2026, 9, 19, 17, 0), True)


# -- extensions ---------------------------------------------------------------

def extension_check(**overrides):
    arguments = dict(current=c.STATUS_IN_PROGRESS, new=c.STATUS_IN_PROGRESS, kind=PETITION, is_holder=True,
                     reason="需调取外省档案", extension=c.DeadlineExtension(step="petition_handle", amount=30), history=[])
    arguments.update(overrides)
    events.check_event(c.EVENT_TYPE_EXTENSION, **arguments)


def test_the_holder_may_extend_the_handling_clock_once_by_at_most_30_days_with_a_reason():
    extension_check()
    with pytest.raises(DeadlineError, match="1..30"):
        extension_check(extension=c.DeadlineExtension(step="petition_handle", amount=31))
    with pytest.raises(TransitionError, match="reason"):
        extension_check(reason="  ")
    with pytest.raises(TransitionError, match="holder"):
        extension_check(is_holder=False)
    earlier = c.Event(type=c.EVENT_TYPE_EXTENSION, extension=c.DeadlineExtension(step="petition_handle", amount=10))
    with pytest.raises(DeadlineError, match="1 time"):
        extension_check(history=[earlier])
    with pytest.raises(DeadlineError, match="cannot be extended"):
        extension_check(extension=c.DeadlineExtension(step="petition_accept_decision", amount=3))
    with pytest.raises(TransitionError, match="leaves the status"):
        extension_check(new=c.STATUS_REPLIED)


def test_an_extension_of_a_limit_of_another_kind_or_a_stopped_clock_is_refused():
    with pytest.raises(DeadlineError, match="not a limit"):
        extension_check(kind=HOTLINE)
    with pytest.raises(DeadlineError, match="not running"):
        extension_check(current=c.STATUS_REPLIED, new=c.STATUS_REPLIED)


def test_an_urging_event_does_not_restart_a_running_clock():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    watcher.observe(CASE, c.STATUS_ACCEPTED, bj(2026, 11, 2, 9, 0), kind=PETITION)
    before = watcher.deadline(CASE, "petition_handle")
    assert watcher.observe_event(CASE, c.STATUS_ACCEPTED, c.EVENT_TYPE_URGING, bj(2026, 12, 20, 9, 0), kind=PETITION) == []
    assert watcher.deadline(CASE, "petition_handle") == before


# -- follow-up evaluation ---------------------------------------------------

def test_the_follow_up_evaluation_has_its_own_clock_from_the_reply():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    assert watcher.observe(CASE, c.STATUS_REPLIED, bj(2026, 11, 2, 9, 0), kind=HOTLINE) == ["followup_evaluation"]
    assert watcher.deadline(CASE, "followup_evaluation").due_at == bj(2026, 11, 7, 23, 59, 59)
    watcher.observe(CASE, c.STATUS_EVALUATED, bj(2026, 11, 3, 9, 0), kind=HOTLINE)
    assert watcher.deadline(CASE, "followup_evaluation") is None


# -- review and re-check windows, hearings ----------------------------------

def test_the_review_window_counts_from_the_reported_delivery_of_the_reply_not_from_the_reply():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    started = watcher.observe(CASE, c.STATUS_REPLIED, bj(2026, 11, 2, 9, 0), kind=PETITION)
    assert "petition_review_request_window" not in started
    delivered = bj(2026, 11, 10, 15, 0)  # the citizen signed for the reply letter
    assert watcher.observe_event(CASE, c.STATUS_REPLIED, c.EVENT_TYPE_REPLY_DELIVERED, delivered,
                                 kind=PETITION) == ["petition_review_request_window"]
    assert watcher.deadline(CASE, "petition_review_request_window").due_at == bj(2026, 12, 10, 23, 59, 59)


def test_the_recheck_window_counts_from_the_delivery_of_the_review_opinion():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    assert watcher.observe(CASE, c.STATUS_REVIEWED, bj(2026, 11, 2, 9, 0), kind=PETITION) == []
    watcher.observe_event(CASE, c.STATUS_REVIEWED, c.EVENT_TYPE_REPLY_DELIVERED, bj(2026, 11, 4, 9, 0), kind=PETITION)
    assert watcher.deadline(CASE, "petition_recheck_request_window").due_at == bj(2026, 12, 4, 23, 59, 59)


def test_a_hearing_pauses_the_recheck_clock_and_its_days_are_not_counted():
    watcher = watcher_at(bj(2026, 11, 2, 9, 0))
    watcher.observe(CASE, c.STATUS_RECHECK_REQUESTED, bj(2026, 11, 2, 9, 0), kind=PETITION)
    due = watcher.deadline(CASE, "petition_recheck_decision").due_at
    assert due == bj(2026, 12, 2, 23, 59, 59)
    watcher.observe_event(CASE, c.STATUS_RECHECK_REQUESTED, c.EVENT_TYPE_HEARING_STARTED, bj(2026, 11, 10, 9, 0),
                          kind=PETITION)
    assert watcher.due_events(bj(2026, 12, 3, 9, 0)) == []  # paused: not overdue while the hearing runs
    watcher.observe_event(CASE, c.STATUS_RECHECK_REQUESTED, c.EVENT_TYPE_HEARING_ENDED, bj(2026, 11, 12, 17, 0),
                          kind=PETITION)
    assert watcher.deadline(CASE, "petition_recheck_decision").due_at == bj(2026, 12, 5, 23, 59, 59)  # 10..12 Nov: 3 days
    # a hearing does not pause the other clocks
    assert POLICY.steps_paused_by(c.EVENT_TYPE_HEARING_STARTED) == ["petition_recheck_decision"]


# -- which limits were used ---------------------------------------------------

def test_the_notice_says_whose_limits_applied_and_whether_they_were_its_own():
    policy = DeadlinePolicy(POLICY.steps.values(), POLICY.calendar, {"hebei": {"hotline_ordinary": 10}}, POLICY.procedures)
    watcher = DeadlineWatcher(policy, lambda: bj(2026, 11, 2, 9, 0))
    watcher.observe(CASE, c.STATUS_REFERRED, bj(2026, 11, 2, 9, 0), kind=HOTLINE, jurisdiction="hebei")
    events_by_step = {e.step: e for e in watcher.due_events(bj(2026, 12, 30, 0, 0))}
    assert (events_by_step["hotline_ordinary"].jurisdiction, events_by_step["hotline_ordinary"].own_limits) == ("hebei", True)
    assert (events_by_step["hotline_sign_ordinary"].jurisdiction,
            events_by_step["hotline_sign_ordinary"].own_limits) == ("hebei", False)
