"""The watcher's indexes: the same answers as reading every clock, without reading every clock.

LinearWatcher answers `running`, `states` and `due_events` as the watcher did before it had
indexes, by walking all its clocks; driven through the same operations, the two must agree on
every answer and on every clock. The policy here is made of hour steps on a coarse grid of
times, so due times tie often, and of every kind of reminder: none, before the due time, at it,
and after it (a negative lead, or an assigning body's due date before the start).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.calendar import BEIJING, WorkingCalendar
from kernel.domain.deadlines import HOURS, DAYS, DeadlinePolicy, Extension, StepPolicy
from kernel.domain.watcher import DeadlineEvent, DeadlineWatcher, EventKind
from kernel.errors import DeadlineError
from jjj.case.v1 import case_pb2 as c

T0 = dt.datetime(2026, 10, 12, 8, 0, tzinfo=BEIJING)
SLOT = dt.timedelta(minutes=30)


def step(name: str, amount: int, **fields) -> StepPolicy:
    fields.setdefault("unit", HOURS)
    fields.setdefault("starts_on", frozenset({c.STATUS_REFERRED}))
    fields.setdefault("stops_on", frozenset({c.STATUS_RECEIVED}))
    return StepPolicy(name=name, description="", amount=amount, **fields)


STEPS = [
    step("sign", 2, reminder_hours=1.0, extension=Extension(max_times=2, max_amount=3)),
    step("handle", 4, reminder_fraction=0.5, stops_on=frozenset({c.STATUS_REPLIED}), from_delivery=True),
    step("reply", 3, starts_on=frozenset({c.STATUS_RECEIVED}), stops_on=frozenset({c.STATUS_REPLIED})),  # no reminder
    step("at_due", 2, reminder_hours=0.0),  # reminded at its due time: never due soon
    step("after_due", 1, reminder_hours=-1.0, starts_on=frozenset({c.STATUS_ACCEPTED})),
    step("assigned", 6, reminder_fraction=0.25, assigned_due=True, extension=Extension(max_times=1, max_amount=2)),
    step("day", 1, unit=DAYS, reminder_hours=8.0, starts_on=frozenset({c.STATUS_ACCEPTED}),
         stops_on=frozenset({c.STATUS_REPLIED})),
]
POLICY = DeadlinePolicy(STEPS, WorkingCalendar(), {"hebei": {"sign": 3, "handle": 2}})
CASES = [f"jjj:BJ:{n}" for n in range(6)]
JURISDICTIONS = [None, "hebei", "tianjin"]
STATUSES = [c.STATUS_REFERRED, c.STATUS_RECEIVED, c.STATUS_ACCEPTED, c.STATUS_REPLIED]


class LinearWatcher(DeadlineWatcher):
    """The periodic answers read off every clock (the watcher's code before its indexes)."""

    def running(self, due_by=None):
        return sorted(((case_id, step, t.deadline) for (case_id, step), t in self._tracked.items()
                       if due_by is None or t.deadline.due_at <= due_by), key=lambda x: x[2].due_at)

    def states(self, now):
        counts: Counter[tuple[str, str]] = Counter()
        for tracked in self._tracked.values():
            deadline = tracked.deadline
            if deadline.paused_at is not None:
                state = "running"
            elif now >= deadline.due_at:
                state = "overdue"
            elif tracked.remind_at is not None and now >= tracked.remind_at:
                state = "due_soon"
            else:
                state = "running"
            counts[(state, deadline.jurisdiction or "default")] += 1
        return counts

    def due_events(self, now=None):
        now = now if now is not None else self.clock()
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        events: list[tuple[dt.datetime, DeadlineEvent]] = []
        for (case_id, step), tracked in self._tracked.items():
            deadline = tracked.deadline
            if tracked.overdue or deadline.paused_at is not None:
                continue
            if now >= deadline.due_at:
                tracked.overdue = tracked.reminded = True
                events.append((deadline.due_at, self._event(EventKind.OVERDUE, case_id, deadline)))
            elif not tracked.reminded and tracked.remind_at is not None and now >= tracked.remind_at:
                tracked.reminded = True
                events.append((tracked.remind_at, self._event(EventKind.REMINDER, case_id, deadline)))
        events.sort(key=lambda pair: (pair[0], pair[1].case_id, pair[1].step))
        return [event for _, event in events]


cases = st.sampled_from(CASES)
steps = st.sampled_from([s.name for s in STEPS])
offsets = st.integers(-6, 6)  # half hours from the last poll: most clocks are due within hours of it
# A tracked clock most of the time (the n-th, in the watcher's order), else any (case, step).
clocks = st.tuples(st.integers(0, 29), cases, steps)
tracks = st.tuples(st.just("track"), cases, steps, offsets, st.sampled_from(JURISDICTIONS), st.none() | offsets)
operations = st.one_of(
    tracks,
    tracks,  # twice as likely: most of the rest need a clock
    st.tuples(st.just("observe"), cases, st.sampled_from(STATUSES), offsets, st.sampled_from(JURISDICTIONS)),
    st.tuples(st.just("extend"), clocks, st.integers(1, 3)),
    st.tuples(st.just("pause"), clocks, offsets),
    st.tuples(st.just("resume"), clocks, offsets),
    st.tuples(st.just("stop"), clocks),
    st.tuples(st.just("delivered"), cases, offsets),
    st.tuples(st.just("mark_notified"), clocks, st.sampled_from(EventKind), st.booleans()),
    st.tuples(st.just("due_events"), st.integers(0, 4)),  # half hours on from the last poll
    st.tuples(st.just("running"), st.none() | st.integers(-4, 16)),
    st.tuples(st.just("states"), st.integers(-4, 16)),
)


def chosen(watcher: DeadlineWatcher, clock: tuple[int, str, str]) -> tuple[str, str]:
    which, case_id, step_name = clock
    keys = list(watcher._tracked)
    return keys[which % len(keys)] if keys and which < 24 else (case_id, step_name)


def apply(watcher: DeadlineWatcher, operation: tuple, polled: dt.datetime):
    """The operation's answer (or the error it raised, by type); times are offsets from `polled`."""
    name, *args = operation

    def at(offset: int) -> dt.datetime:
        return polled + offset * SLOT

    try:
        if name == "track":
            case_id, step_name, start, jurisdiction, assigned = args
            return watcher.track(case_id, step_name, at(start), jurisdiction, None if assigned is None else at(assigned))
        if name == "observe":
            case_id, status, moment, jurisdiction = args
            return watcher.observe(case_id, status, at(moment), kind=c.CASE_KIND_HOTLINE_REQUEST, jurisdiction=jurisdiction)
        if name == "extend":
            clock, amount = args
            return watcher.extend(*chosen(watcher, clock), amount)
        if name in ("pause", "resume"):
            clock, moment = args
            return getattr(watcher, name)(*chosen(watcher, clock), at(moment))
        if name == "stop":
            return watcher.stop(*chosen(watcher, args[0]))
        if name == "delivered":
            case_id, moment = args
            return watcher.delivered(case_id, at(moment))
        if name == "mark_notified":
            clock, kind, of_the_clock = args
            key = chosen(watcher, clock)
            current = watcher.deadline(*key)
            return watcher.mark_notified(*key, kind, current.due_at if of_the_clock and current is not None else T0)
        if name == "due_events":
            return watcher.due_events(polled)
        if name == "running":
            return watcher.running(None if args[0] is None else at(args[0]))
        if name == "states":
            return dict(watcher.states(at(args[0])))  # a dict: a zero count would differ from none
        raise AssertionError(name)
    except (DeadlineError, KeyError) as error:
        return type(error)


@settings(max_examples=400, deadline=None)
@given(st.lists(operations, min_size=10, max_size=80))
def test_the_indexed_watcher_answers_as_reading_every_clock_does(ops):
    indexed, linear = DeadlineWatcher(POLICY, lambda: T0), LinearWatcher(POLICY, lambda: T0)
    polled = T0
    for operation in ops:
        if operation[0] == "due_events":
            polled += operation[1] * SLOT
        assert apply(indexed, operation, polled) == apply(linear, operation, polled), operation
        assert list(indexed._tracked.items()) == list(linear._tracked.items())  # the same flags, in the same order
    final = T0 + dt.timedelta(days=10)  # every clock's notices, at the end
    assert indexed.due_events(final) == linear.due_events(final)
    assert indexed.running() == linear.running()
    assert dict(indexed.states(final)) == dict(linear.states(final))
    for case_id in CASES:  # one case's clocks: the same clocks, soonest first (ties in the policy's order of steps)
        of_case = indexed.running_of(case_id)
        assert sorted(of_case, key=lambda pair: (pair[1].due_at, pair[0])) == sorted(
            ((step, deadline) for clock_case, step, deadline in linear.running() if clock_case == case_id),
            key=lambda pair: (pair[1].due_at, pair[0]))
        assert [deadline.due_at for _, deadline in of_case] == sorted(deadline.due_at for _, deadline in of_case)


def test_equal_due_times_come_in_the_order_the_clocks_were_first_tracked():
    watcher = DeadlineWatcher(POLICY, lambda: T0)
    for case_id in ("jjj:BJ:c", "jjj:BJ:a", "jjj:BJ:b"):
        watcher.track(case_id, "sign", T0)
    watcher.track("jjj:BJ:c", "sign", T0 - dt.timedelta(hours=1))  # a new start keeps its place among equals...
    watcher.track("jjj:BJ:c", "sign", T0)
    watcher.stop("jjj:BJ:a", "sign")  # ...a stopped and tracked again clock comes last
    watcher.track("jjj:BJ:a", "sign", T0)
    assert [case_id for case_id, _, _ in watcher.running()] == ["jjj:BJ:c", "jjj:BJ:b", "jjj:BJ:a"]


class CountingClocks(dict):
    """The watcher's clocks, counting those read: a walk over the dict reads every one."""

    def __init__(self, clocks: dict) -> None:
        super().__init__(clocks)
        self.read = 0

    def __getitem__(self, key):
        self.read += 1
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read += 1
        return super().get(key, default)

    def __iter__(self):
        self.read += len(self)
        return super().__iter__()

    def items(self):
        self.read += len(self)
        return super().items()

    def values(self):
        self.read += len(self)
        return super().values()

    def keys(self):
        self.read += len(self)
        return super().keys()


MANY = 20_000
DUE_SOON = 5


def many_clocks(watcher: DeadlineWatcher) -> DeadlineWatcher:
    """MANY clocks due in a month or more, of three holders, and DUE_SOON due within hours of T0
    (reminded at T0, overdue an hour later)."""
    for n in range(MANY):
        watcher.track(f"jjj:BJ:far{n}", "sign", T0 + dt.timedelta(days=30, minutes=n), JURISDICTIONS[n % 3])
    for n in range(DUE_SOON):
        watcher.track(f"jjj:BJ:soon{n}", "sign", T0 - dt.timedelta(hours=1), "tianjin" if n % 2 else None)
    return watcher


def test_the_periodic_questions_read_only_the_clocks_they_report():
    watcher = many_clocks(DeadlineWatcher(POLICY, lambda: T0))
    watcher._tracked = clocks = CountingClocks(watcher._tracked)
    soon = T0 + dt.timedelta(hours=72)
    assert len(watcher.running(due_by=soon)) == DUE_SOON
    assert clocks.read <= DUE_SOON
    clocks.read = 0
    assert len(watcher.due_events(T0)) == DUE_SOON  # the reminders
    assert len(watcher.due_events(T0 + dt.timedelta(hours=2))) == DUE_SOON  # the overdue notices
    assert watcher.due_events(T0 + dt.timedelta(hours=3)) == []
    assert clocks.read <= 2 * DUE_SOON
    clocks.read = 0
    assert sum(watcher.states(T0 + dt.timedelta(hours=2)).values()) == MANY + DUE_SOON
    assert clocks.read == 0


def best_of(runs: int, action) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_a_hundred_periodic_answers_cost_less_than_one_walk_over_the_clocks():
    indexed, linear = many_clocks(DeadlineWatcher(POLICY, lambda: T0)), many_clocks(LinearWatcher(POLICY, lambda: T0))
    soon, now = T0 + dt.timedelta(hours=72), T0 + dt.timedelta(hours=2)
    indexed.due_events(now), linear.due_events(now)  # the few notices given: later polls find none
    for question, arguments in (("running", (soon,)), ("due_events", (now,)), ("states", (now,))):
        assert getattr(indexed, question)(*arguments) == getattr(linear, question)(*arguments)
        walk = best_of(3, lambda: getattr(linear, question)(*arguments))
        hundred = best_of(3, lambda: [getattr(indexed, question)(*arguments) for _ in range(100)])
        assert hundred < walk, (question, hundred, walk)
