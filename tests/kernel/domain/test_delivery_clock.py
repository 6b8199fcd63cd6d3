"""Clocks counted from delivery (schemas/deadlines.yaml from_delivery): they run from the sending until the
receiver's receipt is seen, then start at the receipt's time; other clocks do not move."""

from __future__ import annotations

import datetime as dt

from kernel.domain.calendar import BEIJING
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from jjj.case.v1 import case_pb2 as c

POLICY = DeadlinePolicy.load()
CASE = "jjj:BJ:1"
SENT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)


def test_only_the_acceptance_clock_counts_from_delivery():
    assert {name for name, step in POLICY.steps.items() if step.from_delivery} == {"petition_accept_decision"}


def test_a_receipt_days_later_moves_the_acceptance_clock_to_it_once():
    watcher = DeadlineWatcher(POLICY, lambda: SENT)
    watcher.observe(CASE, c.STATUS_REFERRED, SENT, kind=c.CASE_KIND_PETITION, jurisdiction="hebei")
    assert watcher.deadline(CASE, "petition_accept_decision").due_at == dt.datetime(2026, 11, 17, 23, 59, 59,
                                                                                   tzinfo=BEIJING)
    delivered = dt.datetime(2026, 11, 4, 10, 30, tzinfo=BEIJING)  # the member read its inbox two days later
    assert watcher.delivered(CASE, delivered) == ["petition_accept_decision"]
    deadline = watcher.deadline(CASE, "petition_accept_decision")
    assert (deadline.start, deadline.due_at, deadline.jurisdiction) == (
        delivered.astimezone(dt.timezone.utc), dt.datetime(2026, 11, 19, 23, 59, 59, tzinfo=BEIJING), "hebei")
    assert watcher.delivered(CASE, delivered) == []  # the same receipt again
    assert watcher.delivered(CASE, SENT - dt.timedelta(hours=1)) == []  # before the clock started: nothing


def test_a_hotline_sign_clock_does_not_move_with_the_receipt():
    watcher = DeadlineWatcher(POLICY, lambda: SENT)
    started = watcher.observe(CASE, c.STATUS_REFERRED, SENT, kind=c.CASE_KIND_HOTLINE_REQUEST)
    assert started and watcher.delivered(CASE, SENT + dt.timedelta(days=1)) == []
    assert all(watcher.deadline(CASE, step).start == SENT.astimezone(dt.timezone.utc) for step in started)
