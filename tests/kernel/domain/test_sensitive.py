"""Accusations and litigation-related petitions travel with more care; a repeat link says the earlier case was reviewed."""

from __future__ import annotations

import datetime as dt

import pytest

from kernel.codec import Rejected
from kernel.domain.repeats import RepeatIndex, RepeatRecord
from kernel.domain.routing import Route, plan_route
from kernel.domain.sensitive import SensitiveRules
from kernel import jurisdictions
from kernel.errors import TransitionError
from jjj.case.v1 import case_pb2 as c

RULES = SensitiveRules.load()
BEIJING = jurisdictions.by_name("beijing")


def petition(purpose=c.PETITION_PURPOSE_RESOLUTION, *, litigation=False, admin_code="131082") -> c.Case:
    return c.Case(case_id="jjj:BJ:X1", origin=c.JURISDICTION_BEIJING, kind=c.CASE_KIND_PETITION,
                  petition=c.PetitionDetails(purpose=purpose), litigation_related=litigation,
                  location=c.Location(admin_code=admin_code))


def test_an_accusation_is_never_digested_an_ordinary_petition_is():
    assert not RULES.may_digest(petition(c.PETITION_PURPOSE_ACCUSATION))
    assert RULES.may_digest(petition())
    assert not RULES.may_digest(petition(litigation=True))


def test_an_accusation_goes_to_the_competent_jurisdiction_only():
    # Sanhe (131082) is Hebei's: naming Tianjin is refused, naming Hebei or routing by place is not.
    refused = plan_route(petition(c.PETITION_PURPOSE_ACCUSATION), BEIJING, c.JURISDICTION_TIANJIN)
    assert isinstance(refused, Rejected) and "competent" in refused.reason
    assert isinstance(plan_route(petition(c.PETITION_PURPOSE_ACCUSATION), BEIJING, c.JURISDICTION_HEBEI), Route)
    assert plan_route(petition(c.PETITION_PURPOSE_ACCUSATION), BEIJING, 0).destination.name == "hebei"
    # an ordinary petition may be sent where its sender names
    assert isinstance(plan_route(petition(), BEIJING, c.JURISDICTION_TIANJIN), Route)


def test_a_litigation_related_case_does_not_enter_the_review_chain():
    with pytest.raises(TransitionError, match="litigation-related"):
        RULES.check_status(petition(litigation=True), c.STATUS_REVIEW_REQUESTED)
    RULES.check_status(petition(litigation=True), c.STATUS_REPLIED)
    RULES.check_status(petition(), c.STATUS_REVIEW_REQUESTED)


def test_a_repeat_match_carries_the_earlier_cases_status():
    at = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
    shingles = frozenset({"讨要", "工程", "工程款", "拖欠", "工资"})
    index = RepeatIndex()
    index.add(RepeatRecord("jjj:HE:1", "key", "131082", "0501", at, shingles, status=c.STATUS_RECHECKED))
    (match,) = index.find(RepeatRecord("jjj:BJ:2", "key", "131082", "0501", at + dt.timedelta(days=3), shingles)).links
    assert (match.case_id, match.status) == ("jjj:HE:1", c.STATUS_RECHECKED)
    assert RULES.reviewed(match.status) and not RULES.reviewed(c.STATUS_REPLIED)
