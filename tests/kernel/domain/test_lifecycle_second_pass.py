"""Return disputes, closing paths, review outcomes, the re-route cap and who reports the follow-up: each rule its test."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from kernel.domain import events
from kernel.domain.casestate import CaseState
from kernel.domain.lifecycle import Lifecycle, StepFacts
from kernel.domain.routing import plan_attempt
from kernel.errors import DeadlineError, TransitionError
from kernel.tables import SCHEMAS_DIR
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

LIFECYCLE = Lifecycle.load()
HOTLINE, PETITION = c.CASE_KIND_HOTLINE_REQUEST, c.CASE_KIND_PETITION
BEIJING = dt.timezone(dt.timedelta(hours=8))
CODED = StepFacts(return_reason=c.RETURN_REASON_NOT_OURS)
COORDINATED = StepFacts(coordinated=True)


def check(current, new, *, by="holder", kind=HOTLINE, reason="", facts=None):
    LIFECYCLE.check(current, new, kind=kind, actor_is_origin=by == "origin", actor_is_holder=by == "holder",
                    reason=reason, facts=facts)


# -- returns and disputes -------------------------------------------------------

def test_a_return_carries_a_coded_reason_from_the_data():
    with pytest.raises(TransitionError, match="coded return reason"):
        check(c.STATUS_RECEIVED, c.STATUS_RETURNED, reason="不归我们管")
    check(c.STATUS_RECEIVED, c.STATUS_RETURNED, reason="不归我们管", facts=CODED)
    assert LIFECYCLE.return_reasons == {c.RETURN_REASON_NOT_OURS, c.RETURN_REASON_WRONG_PLACE, c.RETURN_REASON_INCOMPLETE,
                                        c.RETURN_REASON_DUPLICATE, c.RETURN_REASON_OTHER}


def test_the_origin_disputes_a_return_with_a_reason_and_only_the_origin():
    check(c.STATUS_RETURNED, c.STATUS_RETURN_DISPUTED, by="origin", reason="事发地在三河市燕郊镇")
    with pytest.raises(TransitionError, match="needs a reason"):
        check(c.STATUS_RETURNED, c.STATUS_RETURN_DISPUTED, by="origin")
    with pytest.raises(TransitionError, match="origin"):
        check(c.STATUS_RETURNED, c.STATUS_RETURN_DISPUTED, by="holder", reason="x")


def test_a_disputed_return_leaves_coordination_only_with_a_recorded_decision():
    for outcome in (c.STATUS_RETURNED, c.STATUS_RECEIVED):  # upheld / overruled
        with pytest.raises(TransitionError, match="coordination"):
            check(c.STATUS_RETURN_DISPUTED, outcome, by="origin", reason="联席会议决定")
        check(c.STATUS_RETURN_DISPUTED, outcome, by="origin", reason="联席会议决定", facts=COORDINATED)
        check(c.STATUS_RETURN_DISPUTED, outcome, by="holder", reason="联席会议决定", facts=COORDINATED)
    with pytest.raises(TransitionError):
        check(c.STATUS_RETURN_DISPUTED, c.STATUS_IN_PROGRESS, facts=COORDINATED)


def test_a_decision_naming_no_body_is_no_coordination():
    update = envelope_pb2.StatusUpdate(coordination=c.CoordinationDecision(body="  ", return_upheld=True))
    assert not StepFacts.of(update).coordinated
    update.coordination.body = "京津冀信访工作联席会议"
    assert StepFacts.of(update).coordinated


def returned_at(moment: dt.datetime) -> list[c.Event]:
    event = c.Event(action="STATUS_RETURNED")
    event.at.FromDatetime(moment.astimezone(dt.timezone.utc))
    return [event]


def test_a_dispute_after_the_window_is_refused():
    history = returned_at(dt.datetime(2026, 11, 2, 10, 0, tzinfo=BEIJING))  # Monday: 3 working days, to Thu 5 Nov
    events.check_timing(c.STATUS_RETURNED, c.STATUS_RETURN_DISPUTED, history=history,
                        at=dt.datetime(2026, 11, 5, 23, 0, tzinfo=BEIJING))
    with pytest.raises(DeadlineError, match="return_dispute_window"):
        events.check_timing(c.STATUS_RETURNED, c.STATUS_RETURN_DISPUTED, history=history,
                            at=dt.datetime(2026, 11, 6, 0, 0, 1, tzinfo=BEIJING))


def state(attempt: int) -> CaseState:
    return CaseState("jjj:BJ:1", origin=c.JURISDICTION_BEIJING, holder=c.JURISDICTION_HEBEI, status=c.STATUS_RETURNED,
                     sequence=attempt * 3, attempt=attempt, kind=HOTLINE)


def test_re_routes_stop_at_the_cap_of_the_data():
    assert LIFECYCLE.max_attempts == 3
    assert plan_attempt(state(2), c.JURISDICTION_TIANJIN, LIFECYCLE).attempt == 3
    with pytest.raises(TransitionError, match="max_attempts"):
        plan_attempt(state(3), c.JURISDICTION_TIANJIN, LIFECYCLE)


# -- closing paths ------------------------------------------------------------

def closing(code, **fields) -> StepFacts:
    return StepFacts(closing=code, **fields)


def test_a_citizen_may_withdraw_through_either_side_while_the_case_is_open():
    for by in ("origin", "holder"):
        check(c.STATUS_IN_PROGRESS, c.STATUS_CLOSED, by=by, reason="诉求人来电撤回", facts=closing(c.CLOSING_WITHDRAWN))
    with pytest.raises(TransitionError, match="from"):
        check(c.STATUS_REPLIED, c.STATUS_CLOSED, by="origin", reason="撤回", facts=closing(c.CLOSING_WITHDRAWN))


def test_a_merge_names_the_earlier_case():
    with pytest.raises(TransitionError, match="merged_into"):
        check(c.STATUS_ACCEPTED, c.STATUS_CLOSED, facts=closing(c.CLOSING_MERGED))
    check(c.STATUS_ACCEPTED, c.STATUS_CLOSED, facts=closing(c.CLOSING_MERGED, merged_into="jjj:HE:HB2026110100001"))


@pytest.mark.parametrize("code", [c.CLOSING_INFORMED, c.CLOSING_FALSE_OR_MALICIOUS])
def test_informing_and_false_or_malicious_closings_are_the_holders_with_a_reason(code):
    check(c.STATUS_IN_PROGRESS, c.STATUS_CLOSED, by="holder", reason="已告知诉求人", facts=closing(code))
    with pytest.raises(TransitionError, match="holder"):
        check(c.STATUS_IN_PROGRESS, c.STATUS_CLOSED, by="origin", reason="x", facts=closing(code))
    with pytest.raises(TransitionError, match="needs a reason"):
        check(c.STATUS_IN_PROGRESS, c.STATUS_CLOSED, by="holder", facts=closing(code))


def test_without_a_closing_path_the_holder_still_may_not_close():
    with pytest.raises(TransitionError):
        check(c.STATUS_IN_PROGRESS, c.STATUS_CLOSED, by="holder")


# -- review outcomes ----------------------------------------------------------

def test_a_review_may_refuse_the_request_or_order_re_handling_for_petitions_only():
    check(c.STATUS_REVIEW_REQUESTED, c.STATUS_REPLIED, kind=PETITION, reason="不符合复查条件")
    check(c.STATUS_REVIEW_REQUESTED, c.STATUS_IN_PROGRESS, kind=PETITION, reason="责令重新办理")
    with pytest.raises(TransitionError, match="needs a reason"):
        check(c.STATUS_REVIEW_REQUESTED, c.STATUS_IN_PROGRESS, kind=PETITION)
    with pytest.raises(TransitionError, match="CASE_KIND_HOTLINE_REQUEST"):
        check(c.STATUS_REPLIED, c.STATUS_REVIEW_REQUESTED, by="origin", kind=HOTLINE)


# -- who reports the follow-up ------------------------------------------------

def test_the_pair_configuration_says_who_reports_the_follow_up(tmp_path):
    pair = ("beijing", "hebei")
    with pytest.raises(TransitionError, match="origin"):
        check(c.STATUS_REPLIED, c.STATUS_EVALUATED, by="holder", facts=StepFacts(pair=pair))
    data = yaml.safe_load((SCHEMAS_DIR / "lifecycle.yaml").read_text(encoding="utf-8"))
    data["followup_by"]["pairs"] = {"beijing->hebei": "either"}
    path = tmp_path / "lifecycle.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    configured = Lifecycle.load(path)
    configured.check(c.STATUS_REPLIED, c.STATUS_EVALUATED, kind=HOTLINE, actor_is_origin=False, actor_is_holder=True,
                     reason="", facts=StepFacts(pair=pair))
    with pytest.raises(TransitionError):  # another pair keeps the default
        configured.check(c.STATUS_REPLIED, c.STATUS_EVALUATED, kind=HOTLINE, actor_is_origin=False,
                         actor_is_holder=True, reason="", facts=StepFacts(pair=("tianjin", "hebei")))
