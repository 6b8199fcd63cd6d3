"""Indexes that let DeadlineWatcher answer its periodic questions without reading every clock.

A gateway keeps a clock or two for every case it has seen, so the watcher holds about as many
clocks as there are cases in its history, while each poll is about a few of them: those due
soon, the notices due now, and a handful of counts per holder. Each index below is kept up to
date by the watcher whenever a clock changes: a logarithm per change, and per answer a
logarithm and what it returns.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from collections import Counter

from sortedcontainers import SortedList

Key = tuple[str, str]  # (case_id, step)


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """The due times are kept in UTC (kernel.domain.deadlines), and comparing datetimes of two
    zones costs some twenty times more than of one; a naive one is left to fail as it did."""
    return moment if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


class DueOrder:
    """Clocks by due time. Among equal due times, in the order the keys were first placed: the
    order of the watcher's dict, so the answers equal a stable sort of that dict by due time
    (placing a key again keeps its place, as setting a dict key again does)."""

    def __init__(self) -> None:
        # (due_at, place, key): the place is unique, so two entries never get to comparing keys
        self._entries = SortedList()
        self._entry_of: dict[Key, tuple[dt.datetime, int, Key]] = {}
        self._places = itertools.count()

    def place(self, key: Key, due_at: dt.datetime) -> None:
        old = self._entry_of.get(key)
        if old is not None:
            if old[0] == due_at:
                return
            self._entries.remove(old)
        entry = (due_at, next(self._places) if old is None else old[1], key)
        self._entry_of[key] = entry
        self._entries.add(entry)

    def remove(self, key: Key) -> None:
        old = self._entry_of.pop(key, None)
        if old is not None:
            self._entries.remove(old)

    def due_by(self, moment: dt.datetime | None) -> list[Key]:
        """The keys due by `moment` (every key when None), soonest first."""
        if moment is None:
            return [key for _, _, key in self._entries]
        end = self._entries.bisect_right((_in_utc(moment), math.inf))  # after every entry due at `moment` itself
        return [key for _, _, key in self._entries.islice(0, end)]


class NoticeQueue:
    """Clocks by the time of their next notice, in a heap. Re-arming or disarming a clock leaves
    its old entry in the heap (removing it would cost a search); an entry whose ticket is no longer
    its clock's is skipped when it comes up, and the heap is rebuilt when such entries outnumber
    the live ones, so it stays within a constant factor of the clocks."""

    def __init__(self) -> None:
        self._heap: list[tuple[dt.datetime, int, Key]] = []  # (notice time, ticket, key)
        self._ticket_of: dict[Key, int] = {}
        self._tickets = itertools.count()

    def arm(self, key: Key, at: dt.datetime | None) -> None:
        """The clock's next notice is due at `at`; None: it has none (paused, or all sent)."""
        if at is None:
            self.disarm(key)
            return
        ticket = next(self._tickets)
        self._ticket_of[key] = ticket
        heapq.heappush(self._heap, (at, ticket, key))
        if len(self._heap) > 2 * len(self._ticket_of) + 64:
            self._heap = [entry for entry in self._heap if self._ticket_of.get(entry[2]) == entry[1]]
            heapq.heapify(self._heap)

    def disarm(self, key: Key) -> None:
        self._ticket_of.pop(key, None)

    def take_due(self, now: dt.datetime) -> list[Key]:
        """The clocks with a notice due by `now`, disarmed: the caller arms them again for their next one."""
        due, now = [], _in_utc(now)
        while self._heap and self._heap[0][0] <= now:
            _, ticket, key = heapq.heappop(self._heap)
            if self._ticket_of.get(key) == ticket:
                del self._ticket_of[key]
                due.append(key)
        return due


class _HolderClocks:
    def __init__(self) -> None:
        self.clocks = 0  # paused ones too: they count as running
        # Its clocks not paused: the due times of those never due soon (no reminder before their
        # due time), and of the others the two ends of the window in which they are due soon.
        self.due_unwarned = SortedList()
        self.window_opens = SortedList()  # remind_at
        self.window_closes = SortedList()  # due_at


class StateCounts:
    """How many clocks per (state, holder) at a time, counted by bisection per holder.

    A clock not paused is overdue from its due time on, and due soon from its reminder time
    until then; only a reminder before the due time opens that window. The due soon ones of a
    holder at `now` are its windows opened by `now` less those closed by then (a window closes
    after it opens, so the closed ones are among the opened ones)."""

    def __init__(self) -> None:
        self._holders: dict[str, _HolderClocks] = {}
        # key -> (holder, due_at if in due_unwarned, remind_at and due_at if in the windows, else None)
        self._entry_of: dict[Key, tuple[str, dt.datetime | None, dt.datetime | None, dt.datetime | None]] = {}

    def place(self, key: Key, holder: str, due_at: dt.datetime, remind_at: dt.datetime | None, paused: bool) -> None:
        self.remove(key)
        warned = not paused and remind_at is not None and remind_at < due_at
        opens, closes = (remind_at, due_at) if warned else (None, None)
        unwarned_due = due_at if not paused and not warned else None
        clocks = self._holders.get(holder)
        if clocks is None:
            clocks = self._holders[holder] = _HolderClocks()
        clocks.clocks += 1
        if unwarned_due is not None:
            clocks.due_unwarned.add(unwarned_due)
        if opens is not None:
            clocks.window_opens.add(opens)
            clocks.window_closes.add(closes)
        self._entry_of[key] = (holder, unwarned_due, opens, closes)

    def remove(self, key: Key) -> None:
        entry = self._entry_of.pop(key, None)
        if entry is None:
            return
        holder, unwarned_due, opens, closes = entry
        clocks = self._holders[holder]
        clocks.clocks -= 1
        if unwarned_due is not None:
            clocks.due_unwarned.remove(unwarned_due)
        if opens is not None:
            clocks.window_opens.remove(opens)
            clocks.window_closes.remove(closes)
        if not clocks.clocks:
            del self._holders[holder]

    def at(self, now: dt.datetime) -> Counter[tuple[str, str]]:
        """(state, holder) -> clocks, for the states that have any."""
        counts: Counter[tuple[str, str]] = Counter()
        now = _in_utc(now)
        for holder, clocks in self._holders.items():
            closed = clocks.window_closes.bisect_right(now)
            overdue = clocks.due_unwarned.bisect_right(now) + closed
            due_soon = clocks.window_opens.bisect_right(now) - closed
            for state, count in (("overdue", overdue), ("due_soon", due_soon), ("running", clocks.clocks - overdue - due_soon)):
                if count:
                    counts[(state, holder)] = count
        return counts
