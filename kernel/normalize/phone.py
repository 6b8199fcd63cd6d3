"""Telephone numbers -> E.164, and back to the forms native systems write.

Raw forms seen in the three systems: "13800138000", "139 3160 0000", full-width
"０３１６－５５５１２３４", landlines with area code "0316-2345678" / "010 12345678",
a bare local number with the area code given apart (Tianjin
`<Phone area="022">23456789</Phone>`), and international numbers "+852 9123 4567".
Validity is the `phonenumbers` library's `is_valid_number` (its metadata knows CN
mobile ranges and area-code lengths). An invalid number is kept as typed (folded)
with valid=False: the caller flags it, never drops the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from kernel.normalize.text import fold_fullwidth

DEFAULT_REGION = "CN"
CN_COUNTRY_CODE = 86
# Separators people and systems put inside numbers (after full-width folding):
# whitespace, ASCII and Unicode dashes, parentheses, dots, slashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212().·/]")
_STYLES = ("compact", "dashed", "international", "e164")
# CN mobile numbers as the phonenumbers metadata (the general path's source) defines them.
_CN_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
CN_PREFIX = "+86"


def is_cn_mobile(digits: str) -> bool:
    """An 11-digit national CN mobile number ("13912345678"), by the library's own pattern: a quick test that
    lets the paths taken by nearly every case skip the general parser, which costs several times more."""
    return len(digits) == 11 and digits.isascii() and digits.isdigit() and _CN_MOBILE.fullmatch(digits) is not None


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """E.164 value when valid; otherwise the folded raw input and valid=False."""

    value: str
    valid: bool


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _parse_valid(candidate: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _candidates(compact: str, area_code: str) -> list[str]:
    """Readings of a number to try in order: with the separate area code first, then alone."""
    area = _compact(fold_fullwidth(area_code))
    if area and not compact.startswith(("0", "+")):
        trunk_area = area if area.startswith("0") else "0" + area
        # A mobile typed in a landline field stays readable on its own (second try).
        return [trunk_area + compact, compact]
    return [compact]


def normalize_phone(raw: str, *, area_code: str = "") -> PhoneResult:
    """Normalise one phone number to E.164 ("+8613800138000").

    `area_code` ("022", "0316", or without the trunk 0) applies to a bare local
    number only; a number that already starts with 0 or + keeps its own.
    Empty or blank raw -> PhoneResult("", True): nothing to flag.
    """
    if raw and raw.startswith(CN_PREFIX) and is_cn_mobile(raw[3:]):  # already normalised (a mapped case's phone)
        return PhoneResult(raw, True)
    folded = fold_fullwidth(raw or "").strip()
    if not folded:
        return PhoneResult("", True)
    compact = _compact(folded)
    for candidate in _candidates(compact, area_code):
        number = _parse_valid(candidate)
        if number is not None:
            return PhoneResult(phonenumbers.format_number(number, PhoneNumberFormat.E164), True)
    return PhoneResult(folded, False)


def _parse_e164(e164: str) -> phonenumbers.PhoneNumber | None:
    if not e164.startswith("+"):
        return None
    return _parse_valid(e164)


def to_cn_mobile_or_landline(e164: str) -> tuple[str, str]:
    """Split a number for systems that store area code and local number apart.

    CN landline -> ("0316", "5551234"), ("010", "12345678");
    CN mobile or non-geographic CN number -> ("", "13800138000");
    foreign number, or anything that is not a valid E.164 number -> ("", input unchanged).
    """
    number = _parse_e164(e164)
    if number is None or number.country_code != CN_COUNTRY_CODE:
        return "", e164
    national = phonenumbers.national_significant_number(number)
    if phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
        return "", national
    area_length = phonenumbers.length_of_geographical_area_code(number)
    if area_length == 0:
        return "", national
    return "0" + national[:area_length], national[area_length:]


def national_form(e164: str, style: str) -> str:
    """Render an E.164 number the way a native system writes it.

    Styles, for CN numbers:
      "compact"       -> "13800138000", "03165551234"
      "dashed"        -> "13800138000", "0316-5551234"
      "international" -> "+86 138 0013 8000"
      "e164"          -> "+8613800138000"
    A foreign number has no national form in a CN system: "compact" and "e164" give
    E.164, "dashed" and "international" give "+852 9123 4567". A value that is not a
    valid E.164 number (an invalid raw kept by normalize_phone) is returned unchanged.
    """
    if style not in _STYLES:
        raise ValueError(f"unknown phone style {style!r}; use one of {', '.join(_STYLES)}")
    number = _parse_e164(e164)
    if number is None:
        return e164
    if style == "e164":
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if style == "international":
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    if number.country_code != CN_COUNTRY_CODE:
        if style == "compact":
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    area, local = to_cn_mobile_or_landline(e164)
    if not area:
        return local
    return f"{area}-{local}" if style == "dashed" else area + local
