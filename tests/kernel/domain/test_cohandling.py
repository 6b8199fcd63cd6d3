"""Co-handling (协办): each co-handler reports its part in order, the lead replies once every part is in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.cohandling import CoHandlingRules, Parts, check_lead_reply, check_part, fold_part
from kernel.errors import TransitionError
from jjj.case.v1 import case_pb2 as c

RULES = CoHandlingRules.load()
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
PARTS = [c.STATUS_RECEIVED, c.STATUS_IN_PROGRESS, c.STATUS_REPLIED]


def test_a_co_handler_signs_then_handles_then_replies_its_part():
    parts = Parts.start(HE, [TJ, BJ])
    assert dict(parts.reached) == {BJ: c.STATUS_UNSPECIFIED, TJ: c.STATUS_UNSPECIFIED}
    with pytest.raises(TransitionError, match="next part"):
        check_part(parts, TJ, c.STATUS_REPLIED)
    for status in PARTS:
        check_part(parts, TJ, status)
        parts = fold_part(parts, TJ, status)
    with pytest.raises(TransitionError, match="nothing"):
        check_part(parts, TJ, c.STATUS_REPLIED)


def test_only_named_co_handlers_report_parts_and_the_lead_none():
    parts = Parts.start(HE, [TJ])
    with pytest.raises(TransitionError, match="not a co-handler"):
        check_part(parts, BJ, c.STATUS_RECEIVED)
    with pytest.raises(TransitionError, match="lead"):
        check_part(parts, HE, c.STATUS_RECEIVED)
    with pytest.raises(TransitionError, match="part is one of"):
        check_part(parts, TJ, c.STATUS_ACCEPTED)


def test_the_lead_replies_once_every_part_is_in():
    parts = Parts.start(HE, [TJ, BJ])
    for status in PARTS:
        parts = fold_part(parts, TJ, status)
    with pytest.raises(TransitionError, match="JURISDICTION_BEIJING"):
        check_lead_reply(parts, HE)
    for status in PARTS:
        parts = fold_part(parts, BJ, status)
    check_lead_reply(parts, HE)
    with pytest.raises(TransitionError, match="only the lead"):
        check_lead_reply(parts, TJ)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_folding_parts_in_any_order_with_repeats_ends_where_the_in_order_reports_end(data):
    reports = [(who, status) for who in (TJ, BJ) for status in PARTS[:data.draw(st.integers(0, 3))]]
    repeats = data.draw(st.lists(st.sampled_from(reports), max_size=4)) if reports else []
    shuffled = data.draw(st.permutations(reports + repeats))
    in_order = start = Parts.start(HE, [TJ, BJ])
    for who, status in reports:
        in_order = fold_part(in_order, who, status)
    delivered = start
    for who, status in shuffled:
        delivered = fold_part(delivered, who, status)
    assert dict(delivered.reached) == dict(in_order.reached)
