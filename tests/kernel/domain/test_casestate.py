"""The one fold of case state: referrals, steps, take-backs and re-routes, in any order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.casestate import CaseState, Referred, Stepped, fold
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.kernel.domain.casestate_histories import BJ, CASE_ID, HE, TJ, expected_state, histories

REFERRAL = envelope_pb2.FLOW_REFERRAL


def referred(attempt: int, sequence: int, destination: int) -> Referred:
    return Referred(CASE_ID, origin=BJ, destination=destination, flow=REFERRAL, attempt=attempt, sequence=sequence,
                    kind=c.CASE_KIND_PETITION, urgency=c.URGENCY_NORMAL)


def stepped(sequence: int, status: int, reporter: int = HE) -> Stepped:
    return Stepped(CASE_ID, origin=BJ, sequence=sequence, status=status, reporter=reporter)


def fold_all(steps) -> CaseState | None:
    state = None
    for step in steps:
        state = fold(state, step)
    return state


def test_a_referral_makes_its_destination_the_holder_of_a_referred_case():
    state = fold(None, referred(1, 0, HE))
    assert (state.status, state.holder, state.sequence, state.attempt) == (c.STATUS_REFERRED, HE, 0, 1)
    assert (state.origin, state.flow, state.kind, state.urgency) == (BJ, REFERRAL, c.CASE_KIND_PETITION, c.URGENCY_NORMAL)


def test_a_redelivered_referral_or_step_changes_nothing_and_returns_the_same_state():
    state = fold(None, referred(1, 0, HE))
    assert fold(state, referred(1, 0, HE)) is state
    signed = fold(state, stepped(1, c.STATUS_RECEIVED))
    assert fold(signed, stepped(1, c.STATUS_RECEIVED)) is signed
    assert fold(signed, stepped(1, c.STATUS_RETURNED)) is signed  # the other side's step that lost the race


def test_steps_move_status_and_sequence_but_not_the_holder():
    state = fold_all([referred(1, 0, HE), stepped(1, c.STATUS_RECEIVED), stepped(2, c.STATUS_RETURNED)])
    assert (state.status, state.sequence, state.holder) == (c.STATUS_RETURNED, 2, HE)


def test_a_take_back_gives_the_case_to_its_origin():
    state = fold_all([referred(1, 0, HE), stepped(1, c.STATUS_RECEIVED), stepped(2, c.STATUS_RETURNED),
                      stepped(3, c.STATUS_REGISTERED, BJ)])
    assert (state.status, state.holder, state.holder_sequence) == (c.STATUS_REGISTERED, BJ, 3)
    handled = fold(state, stepped(4, c.STATUS_IN_PROGRESS, BJ))
    assert (handled.status, handled.holder) == (c.STATUS_IN_PROGRESS, BJ)


def test_a_re_route_is_a_new_attempt_at_the_next_sequence_with_a_new_holder():
    state = fold_all([referred(1, 0, HE), stepped(1, c.STATUS_RECEIVED), stepped(2, c.STATUS_RETURNED),
                      referred(2, 3, TJ)])
    assert (state.status, state.holder, state.sequence, state.attempt) == (c.STATUS_REFERRED, TJ, 3, 2)
    assert fold(state, referred(1, 0, HE)) is state  # an older attempt, replayed late


def test_a_step_seen_before_its_referral_is_kept_and_the_referral_fills_in_the_rest():
    take_back_first = fold_all([stepped(1, c.STATUS_REGISTERED, BJ), referred(1, 0, HE)])
    assert (take_back_first.status, take_back_first.holder, take_back_first.attempt) == (c.STATUS_REGISTERED, BJ, 1)
    signed_first = fold_all([stepped(1, c.STATUS_RECEIVED), referred(1, 0, HE)])
    assert (signed_first.status, signed_first.holder, signed_first.sequence) == (c.STATUS_RECEIVED, HE, 1)


def test_a_re_route_seen_after_the_new_holders_steps_still_hands_the_case_on():
    in_order = [referred(1, 0, HE), stepped(1, c.STATUS_RECEIVED), stepped(2, c.STATUS_RETURNED),
                referred(2, 3, TJ), stepped(4, c.STATUS_RECEIVED, TJ)]
    late_referral = [*in_order[:3], in_order[4], in_order[3]]
    assert fold_all(late_referral) == fold_all(in_order)
    assert fold_all(late_referral).holder == TJ


def test_a_take_back_after_a_re_route_wins_over_the_re_route_seen_late():
    in_order = [referred(1, 0, HE), stepped(1, c.STATUS_RECEIVED), stepped(2, c.STATUS_RETURNED),
                referred(2, 3, TJ), stepped(4, c.STATUS_RECEIVED, TJ), stepped(5, c.STATUS_RETURNED, TJ),
                stepped(6, c.STATUS_REGISTERED, BJ)]
    re_route_last = [step for step in in_order if step != in_order[3]] + [in_order[3]]
    assert fold_all(re_route_last) == fold_all(in_order)
    assert fold_all(in_order).holder == BJ


def test_a_step_of_another_case_is_refused():
    state = fold(None, referred(1, 0, HE))
    with pytest.raises(ValueError, match="folded into case"):
        fold(state, Stepped("jjj:BJ:other", origin=BJ, sequence=1, status=c.STATUS_RECEIVED))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), history=histories())
def test_any_delivery_order_with_repeats_ends_in_the_in_order_state(data, history):
    steps = [step for step, _envelope in history]
    repeats = data.draw(st.lists(st.sampled_from(steps), max_size=len(steps)))
    delivered = data.draw(st.permutations(steps + repeats))
    in_order, shuffled = fold_all(steps), fold_all(delivered)
    assert shuffled == in_order
    assert (in_order.status, in_order.holder, in_order.sequence, in_order.attempt) == expected_state(history)


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_every_generated_step_with_its_codes_events_and_decisions_is_one_the_receiver_admits(history):
    """The histories walk the lifecycle with the new data (coded returns, coordination, closings, typed
    events): each step, judged against the state before it, is admitted, so the order test above folds them."""
    from kernel.domain.lifecycle import Lifecycle
    from kernel.security.admission import authorize

    lifecycle, state = Lifecycle.load(), None
    for step, envelope in history:
        assert authorize(envelope, state, lifecycle) is None, envelope
        state = fold(state, step)


def test_step_of_reads_every_field_of_a_referral_a_transfer_and_a_status_update():
    from kernel.domain.casestate import step_of
    from tests.kernel.domain.casestate_histories import referral_envelope, status_envelope

    referral = referral_envelope(attempt=2, sequence=3, destination=TJ, kind=c.CASE_KIND_PETITION, flow=REFERRAL)
    assert step_of(referral, origin_of=lambda case_id: 0) == Referred(
        CASE_ID, origin=BJ, destination=TJ, flow=REFERRAL, attempt=2, sequence=3, kind=c.CASE_KIND_PETITION,
        urgency=c.URGENCY_NORMAL)
    transfer = referral_envelope(attempt=1, sequence=0, destination=HE, kind=c.CASE_KIND_HOTLINE_REQUEST,
                                 flow=envelope_pb2.FLOW_HOTLINE_TRANSFER)
    assert step_of(transfer, origin_of=lambda case_id: 0).flow == envelope_pb2.FLOW_HOTLINE_TRANSFER
    update = status_envelope(sequence=4, status=c.STATUS_RECEIVED, reporter=TJ, counterpart=BJ)
    asked = []
    step = step_of(update, origin_of=lambda case_id: asked.append(case_id) or BJ)
    assert step == Stepped(CASE_ID, origin=BJ, sequence=4, status=c.STATUS_RECEIVED, reporter=TJ) and asked == [CASE_ID]
    assert step_of(envelope_pb2.Envelope(information_share=envelope_pb2.InformationShare()), origin_of=lambda _: BJ) is None


def test_a_stub_holds_the_step_and_a_newer_referral_sets_origin_kind_and_urgency():
    stub = fold(None, Stepped(CASE_ID, origin=TJ, sequence=2, status=c.STATUS_RECEIVED))
    assert (stub.status, stub.holder, stub.attempt, stub.origin) == (c.STATUS_RECEIVED, c.JURISDICTION_UNSPECIFIED, 0, TJ)
    filled = fold(stub, referred(1, 0, HE))
    assert (filled.origin, filled.kind, filled.urgency, filled.flow) == (BJ, c.CASE_KIND_PETITION, c.URGENCY_NORMAL, REFERRAL)
