"""A case without a place or without a category never matches on place and category."""

from __future__ import annotations

import datetime as dt

from kernel.domain.privacy import requester_key
from kernel.domain.repeats import PLACE_CATEGORY, RepeatIndex, RepeatRecord, content_shingles
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
PERSON = requester_key(b"federation-test-secret", c.ID_TYPE_RESIDENT_ID, "11010519491231002X")
T0 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
HEATING = "燕郊镇某小区供暖不热，室温只有十五度，多次找物业没有解决。"
TRAFFIC = "三河市某路口红绿灯坏了，早晚高峰拥堵严重。"


def record(case_id: str, text: str, *, admin: str, category: str) -> RepeatRecord:
    return RepeatRecord(case_id, PERSON, admin, category, T0, content_shingles(text))


def matches_between(admin: str, category: str) -> list:
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING, admin=admin, category=category))
    return index.match(record("jjj:BJ:2", TRAFFIC, admin=admin, category=category))


def test_the_same_place_and_category_links_unlike_words():
    # the control: with both set, the same two texts are linked by place and category
    (match,) = matches_between("131082", "HOUSING.HEATING")
    assert match.reasons == (PLACE_CATEGORY,)


def test_two_cases_without_a_place_are_not_linked_by_their_category():
    assert matches_between("", "HOUSING.HEATING") == []


def test_two_cases_without_a_category_are_not_linked_by_their_place():
    assert matches_between("131082", "") == []
