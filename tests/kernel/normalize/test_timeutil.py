from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.codec import MappingError
from kernel.normalize.timeutil import (
    BEIJING,
    beijing_from_timestamp,
    format_beijing_time,
    format_hebei_time,
    parse_beijing_time,
    parse_hebei_time,
    to_timestamp,
)

BJ_FMT = "%Y-%m-%d %H:%M:%S"
TJ_FMT = "%Y%m%d%H%M%S"


def test_beijing_offset_is_eight_hours():
    assert BEIJING.utcoffset(None) == timedelta(hours=8)


def test_beijing_time_converts_to_utc():
    parsed = parse_beijing_time("2026-11-24 09:30:12", BJ_FMT, "slsj")
    assert parsed == datetime(2026, 11, 24, 1, 30, 12, tzinfo=timezone.utc)
    assert parsed.tzinfo is not None
    assert to_timestamp(parsed).ToJsonString() == "2026-11-24T01:30:12Z"


def test_tianjin_compact_format():
    parsed = parse_beijing_time("20261201173000", TJ_FMT, "DueAt")
    assert to_timestamp(parsed).ToJsonString() == "2026-12-01T09:30:00Z"


def test_crossing_midnight_back_to_previous_utc_day():
    parsed = parse_beijing_time("2026-11-24 07:55:40", BJ_FMT, "slsj")
    assert to_timestamp(parsed).ToJsonString() == "2026-11-23T23:55:40Z"


@pytest.mark.parametrize(
    "text",
    ["2026-02-30 10:00:00", "2026-11-24 25:00:00", "2026-11-24 10:60:00", "2026-13-01 10:00:00"],
)
def test_impossible_times_rejected_naming_the_field(text):
    with pytest.raises(MappingError) as error:
        parse_beijing_time(text, BJ_FMT, "slsj")
    assert error.value.field == "slsj"
    assert "slsj" in str(error.value)


@pytest.mark.parametrize(
    "text", ["2026-1-24 09:30:12", "2026-11-24 9:30:12", "2026/11/24 09:30:12", "2026-11-24", "2026-11-24 09:30", "x", ""]
)
def test_wrong_format_rejected(text):
    with pytest.raises(MappingError) as error:
        parse_beijing_time(text, BJ_FMT, "blsx")
    assert error.value.field == "blsx"


def test_leap_day_exists_only_in_leap_years():
    assert parse_beijing_time("2028-02-29 08:00:00", BJ_FMT, "slsj").day == 29
    with pytest.raises(MappingError):
        parse_beijing_time("20270229080000", TJ_FMT, "AcceptedAt")


def test_hebei_time_without_leading_zeros():
    parsed = parse_hebei_time("2026/11/24 9:05", "登记时间")
    assert to_timestamp(parsed).ToJsonString() == "2026-11-24T01:05:00Z"
    assert parse_hebei_time("2027/1/22 14:30", "办理期限") == datetime(2027, 1, 22, 6, 30, tzinfo=timezone.utc)


def test_hebei_time_tolerates_leading_zeros():
    assert parse_hebei_time("2026/01/04 09:05", "登记时间") == parse_hebei_time("2026/1/4 9:05", "登记时间")


@pytest.mark.parametrize("text", ["2026/2/30 9:05", "2026/11/24 24:00", "2026-11-24 9:05", "2026/11/24 9:5", "2026/11/24 9:05:00", ""])
def test_hebei_time_rejects_bad_values(text):
    with pytest.raises(MappingError) as error:
        parse_hebei_time(text, "登记时间")
    assert error.value.field == "登记时间"


def test_to_timestamp_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        to_timestamp(datetime(2026, 11, 24, 9, 30))


def test_renderer_helpers_give_beijing_wall_clock():
    ts = to_timestamp(parse_beijing_time("2026-11-24 09:05:07", BJ_FMT, "slsj"))
    assert beijing_from_timestamp(ts) == datetime(2026, 11, 24, 9, 5, 7)
    assert beijing_from_timestamp(ts).tzinfo is None
    assert format_beijing_time(ts, TJ_FMT) == "20261124090507"
    assert format_hebei_time(beijing_from_timestamp(ts)) == "2026/11/24 9:05"
    assert format_hebei_time(datetime(2026, 1, 4, 0, 0)) == "2026/1/4 0:00"


def test_format_hebei_time_converts_aware_datetimes():
    assert format_hebei_time(datetime(2026, 11, 24, 1, 5, tzinfo=timezone.utc)) == "2026/11/24 9:05"


naive_minutes = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda dt: dt.replace(second=0, microsecond=0)
)


@given(naive_minutes)
def test_hebei_format_round_trips(local):
    text = format_hebei_time(local)
    assert beijing_from_timestamp(to_timestamp(parse_hebei_time(text, "登记时间"))) == local


@given(naive_minutes.map(lambda dt: dt.replace(second=37)))
def test_beijing_format_round_trips(local):
    text = local.strftime(BJ_FMT)
    ts = to_timestamp(parse_beijing_time(text, BJ_FMT, "slsj"))
    assert format_beijing_time(ts, BJ_FMT) == text
    assert ts.ToDatetime() == local - timedelta(hours=8)
