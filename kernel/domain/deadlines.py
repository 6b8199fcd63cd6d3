"""Time limits as policy data (schemas/deadlines.yaml) and the due times they give.

The counting rules are written down in deadlines.yaml; in short: hours are wall
clock; days and working days do not count the start day and end at 23:59:59
Beijing time of the last day; working days follow the official calendar, and a
deadline that needed a year the calendar does not know is provisional.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import ConfigurationError, DeadlineError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from kernel.domain.calendar import BEIJING, UnknownYear, WorkingCalendar, beijing_date
from jjj.case.v1 import case_pb2

HOURS, DAYS, WORKING_DAYS = "hours", "days", "working_days"
END_OF_DAY = dt.time(23, 59, 59)
_STEP_KEYS = {
    "description", "amount", "unit", "roll_forward", "starts_on", "stops_on", "kinds",
    "urgencies", "procedure", "owner", "extension", "reminder",
}  # fmt: skip


@dataclass(frozen=True)
class Extension:
    max_times: int
    max_amount: int


@dataclass(frozen=True)
class StepPolicy:
    name: str
    description: str
    amount: int
    unit: str
    starts_on: frozenset[int]
    stops_on: frozenset[int]
    kinds: frozenset[int] | None = None
    urgencies: frozenset[int] | None = None
    procedure: str | None = None
    owner: str = "holder"
    roll_forward: bool = False
    extension: Extension | None = None
    # Exactly one of these, or neither (no reminder).
    reminder_fraction: float | None = None
    reminder_hours: float | None = None

    @classmethod
    def from_yaml(cls, name: str, entry: dict) -> "StepPolicy":
        where = f"deadlines.yaml: steps.{name}"
        reject_unknown_keys(where, entry, _STEP_KEYS)
        unit = entry["unit"]
        if unit not in (HOURS, DAYS, WORKING_DAYS):
            raise ConfigurationError(f"{where}: unit must be hours, days or working_days, not {unit!r}")
        if int(entry["amount"]) < 1:
            raise ConfigurationError(f"{where}: amount must be at least 1")
        reminder = entry.get("reminder") or {}
        reject_unknown_keys(f"{where}.reminder", reminder, {"fraction", "hours"})
        if len(reminder) > 1:
            raise ConfigurationError(f"{where}.reminder: give fraction or hours, not both")
        fraction = reminder.get("fraction")
        if fraction is not None and not 0 < float(fraction) < 1:
            raise ConfigurationError(f"{where}.reminder.fraction must be between 0 and 1")
        extension = entry.get("extension")
        if extension is not None:
            reject_unknown_keys(f"{where}.extension", extension, {"max_times", "max_amount"})
            extension = Extension(int(extension["max_times"]), int(extension["max_amount"]))
        return cls(
            name=name,
            description=entry.get("description", ""),
            amount=int(entry["amount"]),
            unit=unit,
            starts_on=_enum_set(case_pb2.Status, entry["starts_on"]),
            stops_on=_enum_set(case_pb2.Status, entry["stops_on"]),
            kinds=_enum_set(case_pb2.CaseKind, entry["kinds"]) if "kinds" in entry else None,
            urgencies=_enum_set(case_pb2.Urgency, entry["urgencies"]) if "urgencies" in entry else None,
            procedure=entry.get("procedure"),
            owner=entry.get("owner", "holder"),
            roll_forward=bool(entry.get("roll_forward", False)),
            extension=extension,
            reminder_fraction=None if fraction is None else float(fraction),
            reminder_hours=None if reminder.get("hours") is None else float(reminder["hours"]),
        )


def _enum_set(enum, names: Iterable[str]) -> frozenset[int]:
    return frozenset(enum.Value(name) for name in names)


@dataclass(frozen=True)
class Deadline:
    step: str
    start: dt.datetime  # UTC
    due_at: dt.datetime  # UTC
    provisional: bool  # a year on the way was not in the official calendar
    extended_by: int = 0  # in the step's unit
    extensions: int = 0
    jurisdiction: str | None = None  # whose limits apply (the holder's), None for the defaults


class DeadlinePolicy:
    def __init__(self, steps: Iterable[StepPolicy], calendar: WorkingCalendar,
                 amounts: dict[str, dict[str, int]] | None = None) -> None:
        self.steps = {step.name: step for step in steps}
        self.calendar = calendar
        # jurisdiction -> step -> amount, where a jurisdiction's own limit differs from the default
        self.amounts = amounts or {}
        for jurisdiction, steps_of in self.amounts.items():
            for name in steps_of:
                self.step(name)  # an override of an unknown step is a mistake in the file

    @classmethod
    def load(cls, path: Path | None = None, *, calendar: WorkingCalendar | None = None) -> "DeadlinePolicy":
        if path is None and calendar is None:
            return _default_policy()
        data = read_yaml(path or SCHEMAS_DIR / "deadlines.yaml")
        reject_unknown_keys("deadlines.yaml", data, {"calendar", "steps", "jurisdictions"})
        if calendar is None:
            mode = UnknownYear(data.get("calendar", {}).get("unknown_year", "weekends_provisional"))
            calendar = WorkingCalendar.load(unknown_year=mode)
        amounts = {
            name: {step: int(entry["amount"]) for step, entry in (steps or {}).items()}
            for name, steps in (data.get("jurisdictions") or {}).items()
        }
        return cls([StepPolicy.from_yaml(n, e) for n, e in data["steps"].items()], calendar, amounts)

    def amount(self, step: str, jurisdiction: str | None) -> int:
        """The step's period under `jurisdiction`'s own limits (the default when it has none)."""
        return self.amounts.get(jurisdiction or "", {}).get(step, self.step(step).amount)

    def step(self, name: str) -> StepPolicy:
        try:
            return self.steps[name]
        except KeyError:
            raise DeadlineError(f"unknown step {name!r}; known: {', '.join(sorted(self.steps))}") from None

    def deadline(self, step: str, start: dt.datetime, jurisdiction: str | None = None) -> Deadline:
        spec = self.step(step)
        start_utc = _utc(start)
        due_at, provisional = self._due(spec, start_utc, self.amount(step, jurisdiction))
        return Deadline(step, start_utc, due_at, provisional, jurisdiction=jurisdiction)

    def extend(self, deadline: Deadline, amount: int) -> Deadline:
        """The deadline extended by `amount` more (step's unit), counted on the original period."""
        spec = self.step(deadline.step)
        if spec.extension is None:
            raise DeadlineError(f"{spec.name} cannot be extended")
        if deadline.extensions >= spec.extension.max_times:
            raise DeadlineError(f"{spec.name} may be extended {spec.extension.max_times} time(s) only")
        if not 0 < amount <= spec.extension.max_amount:
            limit = spec.extension.max_amount
            raise DeadlineError(f"{spec.name}: an extension is 1..{limit} {spec.unit}, not {amount}")
        extended_by = deadline.extended_by + amount
        due_at, provisional = self._due(spec, deadline.start, self.amount(deadline.step, deadline.jurisdiction) + extended_by)
        return dataclasses.replace(
            deadline,
            due_at=due_at,
            provisional=provisional,
            extended_by=extended_by,
            extensions=deadline.extensions + 1,
        )

    def reminder_at(self, deadline: Deadline) -> dt.datetime | None:
        spec = self.step(deadline.step)
        if spec.reminder_hours is not None:
            return deadline.due_at - dt.timedelta(hours=spec.reminder_hours)
        if spec.reminder_fraction is not None:
            lead = (deadline.due_at - deadline.start) * spec.reminder_fraction
            return (deadline.due_at - lead).replace(microsecond=0)  # whole seconds read better
        return None

    def steps_starting(
        self,
        status: int,
        *,
        kind: int,
        urgency: int = case_pb2.URGENCY_UNSPECIFIED,
        procedure: str = "ordinary",
    ) -> list[str]:
        """Names of the steps whose clock a case of this kind starts when it enters `status`."""
        return sorted(
            s.name
            for s in self.steps.values()
            if status in s.starts_on
            and (s.kinds is None or kind in s.kinds)
            and (s.urgencies is None or urgency in s.urgencies)
            and (s.procedure is None or s.procedure == procedure)
        )

    def steps_stopping(self, status: int) -> list[str]:
        return sorted(s.name for s in self.steps.values() if status in s.stops_on)

    def _due(self, spec: StepPolicy, start: dt.datetime, amount: int) -> tuple[dt.datetime, bool]:
        if spec.unit == HOURS:
            return start + dt.timedelta(hours=amount), False
        first = beijing_date(start)
        if spec.unit == WORKING_DAYS:
            answer = self.calendar.add_working_days(first, amount)
            last, provisional = answer.day, answer.provisional
        else:
            last, provisional = first + dt.timedelta(days=amount), False
            if spec.roll_forward:
                answer = self.calendar.on_or_next_working_day(last)
                last, provisional = answer.day, answer.provisional
        end = dt.datetime.combine(last, END_OF_DAY, tzinfo=BEIJING)
        return end.astimezone(dt.timezone.utc), provisional


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; deadlines need aware datetimes")
    return moment.astimezone(dt.timezone.utc)


@functools.cache
def _default_policy() -> DeadlinePolicy:
    return DeadlinePolicy.load(SCHEMAS_DIR / "deadlines.yaml")
