"""The simulated members' cases: realistic, in the right places, repeatable, readable by the real codecs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from adapters.registry import codec_for
from harness.sim.defects import MISSING, without_required_field
from harness.sim.generate import (BAD_PHONE, MISSING_FIELD, SIMULATED_MARK, Generator, Mix, is_simulated_native_id,
                                  load_places, resident_id)
from kernel import jurisdictions
from kernel.normalize.resident_id import resident_id_checksum_ok
from kernel.tables import load_csv
from jjj.case.v1 import case_pb2

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=timezone.utc)
MEMBERS = ("beijing", "tianjin", "hebei")
ADMIN_CODES = {row["code"] for row in load_csv("admin_codes.csv")}


def test_every_place_is_a_known_admin_code_of_its_jurisdiction():
    places = load_places()
    assert {a.code for a in places.areas} <= ADMIN_CODES
    by_code = {a.code: a.jurisdiction for a in places.areas}
    # the border towns the issue names, each in its own jurisdiction
    assert by_code["131082"] == by_code["131024"] == by_code["131022"] == by_code["130681"] == "hebei"
    assert by_code["120114"] == "tianjin"
    assert {by_code[c] for c in ("110112", "110115", "110111", "110117")} == {"beijing"}


@pytest.mark.parametrize("origin", MEMBERS)
def test_cases_are_in_the_right_places_and_marked_simulated(origin):
    generated = Generator(seed=3, run_tag=1).cases(origin, 60, now=NOW)
    member = jurisdictions.by_name(origin)
    for item in generated:
        case = item.case
        assert case.origin == member.enum
        assert case.case_id == f"jjj:{member.short}:{case.native_id}"
        assert case.title.startswith(SIMULATED_MARK)
        assert is_simulated_native_id(case.native_id)
        competent = jurisdictions.competent_for(case.location.admin_code)
        assert competent is not None and competent.name == item.destination
        assert case.location.admin_code in ADMIN_CODES
        if item.cross_border:
            area = next(a for a in load_places().areas if a.code == case.location.admin_code)
            assert area.border, f"a cross-border case in {area.name}, not near a border"
    kinds = {item.case.kind for item in generated}
    assert kinds == {case_pb2.CASE_KIND_HOTLINE_REQUEST, case_pb2.CASE_KIND_PETITION}
    assert any(item.case.requester.anonymous for item in generated)
    assert sum(item.cross_border for item in generated) > len(generated) / 2
    assert len({item.case.native_id for item in generated}) == len(generated)


def test_the_same_seed_gives_the_same_cases_and_another_seed_others():
    first = [g.case for g in Generator(seed=11, run_tag=4).cases("beijing", 20, now=NOW)]
    again = [g.case for g in Generator(seed=11, run_tag=4).cases("beijing", 20, now=NOW)]
    other = [g.case for g in Generator(seed=12, run_tag=4).cases("beijing", 20, now=NOW)]
    assert first == again
    assert first != other


@pytest.mark.parametrize("origin", MEMBERS)
def test_a_long_run_does_not_reuse_native_ids(origin):
    generator = Generator(seed=1, run_tag=99)
    ids = [generator.case(origin, now=NOW).case.native_id for _ in range(2500)]
    assert len(set(ids)) == len(ids)
    assert all(is_simulated_native_id(native) for native in ids)


def test_runs_with_another_tag_do_not_reuse_native_ids():
    first = {g.case.native_id for g in Generator(seed=1, run_tag=1).cases("tianjin", 30, now=NOW)}
    second = {g.case.native_id for g in Generator(seed=1, run_tag=2).cases("tianjin", 30, now=NOW)}
    assert not first & second


@given(region=st.sampled_from(sorted(ADMIN_CODES)), order=st.integers(0, 999))
def test_resident_ids_carry_a_correct_check_character(region, order):
    number = resident_id(region, "19880229", order)
    assert len(number) == 18 and number.startswith(region)
    assert resident_id_checksum_ok(number)


@pytest.mark.parametrize("origin", MEMBERS)
def test_clean_cases_decode_with_the_real_codec_unflagged(origin):
    codec = codec_for(origin)
    for item in Generator(seed=5, run_tag=0, mix=Mix(defect=0.0)).cases(origin, 25, now=NOW):
        cases, rejected = codec.decode_all(codec.encode([item.case]))
        assert rejected == []
        (case,) = cases
        assert case.case_id == item.case.case_id
        assert case.location.admin_code == item.case.location.admin_code
        assert case.category.code == item.case.category.code
        assert list(case.quality_flags) == []


@pytest.mark.parametrize("origin", MEMBERS)
def test_defects_are_what_the_codec_flags_or_rejects(origin):
    codec = codec_for(origin)
    generated = Generator(seed=8, run_tag=0, mix=Mix(defect=1.0)).cases(origin, 20, now=NOW)
    assert {item.defect for item in generated} - {""} == {BAD_PHONE, MISSING_FIELD}
    assert all(item.case.requester.anonymous for item in generated if not item.defect)  # no phone to spoil
    for item in generated:
        if not item.defect:
            continue
        document = codec.encode([item.case])
        if item.defect == BAD_PHONE:
            (case,), rejected = codec.decode_all(document)
            assert rejected == [] and "requester.phone:invalid" in case.quality_flags
        else:
            assert item.expect_rejection
            cases, rejected = codec.decode_all(without_required_field(origin, document))
            assert cases == [] and [r.field for r in rejected] == [MISSING[origin]]


def test_a_real_native_id_is_not_taken_for_a_simulated_one():
    assert not is_simulated_native_id("BJ2026112400002001")
    assert not is_simulated_native_id("TJ-26-1124-000567")
    assert not is_simulated_native_id("HB1310222026000123")
