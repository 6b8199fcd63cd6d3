"""The referral lifecycle: allowed steps and who reports them (folding: test_casestate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.domain.lifecycle import (
    EITHER,
    HOLDER,
    ORIGIN,
    Lifecycle,
    StepFacts,
    TransitionError,
)
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

LIFECYCLE = Lifecycle.load()
HOTLINE, PETITION = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
CASE_ID = "jjj:BJ:2026112400001"


def check(current, new, *, kind=HOTLINE, origin=False, reason="", facts=None):
    if facts is None and new == c.STATUS_RETURNED:
        facts = StepFacts(return_reason=c.RETURN_REASON_NOT_OURS)
    LIFECYCLE.check(current, new, kind=kind, actor_is_origin=origin, reason=reason, facts=facts)


def update(sequence, status, reporter, reason="", case_id=CASE_ID):
    return envelope_pb2.StatusUpdate(
        case_id=case_id,
        sequence=sequence,
        status=status,
        reporter=reporter,
        reason=reason,
        event=c.Event(action=c.Status.Name(status), actor=c.Jurisdiction.Name(reporter)),
    )


# --- check -----------------------------------------------------------------------------------


def test_referral_happy_path_is_allowed_step_by_step():
    check(c.STATUS_REFERRED, c.STATUS_RECEIVED)
    check(c.STATUS_RECEIVED, c.STATUS_ACCEPTED)
    check(c.STATUS_ACCEPTED, c.STATUS_IN_PROGRESS)
    check(c.STATUS_IN_PROGRESS, c.STATUS_REPLIED)
    check(c.STATUS_REPLIED, c.STATUS_EVALUATED, origin=True)
    check(c.STATUS_EVALUATED, c.STATUS_CLOSED, origin=True)


def test_petition_review_and_recheck_path():
    check(c.STATUS_REPLIED, c.STATUS_REVIEW_REQUESTED, kind=PETITION, origin=True)
    check(c.STATUS_EVALUATED, c.STATUS_REVIEW_REQUESTED, kind=PETITION, origin=False)
    check(c.STATUS_REVIEW_REQUESTED, c.STATUS_REVIEWED, kind=PETITION)
    check(c.STATUS_REVIEWED, c.STATUS_RECHECK_REQUESTED, kind=PETITION, origin=True)
    check(c.STATUS_RECHECK_REQUESTED, c.STATUS_RECHECKED, kind=PETITION)
    check(c.STATUS_RECHECKED, c.STATUS_CLOSED, kind=PETITION, origin=True)


def test_skipping_a_step_names_current_state_and_allowed_next():
    with pytest.raises(TransitionError) as error:
        check(c.STATUS_RECEIVED, c.STATUS_REPLIED)
    message = str(error.value)
    assert "from STATUS_RECEIVED to STATUS_REPLIED" in message
    for allowed in ("STATUS_ACCEPTED (by holder)", "STATUS_NOT_ACCEPTED (by holder)", "STATUS_RETURNED (by holder)"):
        assert allowed in message


def test_review_is_for_petitions_only():
    with pytest.raises(TransitionError, match="CASE_KIND_HOTLINE_REQUEST"):
        check(c.STATUS_REPLIED, c.STATUS_REVIEW_REQUESTED, kind=HOTLINE, origin=True)


def test_hotline_may_go_from_signed_to_handling_but_petition_must_be_accepted():
    check(c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, kind=HOTLINE)
    with pytest.raises(TransitionError):
        check(c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, kind=PETITION)


def test_only_the_holder_signs_and_only_the_origin_evaluates_and_closes():
    with pytest.raises(TransitionError, match="must be reported by the holder, not by origin"):
        check(c.STATUS_REFERRED, c.STATUS_RECEIVED, origin=True)
    with pytest.raises(TransitionError, match="must be reported by the origin, not by holder"):
        check(c.STATUS_REPLIED, c.STATUS_EVALUATED, origin=False)
    with pytest.raises(TransitionError, match="by the origin"):
        check(c.STATUS_EVALUATED, c.STATUS_CLOSED, origin=False)


def test_origin_reroutes_takes_back_or_closes_a_returned_case_and_the_holder_cannot():
    for target in (c.STATUS_REFERRED, c.STATUS_REGISTERED, c.STATUS_CLOSED):
        check(c.STATUS_RETURNED, target, origin=True)
        with pytest.raises(TransitionError):
            check(c.STATUS_RETURNED, target, origin=False)


@pytest.mark.parametrize("status", [c.STATUS_RETURNED, c.STATUS_NOT_ACCEPTED])
def test_return_and_refusal_need_a_reason(status):
    with pytest.raises(TransitionError, match="needs a reason"):
        check(c.STATUS_RECEIVED, status, reason="  ")
    check(c.STATUS_RECEIVED, status, reason="不属于本辖区")


def test_take_back_before_signing_needs_a_reason_and_is_the_origins():
    with pytest.raises(TransitionError, match="needs a reason"):
        check(c.STATUS_REFERRED, c.STATUS_REGISTERED, origin=True)
    check(c.STATUS_REFERRED, c.STATUS_REGISTERED, origin=True, reason="派错")


def test_closed_is_terminal():
    with pytest.raises(TransitionError, match="none \\(terminal\\)"):
        check(c.STATUS_CLOSED, c.STATUS_IN_PROGRESS, origin=True)
    with pytest.raises(TransitionError):
        check(c.STATUS_CLOSED, c.STATUS_CLOSED, origin=True)


def test_urging_repeats_the_status_and_either_side_may_do_it_but_not_a_third_party():
    check(c.STATUS_IN_PROGRESS, c.STATUS_IN_PROGRESS, origin=True)
    check(c.STATUS_IN_PROGRESS, c.STATUS_IN_PROGRESS, origin=False)
    with pytest.raises(TransitionError, match="third party"):
        LIFECYCLE.check(
            c.STATUS_IN_PROGRESS,
            c.STATUS_IN_PROGRESS,
            kind=HOTLINE,
            actor_is_origin=False,
            actor_is_holder=False,
            reason="",
        )


def test_origin_holding_its_own_case_may_take_holder_steps():
    LIFECYCLE.check(
        c.STATUS_REGISTERED, c.STATUS_IN_PROGRESS, kind=HOTLINE, actor_is_origin=True, actor_is_holder=True, reason=""
    )


def test_allowed_next_lists_who_may_report():
    assert (c.STATUS_REVIEW_REQUESTED, EITHER) in LIFECYCLE.allowed_next(c.STATUS_REPLIED, kind=PETITION)
    assert (c.STATUS_EVALUATED, ORIGIN) in LIFECYCLE.allowed_next(c.STATUS_REPLIED, kind=PETITION)
    assert (c.STATUS_RECEIVED, HOLDER) in LIFECYCLE.allowed_next(c.STATUS_REFERRED, kind=HOTLINE)
    assert LIFECYCLE.allowed_next(c.STATUS_CLOSED, kind=PETITION) == []


def test_policy_file_with_a_misspelt_key_or_status_fails_to_load(tmp_path: Path):
    bad_key = tmp_path / "a.yaml"
    bad_key.write_text("transitions:\n  - {from: STATUS_REFERRED, to: [STATUS_RECEIVED], by: holder, kind: [x]}\n")
    with pytest.raises(ValueError, match="unknown key"):
        Lifecycle.load(bad_key)
    bad_status = tmp_path / "b.yaml"
    bad_status.write_text("transitions:\n  - {from: STATUS_REFERED, to: [STATUS_RECEIVED], by: holder}\n")
    with pytest.raises(ValueError):
        Lifecycle.load(bad_status)
    bad_actor = tmp_path / "c.yaml"
    bad_actor.write_text("transitions:\n  - {from: STATUS_REFERRED, to: [STATUS_RECEIVED], by: receiver}\n")
    with pytest.raises(ValueError, match="holder, origin or either"):
        Lifecycle.load(bad_actor)
