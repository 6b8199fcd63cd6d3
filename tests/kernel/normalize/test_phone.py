import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.normalize.phone import (
    PhoneResult,
    national_form,
    normalize_phone,
    to_cn_mobile_or_landline,
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),  # bj_rx_complaint_chaoyang
        ("0316-2345678", "+863162345678"),  # bj_xf_petition_visit: Langfang landline
        ("+852 9123 4567", "+85291234567"),  # bj_rx_traditional_hk
        ("13602123456", "+8613602123456"),  # tj_complaint_heping
        ("139 3160 0000", "+8613931600000"),  # hb_mixed_four row 2
        ("０３１６－５５５１２３４", "+863165551234"),  # hb_mixed_four row 3: full-width digits and dash
        ("１３９１２３４５６７８", "+8613912345678"),
        ("022-23456789", "+862223456789"),
        ("010 12345678", "+861012345678"),
        ("(010)12345678", "+861012345678"),
        ("0311－87654321", "+8631187654321"),  # Shijiazhuang: 8-digit local numbers
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+853 6612 3456", "+85366123456"),
        ("+886 912 345 678", "+886912345678"),
        ("+44 20 7946 0018", "+442079460018"),
    ],
)
def test_sample_forms_normalise_to_e164(raw, e164):
    assert normalize_phone(raw) == PhoneResult(e164, True)


def test_bare_local_number_with_area_code_argument():
    # tj_landline_petition: <Phone area="022">23456789</Phone>
    assert normalize_phone("23456789", area_code="022") == PhoneResult("+862223456789", True)
    assert normalize_phone("5551234", area_code="0316") == PhoneResult("+863165551234", True)
    assert normalize_phone("23456789", area_code="22") == PhoneResult("+862223456789", True)


def test_area_code_argument_ignored_when_number_has_its_own():
    assert normalize_phone("0316-5551234", area_code="022") == PhoneResult("+863165551234", True)
    assert normalize_phone("13800138000", area_code="022") == PhoneResult("+8613800138000", True)


def test_invalid_numbers_keep_the_folded_raw_value():
    # bj_rx_quality_flags: ten digits, one short of a mobile.
    assert normalize_phone("1380013800") == PhoneResult("1380013800", False)
    assert normalize_phone(" １２３ ") == PhoneResult("123", False)
    assert normalize_phone("not a phone") == PhoneResult("not a phone", False)
    assert normalize_phone("23456789") == PhoneResult("23456789", False)  # local number, no area code


def test_blank_is_valid_and_empty():
    assert normalize_phone("") == PhoneResult("", True)
    assert normalize_phone(" \u3000 ") == PhoneResult("", True)


@pytest.mark.parametrize(
    ("e164", "parts"),
    [
        ("+863165551234", ("0316", "5551234")),
        ("+862223456789", ("022", "23456789")),
        ("+861012345678", ("010", "12345678")),
        ("+8613800138000", ("", "13800138000")),
        ("+85291234567", ("", "+85291234567")),
        ("1380013800", ("", "1380013800")),
        ("", ("", "")),
    ],
)
def test_split_for_native_systems(e164, parts):
    assert to_cn_mobile_or_landline(e164) == parts


@pytest.mark.parametrize(
    ("e164", "style", "rendered"),
    [
        ("+863162345678", "dashed", "0316-2345678"),
        ("+863162345678", "compact", "03162345678"),
        ("+8613800138000", "dashed", "13800138000"),
        ("+8613800138000", "international", "+86 138 0013 8000"),
        ("+8613800138000", "e164", "+8613800138000"),
        ("+85291234567", "dashed", "+852 9123 4567"),
        ("+85291234567", "compact", "+85291234567"),
        ("1380013800", "dashed", "1380013800"),
    ],
)
def test_national_form(e164, style, rendered):
    assert national_form(e164, style) == rendered


def test_national_form_rejects_unknown_style():
    with pytest.raises(ValueError):
        national_form("+8613800138000", "fancy")


cn_mobiles = st.builds(
    lambda prefix, rest: f"1{prefix}{rest:08d}",
    st.sampled_from(["30", "35", "38", "39", "58", "86", "99"]),
    st.integers(min_value=0, max_value=99_999_999),
)
landlines = st.builds(
    lambda area, local: f"{area}-{local}",
    st.sampled_from(["010", "022", "0311"]),  # 8-digit local numbers
    st.integers(min_value=20_000_000, max_value=89_999_999),
) | st.builds(
    lambda area, local: f"{area}-{local}",
    st.sampled_from(["0316", "0312", "0315"]),  # 7-digit local numbers
    st.integers(min_value=2_000_000, max_value=8_999_999),
)


@given(cn_mobiles | landlines)
def test_normalisation_is_idempotent_on_e164(raw):
    first = normalize_phone(raw)
    assert first.valid
    assert first.value.startswith("+86")
    assert normalize_phone(first.value) == first


@given(cn_mobiles | landlines, st.sampled_from(["dashed", "compact", "international", "e164"]))
def test_rendered_forms_normalise_back(raw, style):
    e164 = normalize_phone(raw).value
    assert normalize_phone(national_form(e164, style)).value == e164


@given(st.text(max_size=30))
def test_never_raises_and_invalid_keeps_input(raw):
    result = normalize_phone(raw)
    if not result.valid:
        assert result.value.strip() == result.value
        assert result.value != ""
    else:
        assert result.value == "" or result.value.startswith("+")


# The quick path for an already normalised CN mobile gives what the library gives, for any 11 digits after +86.
@given(st.one_of(st.text(alphabet="0123456789", min_size=11, max_size=11), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)))
def test_an_e164_cn_number_normalises_as_the_library_reads_it(national):
    import phonenumbers

    raw = "+86" + national
    try:
        number = phonenumbers.parse(raw, "CN")
        expected = (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(number) else None)
    except phonenumbers.NumberParseException:
        expected = None
    result = normalize_phone(raw)
    assert result == (PhoneResult(expected, True) if expected else PhoneResult(raw, False))
