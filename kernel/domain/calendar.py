"""Working days on the Chinese official calendar (holidays and make-up working days, 调休).

Two sources, operator data first:
  1. schemas/calendar/<year>.yaml, written by an operator when the State Council
     publishes a year's schedule (late in the year before), no release needed;
  2. the `chinese_calendar` package (1.11.0 knows 2004-2026).
A year neither knows is never guessed silently: by configuration it either raises
CalendarYearUnknown or falls back to weekends-only and marks the answer provisional.
All dates are Beijing calendar dates (China has one time zone, UTC+8, no DST).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import chinese_calendar

from kernel.errors import CalendarYearUnknown, ConfigurationError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
CALENDAR_DIR = SCHEMAS_DIR / "calendar"
_YEAR_FILE = re.compile(r"^(\d{4})\.yaml$")
# Holiday blocks and make-up days are short; a schedule needing more is a typo.
_MAX_SEARCH_DAYS = 400


class UnknownYear(enum.Enum):
    ERROR = "error"
    WEEKENDS_PROVISIONAL = "weekends_provisional"


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off on weekdays-or-weekends, and weekend working days."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str = ""

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    @classmethod
    def from_file(cls, path: Path) -> "YearSchedule":
        data = read_yaml(path)
        where = str(path)
        reject_unknown_keys(where, data, {"year", "source", "holidays", "workdays"})
        year = int(data["year"])
        named = _YEAR_FILE.match(path.name)
        if named and int(named.group(1)) != year:
            raise ConfigurationError(f"{where}: file is named for {named.group(1)} but says year {year}")
        holidays = _expand(where, "holidays", data.get("holidays") or [], year)
        workdays = _expand(where, "workdays", data.get("workdays") or [], year)
        if both := holidays & workdays:
            raise ConfigurationError(f"{where}: listed both as holiday and workday: {sorted(both)}")
        if weekday_workdays := sorted(d for d in workdays if d.weekday() < 5):
            raise ConfigurationError(f"{where}: make-up working days must fall on a weekend: {weekday_workdays}")
        return cls(year, frozenset(holidays), frozenset(workdays), str(data.get("source", "")))


def _expand(where: str, key: str, entries: list, year: int) -> set[dt.date]:
    days: set[dt.date] = set()
    for number, entry in enumerate(entries):
        at = f"{where}: {key}[{number}]"
        reject_unknown_keys(at, entry, {"name", "date", "from", "to"})
        if "date" in entry:
            first = last = entry["date"]
        else:
            first, last = entry["from"], entry["to"]
        if not isinstance(first, dt.date) or not isinstance(last, dt.date) or first > last:
            raise ConfigurationError(f"{at}: needs date, or from <= to, as YYYY-MM-DD")
        if first.year != year or last.year != year:
            raise ConfigurationError(f"{at}: {first}..{last} is outside {year}")
        days.update(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return days


class Verdict(NamedTuple):
    working: bool
    provisional: bool


@dataclass(frozen=True)
class DayAnswer:
    """A date found by the calendar; provisional when a year on the way was not known."""

    day: dt.date
    provisional: bool


class WorkingCalendar:
    def __init__(
        self,
        operator_years: Mapping[int, YearSchedule] | Iterable[YearSchedule] = (),
        *,
        unknown_year: UnknownYear = UnknownYear.WEEKENDS_PROVISIONAL,
        use_package: bool = True,
    ) -> None:
        schedules = operator_years.values() if isinstance(operator_years, Mapping) else operator_years
        self._operator = {schedule.year: schedule for schedule in schedules}
        self.unknown_year = unknown_year
        if use_package:
            known = chinese_calendar.holidays.keys()
            self._package_years = range(min(known).year, max(known).year + 1)
        else:
            self._package_years = range(0)

    @classmethod
    def load(
        cls, directory: Path | None = None, *, unknown_year: UnknownYear = UnknownYear.WEEKENDS_PROVISIONAL
    ) -> "WorkingCalendar":
        """Read every schemas/calendar/<yyyy>.yaml (other files, such as the example, are ignored)."""
        directory = directory or CALENDAR_DIR
        paths = sorted(p for p in directory.glob("*.yaml") if _YEAR_FILE.match(p.name)) if directory.is_dir() else []
        return cls([YearSchedule.from_file(p) for p in paths], unknown_year=unknown_year)

    def source_of(self, year: int) -> str | None:
        """Who answers for `year`: "operator" (wins: it may correct the package), "chinese_calendar" or None."""
        if year in self._operator:
            return "operator"
        if year in self._package_years:
            return "chinese_calendar"
        return None

    def is_working_day(self, day: dt.date) -> Verdict:
        """Verdict(working, provisional). Raises CalendarYearUnknown in ERROR mode."""
        source = self.source_of(day.year)
        if source == "operator":
            return Verdict(self._operator[day.year].is_working_day(day), False)
        if source == "chinese_calendar":
            return Verdict(chinese_calendar.is_workday(day), False)
        if self.unknown_year is UnknownYear.ERROR:
            raise CalendarYearUnknown(day.year)
        return Verdict(day.weekday() < 5, True)

    def add_working_days(self, day: dt.date, count: int) -> DayAnswer:
        """The `count`-th working day strictly after `day` (the start day itself never counts)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        provisional = False
        current = day
        for _ in range(count * _MAX_SEARCH_DAYS):
            current += dt.timedelta(days=1)
            is_working, guessed = self.is_working_day(current)
            provisional |= guessed
            if is_working:
                count -= 1
                if count == 0:
                    return DayAnswer(current, provisional)
        raise ConfigurationError(f"no working day found after {day}: calendar data is broken")

    def on_or_next_working_day(self, day: dt.date) -> DayAnswer:
        """`day` if it is a working day, else the first working day after it."""
        is_working, provisional = self.is_working_day(day)
        if is_working:
            return DayAnswer(day, provisional)
        later = self.add_working_days(day, 1)
        return DayAnswer(later.day, provisional or later.provisional)


def beijing_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; deadlines need aware datetimes")
    return moment.astimezone(BEIJING).date()
