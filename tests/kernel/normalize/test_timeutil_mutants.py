"""Times: the exact rejection a sender gets back (field and reason), UTC results whatever
the machine's zone, and a tzinfo that knows no offset counting as naive."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from kernel.codec import MappingError
from kernel.normalize.timeutil import (
    format_hebei_time,
    parse_beijing_time,
    parse_hebei_time,
    to_beijing,
    to_timestamp,
)

FORMAT = "%Y-%m-%d %H:%M:%S"


def rejection(call) -> tuple[str, str]:
    with pytest.raises(MappingError) as error:
        call()
    return error.value.field, error.value.reason


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_time_is_rejected_as_empty(text):
    assert rejection(lambda: parse_beijing_time(text, FORMAT, "受理时间")) == ("受理时间", "time is empty")
    assert rejection(lambda: parse_hebei_time(text, "登记时间")) == ("登记时间", "time is empty")


def test_the_reasons_name_the_value_and_the_format():
    assert rejection(lambda: parse_beijing_time("2026-02-30 10:00:00", FORMAT, "a.b")) == (
        "a.b",
        "'2026-02-30 10:00:00' is not a valid time in format '%Y-%m-%d %H:%M:%S' (day is out of range for month)",
    )
    assert rejection(lambda: parse_beijing_time("2026-2-3 10:00:00", FORMAT, "a.b")) == (
        "a.b",
        "'2026-2-3 10:00:00' is not exactly in format '%Y-%m-%d %H:%M:%S'",
    )
    assert rejection(lambda: parse_hebei_time("2026-11-24", "t")) == ("t", "'2026-11-24' is not a time in format 'yyyy/M/d H:mm'")
    assert rejection(lambda: parse_hebei_time("2026/2/30 9:05", "t")) == (
        "t",
        "'2026/2/30 9:05' is not a valid time (day is out of range for month)",
    )


@pytest.fixture
def beijing_machine(monkeypatch):
    """The process's local time zone is Beijing (where an adapter may well run)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_parsed_times_are_utc_whatever_the_machines_zone(beijing_machine):
    assert dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).astimezone().utcoffset() == dt.timedelta(hours=8)
    for parsed in (parse_beijing_time("2026-11-24 09:05:00", FORMAT, "t"), parse_hebei_time("2026/11/24 9:05", "t")):
        assert parsed == dt.datetime(2026, 11, 24, 1, 5, tzinfo=dt.timezone.utc)
        assert parsed.utcoffset() == dt.timedelta(0)


class _NoOffset(dt.tzinfo):
    """A tzinfo that does not know its offset: such a datetime is naive (datetime docs)."""

    def utcoffset(self, moment):
        return None

    def dst(self, moment):
        return None


def test_a_datetime_whose_zone_has_no_offset_is_naive_everywhere():
    moment = dt.datetime(2026, 11, 24, 9, 5, 30, tzinfo=_NoOffset())
    with pytest.raises(ValueError) as error:
        to_timestamp(moment)
    assert str(error.value) == "to_timestamp needs an aware datetime (use parse_beijing_time or attach a tzinfo)"
    with pytest.raises(ValueError) as error:
        to_beijing(moment)
    assert str(error.value) == "to_beijing needs an aware datetime"
    assert format_hebei_time(moment) == "2026/11/24 9:05"  # taken as the Beijing wall clock it shows
