"""Fast paths for the shapes nearly every Beijing order has.

Each function gives exactly what the general normalize function it stands in for
gives (tests/adapters/test_beijing_hotpath.py checks that on generated input), and
falls back to that function for anything else, including every error, so messages
and edge cases stay the shared ones. They exist because a CN mobile number through
the general `phonenumbers` parser cost several times more than the rest of a work
order's mapping, and strptime/strftime four times per order a tenth of it.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from kernel.normalize.phone import CN_PREFIX, PhoneResult, is_cn_mobile, national_form, normalize_phone
from kernel.normalize.timeutil import parse_beijing_time

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
BEIJING_AREA_CODE = "010"  # a landline written without its area code is a Beijing one
_BEIJING_OFFSET_SECONDS = 8 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def normalize_lxdh(raw: str) -> PhoneResult:
    """normalize_phone(raw, area_code="010"), fast for a plain CN mobile number."""
    if is_cn_mobile(raw):
        return PhoneResult(CN_PREFIX + raw, True)
    return normalize_phone(raw, area_code=BEIJING_AREA_CODE)


def render_lxdh(e164: str) -> str:
    """national_form(e164, "dashed"), fast for a CN mobile number."""
    if e164.startswith(CN_PREFIX) and is_cn_mobile(e164[3:]):
        return e164[3:]
    return national_form(e164, "dashed") if e164 else ""


# Orders of one batch share a handful of dates: a date's day number and text are
# cached (bounded), the time of day is plain arithmetic.
@functools.lru_cache(maxsize=4096)
def _day_number(day_text: str) -> int | None:
    """ "yyyy-MM-dd" -> days since 1970-01-01; None if the date does not exist or the
    year has fewer than 4 significant digits (the general path words those)."""
    year = int(day_text[0:4])
    if year < 1000:  # strptime's round trip (the general path) writes such years unpadded
        return None
    try:
        return date(year, int(day_text[5:7]), int(day_text[8:10])).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _day_text(day_number: int) -> str:
    return date.fromordinal(day_number + _EPOCH_ORDINAL).isoformat()


def beijing_time_seconds(text: str, field: str) -> int:
    """parse_beijing_time(text, "%Y-%m-%d %H:%M:%S", field) as UTC epoch seconds."""
    if _TIME.fullmatch(text) is not None:
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
        day = _day_number(text[:10])
        if day is not None and hour < 24 and minute < 60 and second < 60:
            return day * 86400 + hour * 3600 + minute * 60 + second - _BEIJING_OFFSET_SECONDS
    return int(parse_beijing_time(text, TIME_FORMAT, field).timestamp())


def format_beijing_seconds(seconds: int) -> str:
    """UTC epoch seconds -> "yyyy-MM-dd HH:mm:ss" Beijing time."""
    day, rest = divmod(seconds + _BEIJING_OFFSET_SECONDS, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{_day_text(day)} {hour:02d}:{minute:02d}:{second:02d}"
