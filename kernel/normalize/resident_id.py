"""Resident identity numbers (居民身份证号码, GB 11643-1999).

18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence, and a
check digit (0-9 or X) computed with ISO 7064 MOD 11-2 over the first 17 digits.
A wrong check digit is a quality flag, never a rejection (a typo must not drop a
citizen's request), so this module reports instead of raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.normalize.text import fold_fullwidth

# ISO 7064 MOD 11-2: weight of position i (0-based, left to right) is 2^(17-i) mod 11.
_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
# Check character for (weighted sum mod 11) = 0..10.
_CHECK_CHARACTERS = "10X98765432"
_RESIDENT_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class IdNumberResult:
    """The cleaned id number, and whether it is an 18-character id with a correct check digit."""

    value: str
    checksum_ok: bool


def gb11643_check_digit(first17: str) -> str:
    """The check character ("0"-"9" or "X") for the first 17 digits of a resident id."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"need exactly 17 ASCII digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


def resident_id_checksum_ok(value: str) -> bool:
    """True iff `value` (already cleaned) is 17 digits plus the matching check character."""
    if _RESIDENT_ID_SHAPE.fullmatch(value) is None:
        return False
    return gb11643_check_digit(value[:17]) == value[17]


def normalize_id_number(raw: str) -> IdNumberResult:
    """Fold full-width, drop all whitespace, upper-case (the check digit x -> X).

    checksum_ok is the GB 11643 check for an 18-character resident id; any other
    shape (15-digit pre-1999 ids, passports, permits) gives False, so callers ask
    only for ID_TYPE_RESIDENT_ID. An empty number has nothing to check: True.
    """
    value = _WHITESPACE.sub("", fold_fullwidth(raw or "")).upper()
    if not value:
        return IdNumberResult("", True)
    return IdNumberResult(value, resident_id_checksum_ok(value))
