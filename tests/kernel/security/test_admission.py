"""Who may send what, judged by the receiver from its own record of the case."""

from __future__ import annotations

import pytest

from kernel.domain.casestate import CaseState
from kernel.domain.lifecycle import Lifecycle
from kernel.security.admission import authorize
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from tests.kernel.security.support import CASE_ID, referral, status_update

BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
LIFECYCLE = Lifecycle.load()


def held(status: int, sequence: int, holder: int = HE) -> CaseState:
    return CaseState(case_id=CASE_ID, origin=BJ, holder=holder, status=status, sequence=sequence, attempt=1,
                     flow=envelope_pb2.FLOW_REFERRAL, kind=c.CASE_KIND_PETITION, holder_sequence=0)


def reason_of(refusal) -> str:
    assert refusal is not None
    return envelope_pb2.DeadLetterReason.Name(refusal.reason)


def test_the_holder_and_the_origin_may_take_the_steps_the_lifecycle_gives_them():
    assert authorize(status_update(c.STATUS_RECEIVED, sequence=1, sender=HE, destination=BJ), held(c.STATUS_REFERRED, 0),
                     LIFECYCLE) is None
    assert authorize(status_update(c.STATUS_EVALUATED, sequence=5, sender=BJ, destination=HE), held(c.STATUS_REPLIED, 4),
                     LIFECYCLE) is None


def test_the_forged_close_of_the_issue_a_third_party_that_neither_holds_nor_registered_the_case():
    forged = status_update(c.STATUS_CLOSED, sequence=5, sender=HE, destination=BJ)
    refusal = authorize(forged, held(c.STATUS_IN_PROGRESS, 4, holder=TJ), LIFECYCLE)
    assert reason_of(refusal) == "DEAD_LETTER_REASON_NOT_ALLOWED" and refusal.final
    assert "neither holds" in refusal.detail


def test_the_holder_may_not_close_a_case_nor_skip_steps():
    refusal = authorize(status_update(c.STATUS_CLOSED, sequence=2, sender=HE, destination=BJ),
                        held(c.STATUS_RECEIVED, 1), LIFECYCLE)
    assert reason_of(refusal) == "DEAD_LETTER_REASON_ILLEGAL_STEP" and refusal.final
    assert "STATUS_RECEIVED" in refusal.detail


def test_a_return_without_a_reason_is_illegal_and_with_one_allowed():
    state = held(c.STATUS_RECEIVED, 1)
    assert reason_of(authorize(status_update(c.STATUS_RETURNED, sequence=2, sender=HE, destination=BJ), state,
                               LIFECYCLE)) == "DEAD_LETTER_REASON_ILLEGAL_STEP"
    uncoded = status_update(c.STATUS_RETURNED, sequence=2, sender=HE, destination=BJ, reason="不属本地管辖")
    assert reason_of(authorize(uncoded, state, LIFECYCLE)) == "DEAD_LETTER_REASON_ILLEGAL_STEP"
    assert authorize(status_update(c.STATUS_RETURNED, sequence=2, sender=HE, destination=BJ, reason="不属本地管辖",
                                   return_reason=c.RETURN_REASON_WRONG_PLACE), state, LIFECYCLE) is None


def test_a_step_reported_in_another_jurisdictions_name_is_not_allowed():
    refusal = authorize(status_update(c.STATUS_RECEIVED, sequence=1, sender=HE, destination=BJ, reporter=TJ),
                        held(c.STATUS_REFERRED, 0), LIFECYCLE)
    assert reason_of(refusal) == "DEAD_LETTER_REASON_NOT_ALLOWED"


def test_a_step_applied_already_passes_and_one_of_an_unknown_case_or_after_a_gap_waits():
    state = held(c.STATUS_ACCEPTED, 2)
    assert authorize(status_update(c.STATUS_RECEIVED, sequence=1, sender=HE, destination=BJ), state, LIFECYCLE) is None
    unknown = authorize(status_update(c.STATUS_RECEIVED, sequence=1, sender=HE, destination=BJ), None, LIFECYCLE)
    assert reason_of(unknown) == "DEAD_LETTER_REASON_UNKNOWN_CASE" and not unknown.final
    gap = authorize(status_update(c.STATUS_REPLIED, sequence=4, sender=HE, destination=BJ), state, LIFECYCLE)
    assert reason_of(gap) == "DEAD_LETTER_REASON_ILLEGAL_STEP" and not gap.final


@pytest.mark.parametrize("sender", [TJ, HE])
def test_only_a_cases_origin_may_refer_it(sender):
    assert reason_of(authorize(referral(sender=sender), None, LIFECYCLE)) == "DEAD_LETTER_REASON_NOT_ALLOWED"
    assert authorize(referral(), None, LIFECYCLE) is None


def test_a_receipt_must_come_from_the_receiver_it_names():
    receipt = envelope_pb2.Envelope(flow=envelope_pb2.FLOW_RECEIPT, sender=HE, destination=BJ,
                                    receipt=envelope_pb2.Receipt(envelope_id="x", receiver=TJ))
    assert reason_of(authorize(receipt, None, LIFECYCLE)) == "DEAD_LETTER_REASON_NOT_ALLOWED"
    receipt.receipt.receiver = HE
    assert authorize(receipt, None, LIFECYCLE) is None


def test_an_observer_replaying_in_any_order_lets_an_applied_step_pass_without_judging_its_sender():
    # Re-routed to Tianjin (step 3) before Hebei's return (step 2) was seen: Hebei no longer holds it.
    rerouted = held(c.STATUS_REFERRED, 3, holder=TJ)
    returned = status_update(c.STATUS_RETURNED, sequence=2, sender=HE, destination=BJ, reason="不属本地管辖")
    assert reason_of(authorize(returned, rerouted, LIFECYCLE)) == "DEAD_LETTER_REASON_NOT_ALLOWED"
    assert authorize(returned, rerouted, LIFECYCLE, judge_applied=False) is None
    forged_next = status_update(c.STATUS_CLOSED, sequence=4, sender=HE, destination=BJ)
    assert reason_of(authorize(forged_next, rerouted, LIFECYCLE, judge_applied=False)) == "DEAD_LETTER_REASON_NOT_ALLOWED"
