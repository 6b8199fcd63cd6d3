"""Working-day calendar: the edges mutation testing found unpinned.

Where a year file is wrong, the error names the file and the entry (an operator fixes it
by hand); provisional answers stay provisional however the count goes on; the years the
package covers are exactly its own (2004 onwards in chinese_calendar 1.11.0).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kernel.domain.calendar import (
    CalendarYearUnknown,
    DayAnswer,
    UnknownYear,
    WorkingCalendar,
    YearSchedule,
    beijing_date,
)

D = dt.date


def year_file(tmp_path: Path, text: str, name: str = "2040.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_year_tells_the_operator_which_file_to_add():
    assert str(CalendarYearUnknown(2027)) == (
        "no official working-day calendar for 2027: add schemas/calendar/2027.yaml "
        "(see schemas/calendar/README.md) or allow provisional weekend-only deadlines"
    )


def test_a_year_file_keeps_its_source_and_the_source_is_optional(tmp_path: Path):
    with_source = YearSchedule.from_file(year_file(tmp_path, "year: 2040\nsource: State Council notice 2039-11\n"))
    assert with_source == YearSchedule(2040, frozenset(), frozenset(), "State Council notice 2039-11")
    without = YearSchedule.from_file(year_file(tmp_path, "year: 2041\n", name="2041.yaml"))
    assert without.source == ""


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("year: 2040\nholiday: []\n", "{path}: unknown key(s) ['holiday']"),
        ("year: 2040\nholidays:\n  - {date: 2040-05-01}\n  - {dat: 2040-05-02}\n", "{path}: holidays[1]: unknown key(s)"),
        ("year: 2040\nworkdays:\n  - {day: 2040-04-28}\n", "{path}: workdays[0]: unknown key(s)"),
        ("year: 2040\nholidays:\n  - {date: 2040-05-01}\n  - {date: 2041-05-01}\n", "{path}: holidays[1]: 2041-05-01..2041-05-01 is outside 2040"),
        ("year: 2040\nworkdays:\n  - {from: 2040-12-30, to: 2041-01-01}\n", "{path}: workdays[0]: 2040-12-30..2041-01-01 is outside 2040"),
        ("year: 2040\nholidays:\n  - {from: 2039-12-30, to: 2040-01-01}\n", "{path}: holidays[0]: 2039-12-30..2040-01-01 is outside 2040"),
    ],
)
def test_a_broken_year_file_names_the_file_and_the_entry(tmp_path: Path, text, where):
    path = year_file(tmp_path, text)
    with pytest.raises(ValueError) as error:
        YearSchedule.from_file(path)
    assert str(error.value).startswith(where.format(path=path))


@pytest.mark.parametrize(
    "entry",
    ["{from: 2040-10-01, to: soon}", "{from: later, to: 2040-10-07}", "{date: 2040-10-01x}"],
)
def test_a_range_end_that_is_not_a_date_is_refused_as_such(tmp_path: Path, entry):
    path = year_file(tmp_path, f"year: 2040\nholidays:\n  - {entry}\n")
    with pytest.raises(ValueError) as error:
        YearSchedule.from_file(path)
    assert str(error.value) == f"{path}: holidays[0]: needs date, or from <= to, as YYYY-MM-DD"


def test_operator_years_may_be_given_by_year():
    schedule = YearSchedule(2040, frozenset({D(2040, 1, 2)}), frozenset())
    calendar = WorkingCalendar({2040: schedule}, use_package=False)
    assert calendar.source_of(2040) == "operator"
    assert calendar.is_working_day(D(2040, 1, 2)) == (False, False)


def test_the_package_answers_for_its_own_years_only():
    calendar = WorkingCalendar(unknown_year=UnknownYear.ERROR)
    assert calendar.source_of(2003) is None
    assert calendar.source_of(2004) == "chinese_calendar"
    assert calendar.source_of(2026) == "chinese_calendar"
    with pytest.raises(CalendarYearUnknown):
        calendar.is_working_day(D(2003, 12, 31))


def test_without_the_package_only_operator_years_are_known():
    calendar = WorkingCalendar([YearSchedule(2040, frozenset(), frozenset())], use_package=False)
    assert calendar.source_of(2026) is None
    assert calendar.source_of(2040) == "operator"
    assert calendar.is_working_day(D(2026, 10, 1)) == (True, True)  # a Thursday, guessed from weekends


def test_a_count_below_one_names_the_count():
    with pytest.raises(ValueError, match=re.escape("count must be at least 1, not 0")):
        WorkingCalendar().add_working_days(D(2026, 9, 30), 0)


def test_a_calendar_without_working_days_fails_instead_of_searching_forever():
    def whole_year(year: int) -> frozenset[dt.date]:
        first = D(year, 1, 1)
        return frozenset(first + dt.timedelta(days=n) for n in range((D(year + 1, 1, 1) - first).days))

    every_day_off = [YearSchedule(year, whole_year(year), frozenset()) for year in (2040, 2041)]
    calendar = WorkingCalendar(every_day_off, use_package=False)
    with pytest.raises(ValueError, match=re.escape("no working day found after 2040-01-01: calendar data is broken")):
        calendar.add_working_days(D(2040, 1, 1), 1)


def test_a_guessed_day_on_the_way_keeps_the_answer_provisional_into_a_known_year():
    known_2028 = YearSchedule(2028, frozenset(), frozenset())
    calendar = WorkingCalendar([known_2028], use_package=False)
    # Thu 30 Dec 2027 -> Fri 31 Dec (guessed), then Mon 3 and Tue 4 Jan 2028 (known).
    assert calendar.add_working_days(D(2027, 12, 30), 3) == DayAnswer(D(2028, 1, 4), True)
    assert calendar.add_working_days(D(2028, 1, 3), 1) == DayAnswer(D(2028, 1, 4), False)


def test_on_or_next_working_day_says_exactly_whether_it_guessed():
    known_2034 = YearSchedule(2034, frozenset(), frozenset())
    calendar = WorkingCalendar([known_2034], use_package=False)
    # Sat 31 Dec 2033 is guessed a day off; the next working day, Mon 2 Jan 2034, is known.
    assert calendar.on_or_next_working_day(D(2033, 12, 31)) == DayAnswer(D(2034, 1, 2), True)
    assert calendar.on_or_next_working_day(D(2034, 1, 2)) == DayAnswer(D(2034, 1, 2), False)
    assert calendar.on_or_next_working_day(D(2033, 12, 30)) == DayAnswer(D(2033, 12, 30), True)


class _NoOffset(dt.tzinfo):
    """A tzinfo that does not know its offset: such a datetime is naive (datetime docs)."""

    def utcoffset(self, moment):
        return None

    def dst(self, moment):
        return None


def test_a_datetime_whose_zone_has_no_offset_counts_as_naive():
    with pytest.raises(ValueError, match="no time zone"):
        beijing_date(dt.datetime(2026, 9, 30, 16, 30, tzinfo=_NoOffset()))
