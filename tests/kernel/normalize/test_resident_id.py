import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.normalize.resident_id import (
    IdNumberResult,
    gb11643_check_digit,
    normalize_id_number,
    resident_id_checksum_ok,
)


@pytest.mark.parametrize(
    "number",
    ["110105198503121234", "130606197808081117", "131082199001010020", "120101198505050018", "131022198808081232"],
)
def test_sample_ids_pass(number):
    assert normalize_id_number(number) == IdNumberResult(number, True)


def test_wrong_check_digit_fails_but_value_is_kept():
    # bj_rx_quality_flags.json: the case is accepted with a checksum flag.
    assert normalize_id_number("110108199202022220") == IdNumberResult("110108199202022220", False)


def test_check_digit_x():
    assert gb11643_check_digit("11010519491231002") == "X"
    assert normalize_id_number("11010519491231002x") == IdNumberResult("11010519491231002X", True)


def test_fullwidth_spaces_and_lowercase_are_cleaned():
    assert normalize_id_number(" １１０１０５ 1949 1231 002ｘ ") == IdNumberResult("11010519491231002X", True)


def test_other_shapes_are_not_resident_ids():
    assert normalize_id_number("H12345678") == IdNumberResult("H12345678", False)
    assert normalize_id_number("110105850312123").checksum_ok is False  # 15-digit pre-1999 id
    assert normalize_id_number("1101051985031212345").checksum_ok is False
    assert normalize_id_number("X10105198503121234").checksum_ok is False


def test_empty_has_nothing_to_check():
    assert normalize_id_number("") == IdNumberResult("", True)
    assert normalize_id_number("  ") == IdNumberResult("", True)


@pytest.mark.parametrize("bad", ["1234", "1101051985031212a", "１１０１０５１９８５０３１２１２３"])
def test_check_digit_needs_17_ascii_digits(bad):
    with pytest.raises(ValueError):
        gb11643_check_digit(bad)


first17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@given(first17)
def test_generated_ids_always_pass(prefix):
    number = prefix + gb11643_check_digit(prefix)
    assert normalize_id_number(number).checksum_ok
    assert normalize_id_number(number.lower()).checksum_ok


@given(first17, st.sampled_from("0123456789X"))
def test_any_other_check_digit_fails(prefix, replacement):
    right = gb11643_check_digit(prefix)
    if replacement == right:
        return
    assert not resident_id_checksum_ok(prefix + replacement)


@given(first17, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_changed_digit_fails(prefix, position, delta):
    # MOD 11-2 detects every single-digit substitution (weights are non-zero mod 11).
    number = prefix + gb11643_check_digit(prefix)
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    assert not resident_id_checksum_ok(changed)
