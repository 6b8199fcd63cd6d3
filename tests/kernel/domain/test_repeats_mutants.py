"""Repeat matching: the policy file's keys and bounds, and the edges of time window,
pruning, resending and scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kernel.domain.repeats import CONTENT, Match, RepeatIndex, RepeatPolicy, RepeatRecord, content_shingles
from jjj.bus.v1 import envelope_pb2

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
POLICY = RepeatPolicy(window=dt.timedelta(days=10), content_jaccard_min=0.3, generic_categories=frozenset({"OTHER"}))


def record(case_id: str, shingles: set[str], *, key: str = "person", days: float = 0, admin: str = "", category: str = "") -> RepeatRecord:
    return RepeatRecord(case_id, key, admin, category, T0 + dt.timedelta(days=days), frozenset(shingles))


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "repeats.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_of_the_policy_file_is_read(tmp_path: Path):
    path = write_policy(tmp_path, "window_days: 14.5\ncontent_jaccard_min: 0.45\ngeneric_categories: [OTHER, MISC]\n")
    assert RepeatPolicy.load(path) == RepeatPolicy(dt.timedelta(days=14.5), 0.45, frozenset({"OTHER", "MISC"}))


def test_generic_categories_are_optional(tmp_path: Path):
    path = write_policy(tmp_path, "window_days: 30\ncontent_jaccard_min: 1\ngeneric_categories:\n")
    assert RepeatPolicy.load(path) == RepeatPolicy(dt.timedelta(days=30), 1.0, frozenset())


def test_a_misspelt_key_names_the_file(tmp_path: Path):
    path = write_policy(tmp_path, "window: 30\ncontent_jaccard_min: 0.3\n")
    with pytest.raises(ValueError) as error:
        RepeatPolicy.load(path)
    assert str(error.value).startswith(f"{path}: unknown key(s) ['window']")


@pytest.mark.parametrize("threshold", [0, -0.1, 1.01, 2])
def test_the_content_threshold_lies_in_0_exclusive_to_1_inclusive(tmp_path: Path, threshold):
    path = write_policy(tmp_path, f"window_days: 30\ncontent_jaccard_min: {threshold}\n")
    with pytest.raises(ValueError) as error:
        RepeatPolicy.load(path)
    assert str(error.value) == f"{path}: content_jaccard_min must be in (0, 1]"


@pytest.mark.parametrize("threshold", [0.01, 0.5, 1])
def test_a_threshold_inside_the_bounds_is_kept(tmp_path: Path, threshold):
    path = write_policy(tmp_path, f"window_days: 30\ncontent_jaccard_min: {threshold}\n")
    assert RepeatPolicy.load(path).content_jaccard_min == threshold


@pytest.mark.parametrize(("text", "shingles"), [("水电", {"水电"}), ("水", {"水"}), ("供暖不", {"供暖", "暖不"}), ("", set())])
def test_a_two_character_text_is_one_bigram(text, shingles):
    assert content_shingles(text) == frozenset(shingles)


def test_a_record_from_a_digest_keeps_its_case_id():
    digest = envelope_pb2.CaseDigest(case_id="jjj:TJ:7", requester_key="k", admin_code="120101", category_code="X", title="供暖")
    digest.received_at.CopyFrom(Timestamp(seconds=1_800_000_000))
    record = RepeatRecord.from_digest(digest)
    assert record == RepeatRecord(
        "jjj:TJ:7", "k", "120101", "X", dt.datetime.fromtimestamp(1_800_000_000, UTC), frozenset({"供暖"})
    )


def test_a_case_resent_under_another_requester_leaves_the_first():
    index = RepeatIndex(policy=POLICY)
    index.add(record("jjj:BJ:1", {"ab"}, key="first"))
    index.add(record("jjj:BJ:1", {"ab"}, key="second"))
    assert index.match(record("jjj:BJ:2", {"ab"}, key="first")) == []
    assert index.match(record("jjj:BJ:2", {"ab"}, key="second")) == [Match("jjj:BJ:1", 1.0, (CONTENT,))]


def test_a_case_resent_anonymously_is_no_longer_indexed():
    index = RepeatIndex(policy=POLICY)
    index.add(record("jjj:BJ:1", {"ab"}))
    index.add(record("jjj:BJ:1", {"ab"}, key=""))
    assert len(index) == 0
    assert index.match(record("jjj:BJ:2", {"ab"})) == []


def test_pruning_keeps_a_case_received_exactly_at_the_cut():
    index = RepeatIndex(policy=POLICY)
    index.add_all([record("jjj:BJ:old", {"ab"}, days=-1), record("jjj:BJ:cut", {"ab"}, days=0)])
    assert index.prune(T0) == 1
    assert len(index) == 1
    assert index.match(record("jjj:BJ:new", {"ab"})) == [Match("jjj:BJ:cut", 1.0, (CONTENT,))]


def test_a_case_exactly_one_window_apart_still_matches_and_one_second_more_does_not():
    index = RepeatIndex(policy=POLICY)
    index.add(record("jjj:BJ:1", {"ab"}))
    assert index.match(record("jjj:BJ:2", {"ab"}, days=10)) == [Match("jjj:BJ:1", 1.0, (CONTENT,))]
    assert index.match(record("jjj:BJ:2", {"ab"}, days=10 + 1 / 86400)) == []


def test_scores_are_rounded_to_four_decimals():
    index = RepeatIndex(policy=POLICY)
    index.add(record("jjj:BJ:1", {"ab", "bc", "cd"}))
    # 1 shared of 3 in all: 0.333333... -> 0.3333 (above the 0.3 threshold).
    assert index.match(record("jjj:BJ:2", {"ab"})) == [Match("jjj:BJ:1", 0.3333, (CONTENT,))]
