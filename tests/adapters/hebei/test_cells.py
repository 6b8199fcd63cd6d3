"""Structured cells: the phone fast path agrees with the library, parse/format are inverses."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from kernel.codec import MappingError
from kernel.normalize.phone import national_form, normalize_phone
from kernel.normalize.resident_id import normalize_id_number
from kernel.normalize.timeutil import parse_hebei_time
from adapters.hebei import cells

# --- phones ------------------------------------------------------------------------------


def _valid(national: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=86, national_number=int(national)))


def test_mobile_validity_depends_only_on_the_block_the_fast_path_keys_on():
    """The assumption behind normalize_phone_fast, re-checked against the installed phonenumbers."""
    rng = random.Random(2026)
    digits = cells._MOBILE_BLOCK_DIGITS
    for prefix in range(10 ** (digits - 1), 2 * 10 ** (digits - 1)):
        rest = 11 - digits
        suffixes = ["0" * rest, "9" * rest, f"{rng.randrange(10**rest):0{rest}d}"]
        assert len({_valid(f"{prefix}{suffix}") for suffix in suffixes}) == 1, prefix


def test_landline_validity_depends_only_on_the_block_the_fast_path_keys_on():
    rng = random.Random(11)
    digits = cells._LANDLINE_BLOCK_DIGITS
    hebei = ["310", "311", "312", "313", "314", "315", "316", "317", "318", "319", "335"]
    areas = ["10", *(f"2{d}" for d in range(10)), *hebei]
    for _ in range(400):
        area = rng.choice(areas) if rng.random() < 0.5 else str(rng.randrange(300, 1000))
        length = rng.choice((9, 10, 11))
        head = area + "".join(rng.choice("0123456789") for _ in range(digits - len(area)))
        numbers = [head + "".join(rng.choice("0123456789") for _ in range(length - digits)) for _ in range(6)]
        assert len({_valid(number) for number in numbers}) == 1, (head, length)


phone_spellings = st.one_of(
    st.from_regex(r"0?1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"1[0-9]{2} [0-9]{4} [0-9]{4}", fullmatch=True),
    st.from_regex(r"1[0-9]{2}-[0-9]{4}-[0-9]{4}", fullmatch=True),
    st.from_regex(r"0(10|2[0-9]|3[0-9]{2}|[4-9][0-9]{2})-?[0-9]{7,8}", fullmatch=True),
    st.from_regex(r"0[0-9]{9,11}", fullmatch=True),
    st.text(alphabet="0123456789 -+()１３８", max_size=16),
)


@settings(max_examples=400, deadline=None)
@given(phone_spellings)
def test_the_phone_fast_path_gives_exactly_the_library_result(raw):
    assert cells.normalize_phone_fast(raw) == normalize_phone(raw)
    assert cells.normalize_phone_fast(raw) == normalize_phone(raw)  # once its block is known too


@settings(max_examples=300, deadline=None)
@given(phone_spellings)
def test_format_phone_is_the_dashed_national_form(raw):
    value = normalize_phone(raw).value
    assume(value)
    expected = national_form(value, "dashed") if value.startswith("+") else value
    assert cells.format_phone(value) == expected
    assert cells.format_phone(value) == expected  # memoised layout


def test_format_phone_examples():
    assert cells.format_phone("+8613931600000") == "13931600000"
    assert cells.format_phone("+863165551234") == "0316-5551234"
    assert cells.format_phone("+861012345678") == "010-12345678"
    assert cells.format_phone("+85291234567") == "+852 9123 4567"
    assert cells.format_phone("12345") == "12345"


# --- degrees, counts, times ------------------------------------------------------------------


@given(st.floats(min_value=-180, max_value=180, allow_nan=False))
def test_degrees_read_back_exactly(value):
    text = cells.format_degrees(value)
    assert "e" not in text.lower()
    if abs(value) >= 1e-4 or value == 0:
        assert cells.parse_degrees(text, 180.0) == value


@pytest.mark.parametrize("text", ["", " ", "abc", "1e5", "inf", "nan", "1_0", "116.2.3", "181", "-180.5"])
def test_not_degrees(text):
    assert cells.parse_degrees(text, 180.0) is None


def test_full_width_degrees_are_read():
    assert cells.parse_degrees("１１６．２９８８", 180.0) == 116.2988


@pytest.mark.parametrize("text, value", [("0", 0), ("20", 20), ("020", 20), ("２０", 20), (" 7 ", 7)])
def test_counts(text, value):
    assert cells.parse_count(text, "信访人数") == value


@pytest.mark.parametrize("text", ["", "-1", "2.5", "二十", "1e3", str(2**31)])
def test_not_counts(text):
    with pytest.raises(MappingError):
        cells.parse_count(text, "信访人数")


@given(st.integers(min_value=0, max_value=4_102_444_800 // 60).map(lambda minutes: minutes * 60))
def test_times_read_back(seconds):
    text = cells.format_time(seconds)
    assert cells.parse_time(text, "登记时间") == (seconds, True)


# --- lists: canonical flag == format(parse(cell)) == cell -----------------------------------------

piece = st.text(alphabet=st.sampled_from("ab甲乙:：|｜；;, \r\n"), max_size=6)


@settings(max_examples=300)
@given(st.lists(piece, max_size=4).map("；".join))
def test_units_canonical_flag_is_exact(cell):
    units, canonical = cells.parse_units(cell)
    assert (cells.format_units(units) == cell) == canonical
    assert cells.parse_units(cells.format_units(units))[0] == units


times = st.sampled_from(["2026/11/24 9:05", "2026/11/24 09:05", "2026/1/2 0:00", " 2026/3/4 12:30"])


@settings(max_examples=300)
@given(st.lists(st.tuples(times, st.lists(piece, max_size=4)).map(lambda t: "|".join([t[0], *t[1]])), max_size=3))
def test_events_canonical_flag_is_exact(entries):
    cell = "；".join(entries)
    try:
        events, canonical = cells.parse_events(cell)
    except MappingError:  # a stray "；" made an entry without a time
        assume(False)
    assert (cells.format_events(events) == cell) == canonical
    assert cells.parse_events(cells.format_events(events))[0] == events


@settings(max_examples=300)
@given(st.lists(st.lists(st.one_of(piece, st.sampled_from(["AB" * 32, " ab "])), max_size=4).map("|".join), max_size=3))
def test_attachments_canonical_flag_is_exact(entries):
    cell = "；".join(entries)
    attachments, canonical = cells.parse_attachments(cell)
    assert (cells.format_attachments(attachments) == cell) == canonical
    assert cells.parse_attachments(cells.format_attachments(attachments))[0] == attachments


@settings(max_examples=200)
@given(st.lists(st.tuples(piece, piece), max_size=3))
def test_formatted_units_of_any_values_parse_to_entries_one_per_unit(units):
    cell = cells.format_units(units)
    parsed, _ = cells.parse_units(cell)
    assert len(parsed) == len(units)


time_like = st.one_of(
    st.from_regex(r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{2}", fullmatch=True),
    st.from_regex(r" ?[0-9０-９]{4}/[0-9]{1,3}/[0-9]{1,3} [0-9]{1,3}:[0-9]{1,3} ?", fullmatch=True),
    st.text(alphabet="0123456789/: ", max_size=18),
)


@settings(max_examples=500)
@given(time_like)
@example("0001/1/1 0:00")  # before the first UTC instant: a mapping error, not an OverflowError
@example("0001/1/1 0:60")
def test_the_time_fast_path_agrees_with_the_library(text):
    try:
        expected = int(parse_hebei_time(text, "登记时间").timestamp())
    except MappingError as error:
        with pytest.raises(MappingError) as caught:
            cells.parse_time(text, "登记时间")
        assert caught.value.field == error.field == "登记时间"
        return
    seconds, canonical = cells.parse_time(text, "登记时间")
    assert seconds == expected
    assert canonical == (cells.format_time(seconds) == text)


@settings(max_examples=300)
@given(st.one_of(st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True), st.text(alphabet="0123456789Xx １２ ", max_size=20)))
def test_the_id_fast_path_agrees_with_the_library(raw):
    assert cells.normalize_id_fast(raw) == normalize_id_number(raw)
