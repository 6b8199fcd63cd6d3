"""Whether a submitted case goes out (again): first referral, re-route, or a duplicate."""

from __future__ import annotations

import pytest

from kernel.domain.casestate import CaseState
from kernel.domain.lifecycle import Lifecycle, TransitionError
from kernel.domain.routing import AlreadyOut, Attempt, plan_attempt
from jjj.case.v1 import case_pb2 as c

LIFECYCLE = Lifecycle.load()
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI


def state(status: int, holder: int = HE, *, sequence: int = 2, attempt: int = 1) -> CaseState:
    return CaseState("jjj:BJ:1", origin=BJ, holder=holder, status=status, sequence=sequence, attempt=attempt,
                     kind=c.CASE_KIND_PETITION)


def test_a_case_never_sent_goes_out_as_attempt_one_at_sequence_zero():
    assert plan_attempt(None, HE, LIFECYCLE) == Attempt(attempt=1, sequence=0)
    stub = CaseState("jjj:BJ:1", origin=BJ, holder=0, status=c.STATUS_RECEIVED, sequence=1, attempt=0)
    assert plan_attempt(stub, HE, LIFECYCLE) == Attempt(attempt=1, sequence=0)


@pytest.mark.parametrize("status", [c.STATUS_RETURNED, c.STATUS_NOT_ACCEPTED])
def test_a_returned_or_refused_case_is_re_routed_as_the_next_attempt_and_step(status):
    assert plan_attempt(state(status, sequence=4, attempt=2), TJ, LIFECYCLE) == Attempt(attempt=3, sequence=5)


def test_it_never_goes_back_to_the_jurisdiction_that_returned_it():
    with pytest.raises(TransitionError, match="was returned by hebei"):
        plan_attempt(state(c.STATUS_RETURNED), HE, LIFECYCLE)


@pytest.mark.parametrize("status", [c.STATUS_REFERRED, c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED,
                                    c.STATUS_CLOSED])
def test_a_case_that_is_out_and_not_back_is_answered_as_already_out(status):
    assert plan_attempt(state(status), TJ, LIFECYCLE) == AlreadyOut()


def test_a_case_taken_back_by_its_origin_is_not_re_routed_by_resubmitting():
    assert plan_attempt(state(c.STATUS_REGISTERED, holder=BJ, sequence=3), TJ, LIFECYCLE) == AlreadyOut()


def test_a_destination_number_that_is_no_jurisdiction_at_all_is_a_rejection_not_a_crash():
    from kernel.codec import Rejected
    from kernel.domain.routing import plan_route
    from kernel.jurisdictions import by_name

    case = c.Case(case_id="jjj:BJ:1", origin=BJ)
    outcome = plan_route(case, by_name("beijing"), 99)
    assert outcome == Rejected("destination", "not a member jurisdiction: jurisdiction 99")
