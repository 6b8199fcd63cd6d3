"""Cross-region repeat-request matching on keyed requester hashes and Chinese text bigrams."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.privacy import digest_case, requester_key
from kernel.domain.repeats import (
    CONTENT,
    PLACE_CATEGORY,
    Match,
    RepeatIndex,
    RepeatPolicy,
    RepeatRecord,
    content_shingles,
    jaccard,
)
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
SECRET = b"federation-test-secret"
T0 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
PERSON = requester_key(SECRET, c.ID_TYPE_RESIDENT_ID, "11010519491231002X")
SOMEONE_ELSE = requester_key(SECRET, c.ID_TYPE_UNSPECIFIED, "+8613800138000")

HEATING_1 = "燕郊镇某小区供暖不热，室温只有十五度，多次找物业没有解决。"
HEATING_2 = "我住燕郊某小区，家里供暖不热，室温才十五度，物业一直不解决！"
HEATING_SHORT = "燕郊小区暖气不热，物业不管，请尽快处理。"
TRAFFIC = "三河市某路口红绿灯坏了，早晚高峰拥堵严重。"


def record(case_id, text, *, key=PERSON, admin="131082", category="HOUSING.HEATING", days=0) -> RepeatRecord:
    return RepeatRecord(case_id, key, admin, category, T0 + dt.timedelta(days=days), content_shingles(text))


def test_shingles_are_character_bigrams_without_punctuation_or_spaces():
    assert content_shingles("楼下 噪音，很吵！") == frozenset({"楼下", "下噪", "噪音", "音很", "很吵"})
    assert content_shingles("ＡＢｃ１") == content_shingles("abc1") == frozenset({"ab", "bc", "c1"})
    assert content_shingles("水") == frozenset({"水"})
    assert content_shingles("，。 \n") == frozenset()


def test_jaccard_on_paraphrases_and_unrelated_texts():
    paraphrase = jaccard(content_shingles(HEATING_1), content_shingles(HEATING_2))
    unrelated = jaccard(content_shingles(HEATING_1), content_shingles(TRAFFIC))
    assert paraphrase >= RepeatPolicy.load().content_jaccard_min > unrelated
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_same_person_similar_words_is_a_repeat_even_across_place_and_category():
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING_1, admin="131082", category="HOUSING.HEATING"))
    matches = index.match(record("jjj:BJ:9", HEATING_2, admin="110105", category="HOUSING.PROPERTY", days=3))
    assert [(m.case_id, m.reasons) for m in matches] == [("jjj:HE:1", (CONTENT,))]
    assert 0.3 <= matches[0].score <= 1


def test_same_person_same_place_and_category_is_a_repeat_even_in_other_words():
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING_1))
    matches = index.match(record("jjj:BJ:9", HEATING_SHORT, days=10))
    assert [(m.case_id, m.reasons) for m in matches] == [("jjj:HE:1", (PLACE_CATEGORY,))]
    assert matches[0].score < 0.3


def test_a_catch_all_category_does_not_make_a_repeat():
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING_1, category="OTHER"))
    assert index.match(record("jjj:BJ:9", TRAFFIC, category="OTHER")) == []


def test_different_people_never_match_and_anonymous_cases_are_not_indexed():
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING_1, key=SOMEONE_ELSE))
    index.add(record("jjj:HE:2", HEATING_1, key=""))
    assert len(index) == 1
    assert index.match(record("jjj:BJ:9", HEATING_1)) == []
    assert index.match(record("jjj:BJ:8", HEATING_1, key="")) == []


def test_window_applies_in_both_directions():
    index = RepeatIndex(dt.timedelta(days=30))
    index.add(record("jjj:HE:early", HEATING_1, days=-31))
    index.add(record("jjj:HE:late", HEATING_1, days=29))  # a digest that arrived out of order
    index.add(record("jjj:TJ:much-later", HEATING_1, days=31))
    assert [m.case_id for m in index.match(record("jjj:BJ:9", HEATING_1))] == ["jjj:HE:late"]


def test_best_first_and_not_itself_and_a_resend_replaces():
    index = RepeatIndex()
    index.add(record("jjj:HE:1", HEATING_2))
    index.add(record("jjj:HE:2", HEATING_1))
    index.add(record("jjj:BJ:9", HEATING_1))
    matches = index.match(record("jjj:BJ:9", HEATING_1))
    assert [m.case_id for m in matches] == ["jjj:HE:2", "jjj:HE:1"]
    assert matches[0] == Match("jjj:HE:2", 1.0, (CONTENT, PLACE_CATEGORY))
    index.add(record("jjj:HE:2", TRAFFIC, category="TRAFFIC"))  # corrected resend of HE:2
    assert [m.case_id for m in index.match(record("jjj:BJ:9", HEATING_1))] == ["jjj:HE:1"]
    assert len(index) == 3


def test_prune_forgets_old_cases():
    index = RepeatIndex()
    index.add_all([record("jjj:HE:1", HEATING_1, days=-100), record("jjj:HE:2", HEATING_1)])
    assert index.prune(T0 - dt.timedelta(days=90)) == 1
    assert [m.case_id for m in index.match(record("jjj:BJ:9", HEATING_1, days=-50))] == ["jjj:HE:2"]


def test_cases_from_two_regions_with_differently_typed_ids_are_linked():
    def case(case_id, id_number, content, admin):
        return c.Case(
            case_id=case_id,
            title="供暖",
            content=content,
            requester=c.Party(name="王芳", id_type=c.ID_TYPE_RESIDENT_ID, id_number=id_number),
            location=c.Location(admin_code=admin),
            category=c.Category(code="HOUSING.HEATING"),
            received_at=Timestamp(seconds=int(T0.timestamp())),
        )

    hebei = RepeatRecord.from_case(case("jjj:HE:1", "11010519491231002X", HEATING_1, "131082"), SECRET)
    beijing = RepeatRecord.from_case(case("jjj:BJ:1", "１１０１０５１９４９１２３１００２ｘ", HEATING_2, "110105"), SECRET)
    index = RepeatIndex()
    index.add(hebei)
    assert [m.case_id for m in index.match(beijing)] == ["jjj:HE:1"]
    # the same works from shared digests (titles only, or the text when the gateway has it)
    digest = digest_case(case("jjj:BJ:1", "11010519491231002X", HEATING_2, "131082"), SECRET)
    assert [m.case_id for m in index.match(RepeatRecord.from_digest(digest))] == ["jjj:HE:1"]
    assert RepeatRecord.from_digest(digest, HEATING_2).shingles == content_shingles(HEATING_2)


def test_policy_file_is_validated(tmp_path: Path):
    bad = tmp_path / "repeats.yaml"
    bad.write_text("window_days: 90\ncontent_jaccard_min: 1.5\n")
    with pytest.raises(ValueError, match="content_jaccard_min"):
        RepeatPolicy.load(bad)
    bad.write_text("window_days: 90\ncontent_jaccard_min: 0.3\nthreshold: 2\n")
    with pytest.raises(ValueError, match="unknown key"):
        RepeatPolicy.load(bad)


punctuation = st.sampled_from(list("，。！？、；：“”（）《》 \n\t,.!?-"))
chinese = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4EFF), min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(text=chinese, noise=st.lists(st.tuples(st.integers(0, 30), punctuation), max_size=10))
def test_punctuation_and_whitespace_never_change_the_shingles(text, noise):
    noisy = text
    for position, mark in sorted(noise, reverse=True):
        noisy = noisy[:position] + mark + noisy[position:]
    assert content_shingles(noisy) == content_shingles(text)


@settings(max_examples=200, deadline=None)
@given(a=chinese, b=chinese, days=st.integers(-120, 120), same_place=st.booleans())
def test_matching_is_symmetric(a, b, days, same_place):
    first = record("jjj:HE:1", a)
    second = record("jjj:BJ:2", b, days=days, admin="131082" if same_place else "110105")
    forward, backward = RepeatIndex(), RepeatIndex()
    forward.add(first)
    backward.add(second)
    found = [(m.score, m.reasons) for m in forward.match(second)]
    assert found == [(m.score, m.reasons) for m in backward.match(first)]
    assert 0.0 <= jaccard(first.shingles, second.shingles) == jaccard(second.shingles, first.shingles) <= 1.0


def test_links_per_case_and_cases_per_requester_are_bounded_and_the_rest_counted():
    import datetime as dt

    from kernel.domain.repeats import RepeatIndex, RepeatPolicy, RepeatRecord, content_shingles

    policy = RepeatPolicy(window=dt.timedelta(days=90), content_jaccard_min=0.3, generic_categories=frozenset(),
                          max_links_per_case=3, max_cases_per_requester=10)
    index = RepeatIndex(policy=policy)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)

    def record(number: int) -> RepeatRecord:
        return RepeatRecord(f"jjj:HE:{number:03d}", "same-person", "131022", "A0101", start + dt.timedelta(hours=number),
                            content_shingles(f"小区门口道路坑洼积水 {number}"))

    for number in range(25):
        found = index.find(record(number))
        assert len(found.links) == min(number, 3) and found.omitted == min(number, 10) - len(found.links)
        index.add(record(number))
    assert len(index) == 10  # the ten most recently received of this requester
    assert {m.case_id for m in index.match(record(99))} <= {f"jjj:HE:{n:03d}" for n in range(15, 25)}


def test_bounds_below_one_are_refused(tmp_path):
    from kernel.domain.repeats import RepeatPolicy

    bad = tmp_path / "repeats.yaml"
    bad.write_text("window_days: 90\ncontent_jaccard_min: 0.3\nmax_links_per_case: 0\n")
    with pytest.raises(ValueError, match="max_links_per_case must be at least 1, not 0"):
        RepeatPolicy.load(bad)
