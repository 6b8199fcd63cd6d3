"""The referral lifecycle: allowed steps, who reports them, and order-independent folding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.lifecycle import (
    EITHER,
    HOLDER,
    ORIGIN,
    ApplyResult,
    CaseState,
    Lifecycle,
    TransitionError,
    apply,
    reroute,
)
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

LIFECYCLE = Lifecycle.load()
HOTLINE, PETITION = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
CASE_ID = "jjj:BJ:2026112400001"


def check(current, new, *, kind=HOTLINE, origin=False, reason=""):
    LIFECYCLE.check(current, new, kind=kind, actor_is_origin=origin, reason=reason)


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


# --- apply -----------------------------------------------------------------------------------


def new_state(kind=HOTLINE) -> CaseState:
    return CaseState(CASE_ID, origin=BJ, holder=HE, status=c.STATUS_REFERRED, kind=kind)


def test_in_order_updates_apply_and_build_the_trail():
    state = new_state()
    assert apply(state, update(1, c.STATUS_RECEIVED, HE)) is ApplyResult.APPLIED
    assert apply(state, update(2, c.STATUS_IN_PROGRESS, HE)) is ApplyResult.APPLIED
    assert (state.status, state.sequence) == (c.STATUS_IN_PROGRESS, 2)
    assert [u.sequence for u in state.trail] == [1, 2]


def test_duplicate_and_stale_updates_are_ignored():
    state = new_state()
    apply(state, update(1, c.STATUS_RECEIVED, HE))
    assert apply(state, update(1, c.STATUS_RECEIVED, HE)) is ApplyResult.DUPLICATE
    assert apply(state, update(1, c.STATUS_RETURNED, HE, reason="x")) is ApplyResult.STALE
    assert apply(state, update(0, c.STATUS_RECEIVED, HE)) is ApplyResult.STALE
    assert (state.status, state.sequence, len(state.trail)) == (c.STATUS_RECEIVED, 1, 1)


def test_a_gap_is_buffered_until_the_missing_update_arrives_then_drained():
    state = new_state()
    assert apply(state, update(3, c.STATUS_REPLIED, HE)) is ApplyResult.OUT_OF_ORDER_BUFFERED
    assert apply(state, update(2, c.STATUS_IN_PROGRESS, HE)) is ApplyResult.OUT_OF_ORDER_BUFFERED
    assert apply(state, update(3, c.STATUS_REPLIED, HE)) is ApplyResult.DUPLICATE
    assert state.status == c.STATUS_REFERRED and state.sequence == 0
    assert apply(state, update(1, c.STATUS_RECEIVED, HE)) is ApplyResult.APPLIED
    assert (state.status, state.sequence) == (c.STATUS_REPLIED, 3)
    assert [u.status for u in state.trail] == [c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED]
    assert state.pending == {}


def test_an_invalid_next_update_raises_and_leaves_the_state_alone():
    state = new_state()
    with pytest.raises(TransitionError, match="STATUS_REFERRED"):
        apply(state, update(1, c.STATUS_RECEIVED, BJ))  # the origin cannot sign its own referral
    assert (state.status, state.sequence, state.trail) == (c.STATUS_REFERRED, 0, [])
    assert apply(state, update(1, c.STATUS_RECEIVED, HE)) is ApplyResult.APPLIED  # a corrected resend


def test_an_invalid_buffered_update_is_set_aside_when_its_turn_comes():
    state = new_state()
    apply(state, update(2, c.STATUS_CLOSED, HE))  # signed cases are not closed straight away
    apply(state, update(3, c.STATUS_IN_PROGRESS, HE))
    assert apply(state, update(1, c.STATUS_RECEIVED, HE)) is ApplyResult.APPLIED
    assert (state.status, state.sequence) == (c.STATUS_RECEIVED, 1)  # draining stopped at 2
    assert [(u.sequence, "from STATUS_RECEIVED to STATUS_CLOSED" in why) for u, why in state.rejected] == [(2, True)]
    assert 3 in state.pending
    # the sender corrects 2; the parked 3 (a progress note on IN_PROGRESS) follows it in
    assert apply(state, update(2, c.STATUS_IN_PROGRESS, HE)) is ApplyResult.APPLIED
    assert (state.status, state.sequence, state.pending) == (c.STATUS_IN_PROGRESS, 3, {})


def test_take_back_returns_the_case_to_the_origin_and_reroute_hands_it_on():
    state = new_state()
    apply(state, update(1, c.STATUS_RECEIVED, HE))
    apply(state, update(2, c.STATUS_RETURNED, HE, reason="地址在天津"))
    apply(state, update(3, c.STATUS_REFERRED, BJ))
    reroute(state, TJ)
    with pytest.raises(TransitionError):
        apply(state, update(4, c.STATUS_RECEIVED, HE))  # Hebei no longer holds it
    apply(state, update(4, c.STATUS_RECEIVED, TJ))
    apply(state, update(5, c.STATUS_RETURNED, TJ, reason="不是本市"))
    apply(state, update(6, c.STATUS_REGISTERED, BJ))
    assert state.holder == BJ
    apply(state, update(7, c.STATUS_IN_PROGRESS, BJ))  # the origin now handles it itself
    assert state.status == c.STATUS_IN_PROGRESS


def test_update_for_another_case_is_refused():
    with pytest.raises(ValueError, match="applied to case"):
        apply(new_state(), update(1, c.STATUS_RECEIVED, HE, case_id="jjj:BJ:other"))


# --- property: any delivery order gives the same result ------------------------------------


@st.composite
def valid_histories(draw):
    """A kind and a valid update sequence 1..n, found by walking the lifecycle graph."""
    kind = draw(st.sampled_from([HOTLINE, PETITION]))
    state = new_state(kind)
    updates = []
    for sequence in range(1, draw(st.integers(1, 16)) + 1):
        options = LIFECYCLE.allowed_next(state.status, kind=kind)
        if not options:
            break
        target, by = draw(st.sampled_from(options))
        reporter = {ORIGIN: state.origin, HOLDER: state.holder}.get(by) or draw(
            st.sampled_from([state.origin, state.holder])
        )
        step = update(sequence, target, reporter, reason=f"理由{sequence}")
        assert apply(state, step) is ApplyResult.APPLIED
        updates.append(step)
    return kind, updates


def fingerprint(state: CaseState):
    return (
        state.status,
        state.sequence,
        state.holder,
        [u.SerializeToString(deterministic=True) for u in state.trail],
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), history=valid_histories())
def test_any_shuffle_with_duplicates_ends_like_the_in_order_sequence(data, history):
    kind, updates = history
    in_order = new_state(kind)
    for step in updates:
        apply(in_order, step)
    repeats = data.draw(st.lists(st.sampled_from(updates), max_size=len(updates) * 2))
    delivery = data.draw(st.permutations(updates + repeats))
    shuffled = new_state(kind)
    results = [apply(shuffled, step) for step in delivery]
    assert fingerprint(shuffled) == fingerprint(in_order)
    assert shuffled.pending == {} and shuffled.rejected == []
    assert results.count(ApplyResult.APPLIED) <= len(updates)
    assert ApplyResult.STALE not in results
