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
    "urgencies", "procedure", "owner", "extension", "reminder", "source", "assigned_due",
    "starts_on_event", "paused_by", "resumed_by", "from_delivery",
}  # fmt: skip
SOURCES = ("regulation", "practice")
ORDINARY = "ordinary"


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
    source: str = "regulation"
    assigned_due: bool = False  # an earlier Case.due_at of the assigning body applies
    starts_on_event: int | None = None  # case_pb2.EventType
    paused_by: int | None = None
    resumed_by: int | None = None
    # Counted from the referral's delivery (the receiver's receipt), not its sending; until a
    # receipt is seen, from the sending.
    from_delivery: bool = False

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
        source = entry.get("source", "regulation")
        if source not in SOURCES:
            raise ConfigurationError(f"{where}.source must be regulation or practice, not {source!r}")
        if ("paused_by" in entry) != ("resumed_by" in entry):
            raise ConfigurationError(f"{where}: paused_by and resumed_by go together")
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
            source=source,
            assigned_due=bool(entry.get("assigned_due", False)),
            starts_on_event=_event(entry.get("starts_on_event")),
            paused_by=_event(entry.get("paused_by")),
            resumed_by=_event(entry.get("resumed_by")),
            from_delivery=bool(entry.get("from_delivery", False)),
        )


def _event(name: str | None) -> int | None:
    return None if name is None else case_pb2.EventType.Value(name)


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
    own_limits: bool = False  # the jurisdiction set its own amount for this step
    assigned: bool = False  # the assigning body's earlier due date applies, not the policy's
    paused_at: dt.datetime | None = None  # the clock stands still since (a hearing)


class DeadlinePolicy:
    def __init__(self, steps: Iterable[StepPolicy], calendar: WorkingCalendar,
                 amounts: dict[str, dict[str, int]] | None = None, procedures: dict[int, str] | None = None) -> None:
        self.steps = {step.name: step for step in steps}
        # case_pb2.Procedure -> the name steps use; a case without one is ordinary
        self.procedures = procedures or {case_pb2.PROCEDURE_UNSPECIFIED: ORDINARY}
        for step in self.steps.values():
            if step.procedure is not None and procedures is not None and step.procedure not in self.procedures.values():
                raise ConfigurationError(f"deadlines.yaml: steps.{step.name}: unknown procedure {step.procedure!r}")
        self.calendar = calendar
        # The steps a status (or an event) starts or stops, per question asked: the gateway asks for every
        # message it projects (6% of its CPU when they were worked out each time), and the steps never change.
        self._starting: dict[tuple, tuple[str, ...]] = {}
        self._stopping: dict[int, tuple[str, ...]] = {}
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
        reject_unknown_keys("deadlines.yaml", data, {"calendar", "steps", "jurisdictions", "procedures"})
        if calendar is None:
            mode = UnknownYear(data.get("calendar", {}).get("unknown_year", "weekends_provisional"))
            calendar = WorkingCalendar.load(unknown_year=mode)
        amounts = {
            name: {step: int(entry["amount"]) for step, entry in (steps or {}).items()}
            for name, steps in (data.get("jurisdictions") or {}).items()
        }
        procedures = {case_pb2.PROCEDURE_UNSPECIFIED: ORDINARY}
        for name, entry in (data.get("procedures") or {ORDINARY: {"code": "PROCEDURE_ORDINARY"}}).items():
            reject_unknown_keys(f"deadlines.yaml: procedures.{name}", entry, {"code", "source"})
            procedures[case_pb2.Procedure.Value(entry["code"])] = name
        return cls([StepPolicy.from_yaml(n, e) for n, e in data["steps"].items()], calendar, amounts, procedures)

    def procedure_name(self, procedure: int | str) -> str:
        """The steps' name of a Case.procedure (an unknown or unset one is ordinary)."""
        if isinstance(procedure, str):
            return procedure
        return self.procedures.get(procedure, ORDINARY)

    def amount(self, step: str, jurisdiction: str | None) -> int:
        """The step's period under `jurisdiction`'s own limits (the default when it has none)."""
        return self.amounts.get(jurisdiction or "", {}).get(step, self.step(step).amount)

    def step(self, name: str) -> StepPolicy:
        try:
            return self.steps[name]
        except KeyError:
            raise DeadlineError(f"unknown step {name!r}; known: {', '.join(sorted(self.steps))}") from None

    def deadline(self, step: str, start: dt.datetime, jurisdiction: str | None = None,
                 assigned_due_at: dt.datetime | None = None) -> Deadline:
        """`assigned_due_at`: the assigning body's due date (Case.due_at); it applies to a step
        marked assigned_due when it is earlier than the policy's."""
        spec = self.step(step)
        start_utc = _utc(start)
        due_at, provisional = self._due(spec, start_utc, self.amount(step, jurisdiction))
        own = step in self.amounts.get(jurisdiction or "", {})
        deadline = Deadline(step, start_utc, due_at, provisional, jurisdiction=jurisdiction, own_limits=own)
        if spec.assigned_due and assigned_due_at is not None and _utc(assigned_due_at) < due_at:
            deadline = dataclasses.replace(deadline, due_at=_utc(assigned_due_at), provisional=False, assigned=True)
        return deadline

    def check_extension(self, step: str, amount: int, *, earlier: int = 0) -> None:
        """Raise DeadlineError unless `step` may be extended by `amount` after `earlier` extensions."""
        spec = self.step(step)
        if spec.extension is None:
            raise DeadlineError(f"{spec.name} cannot be extended")
        if earlier >= spec.extension.max_times:
            raise DeadlineError(f"{spec.name} may be extended {spec.extension.max_times} time(s) only")
        if not 0 < amount <= spec.extension.max_amount:
            limit = spec.extension.max_amount
            raise DeadlineError(f"{spec.name}: an extension is 1..{limit} {spec.unit}, not {amount}")

    def extend(self, deadline: Deadline, amount: int) -> Deadline:
        """The deadline extended by `amount` more (step's unit), counted on the original period.

        A deadline the assigning body set earlier moves by `amount` from that date, so an
        extension never moves a due time by more than the policy allows."""
        spec = self.step(deadline.step)
        self.check_extension(deadline.step, amount, earlier=deadline.extensions)
        extended_by = deadline.extended_by + amount
        due_at, provisional = self._due(spec, deadline.start, self.amount(deadline.step, deadline.jurisdiction) + extended_by)
        assigned = False
        if deadline.assigned:
            shifted, shifted_provisional = self._shift(spec, deadline.due_at, amount)
            if shifted < due_at:
                due_at, provisional, assigned = shifted, shifted_provisional, True
        return dataclasses.replace(
            deadline,
            due_at=due_at,
            provisional=provisional,
            extended_by=extended_by,
            extensions=deadline.extensions + 1,
            assigned=assigned,
        )

    def pause(self, deadline: Deadline, at: dt.datetime) -> Deadline:
        """The clock stands still from `at` (a hearing); a paused deadline stays paused."""
        return deadline if deadline.paused_at is not None else dataclasses.replace(deadline, paused_at=_utc(at))

    def resume(self, deadline: Deadline, at: dt.datetime) -> Deadline:
        """The clock runs again: due_at moves by the time it stood still (see deadlines.yaml)."""
        if deadline.paused_at is None:
            return deadline
        spec, paused, resumed = self.step(deadline.step), deadline.paused_at, max(_utc(at), deadline.paused_at)
        if spec.unit == HOURS:
            moved = resumed - paused
        else:
            moved = dt.timedelta(days=(beijing_date(resumed) - beijing_date(paused)).days + 1)
        return dataclasses.replace(deadline, due_at=deadline.due_at + moved, paused_at=None)

    def _shift(self, spec: StepPolicy, due_at: dt.datetime, amount: int) -> tuple[dt.datetime, bool]:
        if spec.unit == HOURS:
            return due_at + dt.timedelta(hours=amount), False
        if spec.unit == WORKING_DAYS:
            answer = self.calendar.add_working_days(beijing_date(due_at), amount)
            end = dt.datetime.combine(answer.day, due_at.astimezone(BEIJING).timetz())
            return end.astimezone(dt.timezone.utc), answer.provisional
        return due_at + dt.timedelta(days=amount), False

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
        procedure: int | str = ORDINARY,
        event: int | None = None,
    ) -> list[str]:
        """Names of the steps whose clock a case of this kind starts when it enters `status`
        (event None), or when `event` is reported while it is in `status`."""
        procedure = self.procedure_name(procedure)
        question = (status, kind, urgency, procedure, event)
        found = self._starting.get(question)
        if found is None:
            found = self._starting[question] = tuple(sorted(
                s.name
                for s in self.steps.values()
                if status in s.starts_on
                and s.starts_on_event == event
                and (s.kinds is None or kind in s.kinds)
                and (s.urgencies is None or urgency in s.urgencies)
                and (s.procedure is None or s.procedure == procedure)
            ))
        return list(found)

    def steps_paused_by(self, event: int) -> list[str]:
        return sorted(s.name for s in self.steps.values() if s.paused_by is not None and s.paused_by == event)

    def steps_resumed_by(self, event: int) -> list[str]:
        return sorted(s.name for s in self.steps.values() if s.resumed_by is not None and s.resumed_by == event)

    def steps_stopping(self, status: int) -> list[str]:
        found = self._stopping.get(status)
        if found is None:
            found = self._stopping[status] = tuple(sorted(s.name for s in self.steps.values() if status in s.stops_on))
        return list(found)

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
