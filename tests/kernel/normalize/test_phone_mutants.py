"""Phone normalisation edges: a separate area code applies to a bare local number only,
short local numbers stay invalid without one, and non-geographic CN numbers have no area."""

from __future__ import annotations

import pytest

from kernel.normalize.phone import PhoneResult, national_form, normalize_phone, to_cn_mobile_or_landline


@pytest.mark.parametrize("raw", ["51586", "785957", "201222"])
def test_a_short_local_number_without_an_area_code_stays_invalid(raw):
    assert normalize_phone(raw) == PhoneResult(raw, False)


def test_a_number_starting_with_0_keeps_its_own_prefix_even_when_that_makes_it_invalid():
    # Read with the area code in front it would be a valid Langfang number; it is not.
    assert normalize_phone("0982597", area_code="0316") == PhoneResult("0982597", False)
    assert normalize_phone("09420555", area_code="010") == PhoneResult("09420555", False)


@pytest.mark.parametrize("e164", ["+864001234567", "+868008101234"])
def test_a_non_geographic_cn_number_has_no_area_code(e164):
    assert to_cn_mobile_or_landline(e164) == ("", e164[3:])
    assert national_form(e164, "dashed") == e164[3:]


def test_an_unknown_style_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        national_form("+8613800138000", "dotted")
    assert str(error.value) == "unknown phone style 'dotted'; use one of compact, dashed, international, e164"
