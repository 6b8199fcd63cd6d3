"""What a supervising body may add to a case (schemas/supervision.yaml)."""

from __future__ import annotations

import pytest

from kernel.domain.supervision import SupervisionRules
from kernel.errors import InvalidRequest, StepRefused
from jjj.case.v1 import case_pb2 as c

RULES = SupervisionRules.load()


def test_urging_and_supervision_are_the_two_kinds():
    assert (RULES.event_type("urging"), RULES.event_type("supervision")) == (c.EVENT_TYPE_URGING, c.EVENT_TYPE_SUPERVISION)
    with pytest.raises(InvalidRequest):
        RULES.event_type("extension")


def test_a_reason_is_needed_and_a_closed_case_is_not_urged():
    RULES.check(c.EVENT_TYPE_URGING, c.STATUS_IN_PROGRESS, "已超期三天")
    with pytest.raises(InvalidRequest) as no_reason:
        RULES.check(c.EVENT_TYPE_URGING, c.STATUS_IN_PROGRESS, "  ")
    assert no_reason.value.violations == [("reason", "empty")]
    with pytest.raises(StepRefused):
        RULES.check(c.EVENT_TYPE_SUPERVISION, c.STATUS_CLOSED, "复查")
    with pytest.raises(InvalidRequest):
        RULES.check(c.EVENT_TYPE_EXTENSION, c.STATUS_IN_PROGRESS, "延期")
