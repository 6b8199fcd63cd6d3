"""Input limits on a case, a step and a document. Pure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import limits
from kernel.config import LimitSettings
from kernel.errors import LimitExceeded
from jjj.case.v1 import case_pb2

LIMITS = LimitSettings(max_document_bytes=2048, max_cases_per_document=2, max_content_chars=200, max_field_chars=20,
                       max_case_bytes=4096)


def test_every_text_field_at_any_depth_is_checked_against_its_limit():
    case = case_pb2.Case(case_id="jjj:BJ:1", title="t" * 21, content="c" * 200, quality_flags=["ok", "f" * 30])
    case.requester.name = "名" * 21
    case.history.add(note="n" * 201, actor="a" * 5)
    case.extensions["beijing.raw"] = "x" * 150  # extensions hold native text: the long limit
    assert sorted(limits.case_violations(case, LIMITS)) == [
        ("history[0].note", "201 characters; at most 200"),
        ("quality_flags[1]", "30 characters; at most 20"),
        ("requester.name", "21 characters; at most 20"),
        ("title", "21 characters; at most 20"),
    ]


def test_a_case_that_would_not_fit_in_one_bus_message_is_named():
    case = case_pb2.Case(case_id="jjj:BJ:1")
    for index in range(60):
        case.extensions[f"beijing.k{index}"] = "v" * 100
    (violation,) = limits.case_violations(case, LIMITS)
    assert violation[0] == "case" and f"at most {LIMITS.max_case_bytes}" in violation[1]


def test_documents_and_batches_over_the_limit_raise_with_the_numbers():
    limits.check_document(b"x" * 2048, LIMITS)
    with pytest.raises(LimitExceeded, match="2049 bytes; at most 2048 per call: split it"):
        limits.check_document(b"x" * 2049, LIMITS)
    limits.check_count(2, LIMITS)
    with pytest.raises(LimitExceeded, match="3 records; at most 2"):
        limits.check_count(3, LIMITS)


def test_request_texts_use_the_long_limit_for_notes_and_bodies_only():
    assert limits.check_texts({"note": "n" * 200, "body": "b" * 200, "title": "t" * 20}, LIMITS) == []
    assert limits.check_texts({"note": "n" * 201, "actor": "a" * 21}, LIMITS) == [
        ("note", "201 characters; at most 200"), ("actor", "21 characters; at most 20")]


# Lengths around both limits, in characters of one to four UTF-8 bytes: the quick check counts bytes.
_LENGTHS = st.sampled_from([0, 1, 19, 20, 21, 199, 200, 201])
_TEXTS = st.builds(lambda n, char: char * n, _LENGTHS, st.sampled_from(["a", "é", "名", "😀"]))


@st.composite
def _cases(draw) -> case_pb2.Case:
    case = case_pb2.Case(case_id="jjj:BJ:1", title=draw(_TEXTS), content=draw(_TEXTS),
                         quality_flags=draw(st.lists(_TEXTS, max_size=3)))
    case.requester.name = draw(_TEXTS)
    for _ in range(draw(st.integers(0, 2))):
        case.history.add(note=draw(_TEXTS), actor=draw(_TEXTS))
    for key in draw(st.lists(st.sampled_from(["beijing.a", "beijing.b"]), max_size=2, unique=True)):
        case.extensions[key] = draw(_TEXTS)
    return case


@settings(max_examples=400, deadline=None)
@given(_cases())
def test_the_quick_check_finds_a_violation_exactly_when_the_path_walk_does(case):
    walked = limits._paths_over(case, LIMITS)
    assert limits.any_text_over(case, LIMITS.max_field_chars, LIMITS.max_content_chars) == bool(walked)
    assert limits.text_violations(case, LIMITS) == walked
