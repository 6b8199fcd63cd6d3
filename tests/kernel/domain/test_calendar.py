"""Working days: chinese_calendar up to 2026, operator year files after, never a silent guess."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kernel.domain.calendar import (
    CALENDAR_DIR,
    CalendarYearUnknown,
    UnknownYear,
    WorkingCalendar,
    YearSchedule,
    beijing_date,
)

D = dt.date
# An invented schedule for a far-future year, so it can never be mistaken for a real one.
FICTIONAL_2040 = """\
year: 2040
source: test fixture, not an official schedule
holidays:
  - {name: New Year's Day, date: 2040-01-02}
  - {name: National Day, from: 2040-10-01, to: 2040-10-07}
workdays:
  - {name: make-up, date: 2040-10-13}
"""


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


def test_2026_national_day_holiday_and_make_up_saturday(calendar):
    """Verified against chinese_calendar 1.11.0 (and the State Council's 2026 notice)."""
    for day in range(1, 8):
        assert calendar.is_working_day(D(2026, 10, day)) == (False, False), day
    assert D(2026, 10, 10).weekday() == 5  # a Saturday...
    assert calendar.is_working_day(D(2026, 10, 10)) == (True, False)  # ...that is a working day
    assert calendar.is_working_day(D(2026, 10, 8)).working
    assert calendar.is_working_day(D(2026, 10, 9)).working
    assert not calendar.is_working_day(D(2026, 10, 11)).working  # Sunday
    # the other make-up day of that block, and Mid-Autumn Festival
    assert calendar.is_working_day(D(2026, 9, 20)) == (True, False)  # a Sunday
    assert not calendar.is_working_day(D(2026, 9, 25)).working  # a Friday
    assert calendar.source_of(2026) == "chinese_calendar"


def test_counting_working_days_across_the_october_holiday(calendar):
    assert calendar.add_working_days(D(2026, 9, 30), 1).day == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 9, 30), 3).day == D(2026, 10, 10)
    assert calendar.add_working_days(D(2026, 9, 30), 4).day == D(2026, 10, 12)
    assert calendar.add_working_days(D(2026, 10, 4), 1).day == D(2026, 10, 8)  # from inside the holiday
    assert calendar.on_or_next_working_day(D(2026, 10, 3)).day == D(2026, 10, 8)
    assert calendar.on_or_next_working_day(D(2026, 10, 10)).day == D(2026, 10, 10)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 9, 30), 0)


def test_shipped_folder_has_no_2027_and_the_example_is_not_loaded(calendar):
    assert not (CALENDAR_DIR / "2027.yaml").exists()
    assert calendar.source_of(2027) is None
    assert calendar.source_of(2031) is None  # the example file's year


def test_unknown_year_in_error_mode_raises():
    strict = WorkingCalendar.load(unknown_year=UnknownYear.ERROR)
    with pytest.raises(CalendarYearUnknown) as error:
        strict.is_working_day(D(2027, 1, 4))
    assert error.value.year == 2027
    assert "schemas/calendar/2027.yaml" in str(error.value)
    with pytest.raises(CalendarYearUnknown):
        strict.add_working_days(D(2026, 12, 30), 3)


def test_unknown_year_in_fallback_mode_counts_weekends_only_and_says_provisional(calendar):
    assert calendar.is_working_day(D(2027, 1, 1)) == (True, True)  # a Friday; surely a holiday, but unknown
    assert calendar.is_working_day(D(2027, 1, 2)) == (False, True)  # Saturday
    answer = calendar.add_working_days(D(2026, 12, 30), 2)  # Thu 31st (known), then Fri 1 Jan 2027 (guessed)
    assert answer.day == D(2027, 1, 1) and answer.provisional
    assert not calendar.add_working_days(D(2026, 12, 29), 2).provisional  # stays in 2026


def test_operator_year_file_is_used_and_not_provisional(tmp_path: Path):
    (tmp_path / "2040.yaml").write_text(FICTIONAL_2040, encoding="utf-8")
    calendar = WorkingCalendar.load(tmp_path, unknown_year=UnknownYear.ERROR)
    assert calendar.source_of(2040) == "operator"
    assert calendar.is_working_day(D(2040, 1, 2)) == (False, False)  # a Monday made holiday
    assert calendar.is_working_day(D(2040, 10, 13)) == (True, False)  # a Saturday made working day
    assert calendar.is_working_day(D(2040, 10, 14)) == (False, False)  # plain Sunday
    assert calendar.add_working_days(D(2040, 9, 28), 1).day == D(2040, 10, 8)  # Fri -> past the holiday


def test_operator_file_wins_over_the_package_for_the_whole_year(tmp_path: Path):
    """A year file is the year's complete schedule (a correction replaces, it does not patch)."""
    (tmp_path / "2026.yaml").write_text(
        "year: 2026\nholidays:\n  - {from: 2026-10-01, to: 2026-10-08}\n", encoding="utf-8"
    )
    calendar = WorkingCalendar.load(tmp_path)
    assert calendar.source_of(2026) == "operator"
    assert calendar.add_working_days(D(2026, 9, 30), 1).day == D(2026, 10, 9)
    assert not calendar.is_working_day(D(2026, 10, 10)).working  # the file lists no make-up Saturday


def test_the_shipped_example_format_loads(tmp_path: Path):
    shutil.copy(CALENDAR_DIR / "example-year.yaml.txt", tmp_path / "2031.yaml")
    calendar = WorkingCalendar.load(tmp_path, unknown_year=UnknownYear.ERROR)
    assert calendar.is_working_day(D(2031, 10, 11)) == (True, False)
    assert calendar.is_working_day(D(2031, 10, 3)) == (False, False)


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("2041.yaml", "year: 2040\n", "named for 2041"),
        ("2040.yaml", "year: 2040\nworkdays:\n  - {date: 2040-10-12}\n", "must fall on a weekend"),
        ("2040.yaml", "year: 2040\nholidays:\n  - {date: 2041-01-01}\n", "outside 2040"),
        ("2040.yaml", "year: 2040\nholidays:\n  - {from: 2040-10-07, to: 2040-10-01}\n", "from <= to"),
        ("2040.yaml", "year: 2040\nholiday:\n  - {date: 2040-10-01}\n", "unknown key"),
        (
            "2040.yaml",
            "year: 2040\nholidays:\n  - {date: 2040-10-13}\nworkdays:\n  - {date: 2040-10-13}\n",
            "both as holiday and workday",
        ),
    ],
)
def test_broken_year_files_fail_loudly(tmp_path: Path, name, text, complaint):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        WorkingCalendar.load(tmp_path)


def test_year_schedule_on_its_own():
    schedule = YearSchedule(2040, frozenset({D(2040, 5, 1)}), frozenset({D(2040, 4, 28)}))
    assert not schedule.is_working_day(D(2040, 5, 1))
    assert schedule.is_working_day(D(2040, 4, 28))


def test_beijing_date_of_an_instant():
    assert beijing_date(dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.timezone.utc)) == D(2026, 10, 1)
    with pytest.raises(ValueError, match="time zone"):
        beijing_date(dt.datetime(2026, 9, 30, 16, 30))
