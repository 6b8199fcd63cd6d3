"""The check digit of a resident id needs exactly the 17 leading digits, and says so."""

from __future__ import annotations

import pytest

from kernel.normalize.resident_id import gb11643_check_digit


@pytest.mark.parametrize("first17", ["123", "1101051949123100", "110105194912310020", "11010519491231００2"])
def test_anything_but_17_ascii_digits_is_refused_showing_what_came(first17):
    with pytest.raises(ValueError) as error:
        gb11643_check_digit(first17)
    assert str(error.value) == f"need exactly 17 ASCII digits, got {first17!r}"
