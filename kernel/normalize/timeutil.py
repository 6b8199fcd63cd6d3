"""Native times (Beijing time, no offset) <-> UTC datetimes and protobuf Timestamps.

China has used UTC+8 all year since 1991 (no daylight saving), so a fixed offset is
exact for every date a case can carry and needs no tz database.

Parsing is strict: a time must be exactly in the spec's format and must exist. A
sender that writes "2026-2-3 9:5:0" for "%Y-%m-%d %H:%M:%S", or 2026-02-30, or 25:00,
broke its own schema, and the record is rejected naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import MappingError

BEIJING = timezone(timedelta(hours=8), "UTC+08:00")

# Hebei: "yyyy/M/d H:mm" (no seconds; month, day and hour without leading zeros).
# Leading zeros are tolerated too, since some exports pad them.
_HEBEI_TIME = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2})")
HEBEI_FORMAT_DESCRIPTION = "yyyy/M/d H:mm"


def parse_beijing_time(text: str, fmt: str, field: str) -> datetime:
    """Parse a Beijing-time string in exactly `fmt`; return an aware UTC datetime.

    Raises MappingError(field, ...) when the text is empty, not exactly in the
    format (strptime alone accepts missing leading zeros, so the result is
    rendered back and compared), or names a date or time that does not exist.
    """
    value = (text or "").strip()
    if not value:
        raise MappingError(field, "time is empty")
    try:
        local = datetime.strptime(value, fmt)
    except ValueError as error:
        raise MappingError(field, f"{value!r} is not a valid time in format {fmt!r} ({error})") from None
    if local.strftime(fmt) != value:
        raise MappingError(field, f"{value!r} is not exactly in format {fmt!r}")
    try:
        return local.replace(tzinfo=BEIJING).astimezone(timezone.utc)
    except OverflowError:  # the first hours of year 1 in Beijing time are before year 1 in UTC
        raise MappingError(field, f"{value!r} is out of the representable range of times") from None


def parse_hebei_time(text: str, field: str) -> datetime:
    """Parse Hebei's "yyyy/M/d H:mm" Beijing time; return an aware UTC datetime."""
    value = (text or "").strip()
    if not value:
        raise MappingError(field, "time is empty")
    match = _HEBEI_TIME.fullmatch(value)
    if match is None:
        raise MappingError(field, f"{value!r} is not a time in format {HEBEI_FORMAT_DESCRIPTION!r}")
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=BEIJING)
        return local.astimezone(timezone.utc)
    except ValueError as error:
        raise MappingError(field, f"{value!r} is not a valid time ({error})") from None
    except OverflowError:  # 0001/1/1 before 8:00 Beijing time is before the first representable UTC instant
        raise MappingError(field, f"{value!r} is out of the representable range of times") from None


def to_timestamp(dt: datetime) -> Timestamp:
    """An aware datetime -> protobuf Timestamp (UTC).

    Naive datetimes are refused: whether they are Beijing time or UTC is exactly the
    8-hour mistake this module exists to prevent.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("to_timestamp needs an aware datetime (use parse_beijing_time or attach a tzinfo)")
    timestamp = Timestamp()
    timestamp.FromDatetime(dt.astimezone(timezone.utc))
    return timestamp


def to_beijing(dt: datetime) -> datetime:
    """An aware datetime -> naive datetime in Beijing time (what native formats write)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("to_beijing needs an aware datetime")
    return dt.astimezone(BEIJING).replace(tzinfo=None)


def beijing_from_timestamp(ts: Timestamp) -> datetime:
    """protobuf Timestamp -> naive datetime in Beijing time, for renderers."""
    return to_beijing(ts.ToDatetime(tzinfo=timezone.utc))


def format_beijing_time(ts: Timestamp, fmt: str) -> str:
    """protobuf Timestamp -> Beijing-time string in `fmt` (e.g. "%Y-%m-%d %H:%M:%S")."""
    return beijing_from_timestamp(ts).strftime(fmt)


def format_hebei_time(naive_dt: datetime) -> str:
    """Naive Beijing-time datetime -> Hebei's "2026/11/24 9:05" (no leading zeros, no seconds).

    An aware datetime is converted to Beijing time first. Seconds are dropped,
    because Hebei's format has none.
    """
    if naive_dt.tzinfo is not None and naive_dt.utcoffset() is not None:
        naive_dt = to_beijing(naive_dt)
    return f"{naive_dt.year:04d}/{naive_dt.month}/{naive_dt.day} {naive_dt.hour}:{naive_dt.minute:02d}"
