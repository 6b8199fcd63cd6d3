"""A pure deadline scheduler: which reminders and overdue notices are due by now.

No timers and no threads: the caller polls `due_events()` (from a loop, a cron,
or a test with a hand-driven clock) and gets each event exactly once. A reminder
that is only noticed after its deadline has passed is dropped: the overdue
notice says more, and a late "due soon" would be wrong.

The periodic questions (`running`, `states`, `due_events`) are answered from indexes
(kernel.domain.clock_index) kept with the clocks, not by reading every clock: a gateway keeps
one or two for every case in its history.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kernel.domain.clock_index import DueOrder, Key, NoticeQueue, StateCounts
from kernel.domain.deadlines import Deadline, DeadlinePolicy
from jjj.case.v1 import case_pb2


class EventKind(enum.Enum):
    REMINDER = "reminder"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DeadlineEvent:
    kind: EventKind
    case_id: str
    step: str
    due_at: dt.datetime
    provisional: bool = False
    jurisdiction: str | None = None  # whose limits applied (the holder's)
    own_limits: bool = False  # its own, not the federation's defaults
    assigned: bool = False  # the assigning body's earlier due date


@dataclass
class _Tracked:
    deadline: Deadline
    remind_at: dt.datetime | None
    reminded: bool = False
    overdue: bool = False

    def next_notice_at(self) -> dt.datetime | None:
        """From when due_events() has a notice of this clock to give; None: none (paused, or all given).
        A reminder at or after the due time is never given: by then the clock is overdue."""
        if self.overdue or self.deadline.paused_at is not None:
            return None
        if not self.reminded and self.remind_at is not None and self.remind_at < self.deadline.due_at:
            return self.remind_at
        return self.deadline.due_at


class DeadlineWatcher:
    def __init__(self, policy: DeadlinePolicy, clock: Callable[[], dt.datetime]) -> None:
        self.policy = policy
        self.clock = clock
        self._tracked: dict[Key, _Tracked] = {}
        # Kept with _tracked: a clock set, paused or stopped goes through _index or _unindex; a notice
        # given or marked as sent re-arms the clock in _notices (the other two do not depend on notices).
        self._due_order = DueOrder()
        self._notices = NoticeQueue()
        self._states = StateCounts()

    def track(self, case_id: str, step: str, start: dt.datetime | None = None, jurisdiction: str | None = None,
              assigned_due_at: dt.datetime | None = None) -> Deadline:
        """Start the clock of `step` for a case. Tracking the same start again changes nothing;
        a different start (e.g. a re-routed referral) starts afresh."""
        deadline = self.policy.deadline(step, start if start is not None else self.clock(), jurisdiction, assigned_due_at)
        current = self._tracked.get((case_id, step))
        if current is not None and current.deadline.start == deadline.start:
            return current.deadline
        self._set(case_id, deadline)
        return deadline

    def extend(self, case_id: str, step: str, amount: int) -> Deadline:
        """Extend a tracked deadline as the policy allows; its notices are re-armed for the new due time."""
        current = self._tracked[(case_id, step)]
        deadline = self.policy.extend(current.deadline, amount)
        self._set(case_id, deadline)
        return deadline

    def pause(self, case_id: str, step: str, at: dt.datetime) -> Deadline | None:
        """Stop the clock without ending the step (a hearing): no notices until it resumes."""
        current = self._tracked.get((case_id, step))
        if current is None:
            return None
        current.deadline = self.policy.pause(current.deadline, at)
        self._index((case_id, step), current)
        return current.deadline

    def resume(self, case_id: str, step: str, at: dt.datetime) -> Deadline | None:
        current = self._tracked.get((case_id, step))
        if current is None or current.deadline.paused_at is None:
            return None if current is None else current.deadline
        deadline = self.policy.resume(current.deadline, at)
        self._set(case_id, deadline)
        return deadline

    def stop(self, case_id: str, step: str) -> bool:
        """Stop a clock (the step was done). False if it was not running."""
        if self._tracked.pop((case_id, step), None) is None:
            return False
        self._unindex((case_id, step))
        return True

    def observe(
        self,
        case_id: str,
        status: int,
        at: dt.datetime,
        *,
        kind: int,
        urgency: int = case_pb2.URGENCY_UNSPECIFIED,
        procedure: int | str = "ordinary",
        jurisdiction: str | None = None,
        assigned_due_at: dt.datetime | None = None,
    ) -> list[str]:
        """A case entered `status` at `at`: stop the clocks it stops, start the ones it starts
        (under `jurisdiction`'s own limits: the holder's; an earlier `assigned_due_at` of the
        assigning body caps the steps that honour it).

        Returns the steps started."""
        for step in self.policy.steps_stopping(status):
            self.stop(case_id, step)
        started = self.policy.steps_starting(status, kind=kind, urgency=urgency, procedure=procedure)
        for step in started:
            self.track(case_id, step, at, jurisdiction, assigned_due_at)
        return started

    def observe_event(
        self,
        case_id: str,
        status: int,
        event: int,
        at: dt.datetime,
        *,
        kind: int,
        urgency: int = case_pb2.URGENCY_UNSPECIFIED,
        procedure: int | str = "ordinary",
        jurisdiction: str | None = None,
    ) -> list[str]:
        """An event-only step (the status unchanged) reported at `at`: start the clocks that
        start on it, pause or resume the ones it pauses or resumes. Never restarts a clock
        (an urging note must not give the holder a fresh period). Returns the steps moved."""
        moved = []
        for step in self.policy.steps_starting(status, kind=kind, urgency=urgency, procedure=procedure, event=event):
            self.track(case_id, step, at, jurisdiction)
            moved.append(step)
        for step in self.policy.steps_paused_by(event):
            if self.pause(case_id, step, at) is not None:
                moved.append(step)
        for step in self.policy.steps_resumed_by(event):
            if self.resume(case_id, step, at) is not None:
                moved.append(step)
        return sorted(moved)

    def delivered(self, case_id: str, at: dt.datetime, assigned_due_at: dt.datetime | None = None) -> list[str]:
        """The case's referral was delivered at `at`: the running clocks counted from delivery start there
        (they ran from the sending until now). Idempotent; a delivery before a clock's start moves nothing."""
        moved = []
        # Looked up by the case's key, not found by scanning every clock: this runs once per delivered referral.
        for step in sorted(name for name, spec in self.policy.steps.items() if spec.from_delivery):
            tracked = self._tracked.get((case_id, step))
            if tracked is None or at <= tracked.deadline.start:
                continue
            self._set(case_id, self.policy.deadline(step, at, tracked.deadline.jurisdiction, assigned_due_at))
            moved.append(step)
        return moved

    def deadline(self, case_id: str, step: str) -> Deadline | None:
        tracked = self._tracked.get((case_id, step))
        return None if tracked is None else tracked.deadline

    def running(self, due_by: dt.datetime | None = None) -> list[tuple[str, str, Deadline]]:
        """(case, step, deadline) of the running clocks, soonest first; with `due_by`, only those due by then
        (equal due times in the order the clocks were started: a new start, extension or resumption keeps its place)."""
        return [(case_id, step, self._tracked[(case_id, step)].deadline)
                for case_id, step in self._due_order.due_by(due_by)]

    def running_cases(self, due_by: dt.datetime | None = None) -> set[str]:
        """The cases with a running clock (due by `due_by`, when given): `running` without building its rows."""
        return {case_id for case_id, _ in self._due_order.due_by(due_by)}

    def running_of(self, case_id: str) -> list[tuple[str, Deadline]]:
        """(step, deadline) of one case's running clocks, soonest first: a lookup per step the policy knows,
        not a pass over every clock."""
        found = [(step, tracked.deadline) for step in self.policy.steps
                 if (tracked := self._tracked.get((case_id, step))) is not None]
        return sorted(found, key=lambda pair: pair[1].due_at)

    def states(self, now: dt.datetime) -> Counter[tuple[str, str]]:
        """(state, holder) -> how many running clocks: overdue, due_soon (past its reminder) or running;
        a paused clock counts as running. The states only, whatever notices were given; no zero counts."""
        return self._states.at(now)

    def due_events(self, now: dt.datetime | None = None) -> list[DeadlineEvent]:
        """Every reminder and overdue notice due by `now` (default: the clock) not emitted before."""
        now = now if now is not None else self.clock()
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        events: list[tuple[dt.datetime, DeadlineEvent]] = []
        for case_id, step in self._notices.take_due(now):
            tracked = self._tracked[(case_id, step)]
            deadline = tracked.deadline
            if now >= deadline.due_at:
                tracked.overdue = tracked.reminded = True
                events.append((deadline.due_at, self._event(EventKind.OVERDUE, case_id, deadline)))
            elif not tracked.reminded and tracked.remind_at is not None and now >= tracked.remind_at:
                tracked.reminded = True
                events.append((tracked.remind_at, self._event(EventKind.REMINDER, case_id, deadline)))
            self._notices.arm((case_id, step), tracked.next_notice_at())
        events.sort(key=lambda pair: (pair[0], pair[1].case_id, pair[1].step))
        return [event for _, event in events]

    def mark_notified(self, case_id: str, step: str, kind: EventKind, due_at: dt.datetime) -> bool:
        """A notice sent before (a restart rebuilt the clocks): not emitted again while the clock is the
        same one (its due time unchanged). Whether it matched a running clock."""
        tracked = self._tracked.get((case_id, step))
        if tracked is None or tracked.deadline.due_at != due_at:
            return False
        tracked.reminded = True  # an overdue notice sent: its reminder is past too
        if kind is EventKind.OVERDUE:
            tracked.overdue = True
        self._notices.arm((case_id, step), tracked.next_notice_at())
        return True

    def _set(self, case_id: str, deadline: Deadline) -> None:
        key, tracked = (case_id, deadline.step), _Tracked(deadline, self.policy.reminder_at(deadline))
        self._tracked[key] = tracked
        self._index(key, tracked)

    def _index(self, key: Key, tracked: _Tracked) -> None:
        deadline = tracked.deadline
        self._due_order.place(key, deadline.due_at)
        self._notices.arm(key, tracked.next_notice_at())
        self._states.place(key, deadline.jurisdiction or "default", deadline.due_at, tracked.remind_at,
                           paused=deadline.paused_at is not None)

    def _unindex(self, key: Key) -> None:
        self._due_order.remove(key)
        self._notices.disarm(key)
        self._states.remove(key)

    @staticmethod
    def _event(kind: EventKind, case_id: str, deadline: Deadline) -> DeadlineEvent:
        return DeadlineEvent(kind, case_id, deadline.step, deadline.due_at, deadline.provisional,
                             deadline.jurisdiction, deadline.own_limits, deadline.assigned)
