"""A deadline notice sent before a gateway restart is not sent again after it (the clocks are rebuilt
from the trails; the ledger says which notices went out), unless its clock has moved since."""

from __future__ import annotations

from datetime import timedelta

from gateway import deadline_notices
from gateway.app import rebuild_clocks
from gateway.notice_ledger import NoticeLedger
from gateway.projection.store import SqliteProjection
from kernel.domain.watcher import EventKind
from jjj.case.v1 import case_pb2 as c
from tests.gateway.test_deadline_notifier_rules import CASE_ID, T0, notifier, referral, step

LONG_AFTER = T0 + timedelta(days=200)  # beyond every clock, and beyond JetStream's 7-day duplicate window


def projected_case(store: SqliteProjection, *extra):
    watched = notifier()
    for number, envelope in enumerate([referral(), step(1, c.STATUS_RECEIVED, T0 + timedelta(hours=1)), *extra], start=1):
        store.apply(envelope, stream="S", stream_seq=number, observed_at=T0 + timedelta(days=1))
        watched.observe(envelope)
    return watched


def test_an_overdue_notice_sent_before_a_restart_is_not_sent_after_it():
    store = SqliteProjection(":memory:")
    ledger = NoticeLedger(store.db)
    watched = projected_case(store)
    sent = watched.watcher.due_events(LONG_AFTER)
    assert sent and {event.kind for event in sent} == {EventKind.OVERDUE}
    for event in sent:
        ledger.sent(event)

    rebuilt = notifier()
    rebuild_clocks(store, rebuilt, ledger)
    assert rebuilt.watcher.due_events(LONG_AFTER) == []
    forgetful = notifier()  # what a restart did before the ledger: every overdue notice again
    rebuild_clocks(store, forgetful)
    assert forgetful.watcher.due_events(LONG_AFTER) == sent


def test_a_reminder_sent_before_a_restart_leaves_the_overdue_notice_to_come():
    store = SqliteProjection(":memory:")
    ledger = NoticeLedger(store.db)
    watched = projected_case(store)
    ((_, step_name, deadline),) = [r for r in watched.watcher.running() if r[0] == CASE_ID][:1]
    reminders = [e for e in watched.watcher.due_events(deadline.due_at - timedelta(seconds=1)) if e.kind is EventKind.REMINDER]
    assert reminders
    for event in reminders:
        ledger.sent(event)
    rebuilt = notifier()
    rebuild_clocks(store, rebuilt, ledger)
    assert rebuilt.watcher.due_events(deadline.due_at - timedelta(seconds=1)) == []
    assert [e.kind for e in rebuilt.watcher.due_events(LONG_AFTER) if e.step == step_name] == [EventKind.OVERDUE]


def test_a_notice_of_a_clock_that_has_moved_since_is_sent_for_the_new_due_time():
    store = SqliteProjection(":memory:")
    ledger = NoticeLedger(store.db)
    watched = projected_case(store, step(2, c.STATUS_ACCEPTED, T0 + timedelta(days=1)))
    for event in watched.watcher.due_events(LONG_AFTER):
        ledger.sent(event)
    extension = c.DeadlineExtension(step="petition_handle", amount=30)
    store.apply(step(3, c.STATUS_ACCEPTED, T0 + timedelta(days=20), type=c.EVENT_TYPE_EXTENSION, extension=extension,
                     note="需异地调查取证"), stream="S", stream_seq=4, observed_at=T0 + timedelta(days=21))
    rebuilt = notifier()
    rebuild_clocks(store, rebuilt, ledger)
    again = rebuilt.watcher.due_events(LONG_AFTER)
    (moved,) = [event for event in again if event.step == "petition_handle"]
    assert moved.kind is EventKind.OVERDUE
    assert moved.due_at not in {due_at for _, step_name, _, due_at in ledger.all_sent() if step_name == "petition_handle"}


async def test_the_notifier_records_a_notice_once_it_is_published(monkeypatch):
    published = []

    async def publish_envelope(js, subject, envelope, *, signer=None):
        published.append(envelope.envelope_id)

    monkeypatch.setattr(deadline_notices.jetstream, "publish_envelope", publish_envelope)
    store = SqliteProjection(":memory:")
    ledger = NoticeLedger(store.db)
    watched = projected_case(store)
    watched.clock, watched.on_sent = (lambda: LONG_AFTER), ledger.sent
    sent = await watched.tick()
    assert sent and published
    assert sorted((e.case_id, e.step, e.kind, e.due_at) for e in sent) == sorted(ledger.all_sent())


async def test_a_notice_the_ledger_failed_to_record_does_not_stop_the_others(monkeypatch):
    published = []

    async def publish_envelope(js, subject, envelope, *, signer=None):
        published.append(envelope.envelope_id)

    def failing(event):
        raise OSError("disk full")

    monkeypatch.setattr(deadline_notices.jetstream, "publish_envelope", publish_envelope)
    watched = projected_case(SqliteProjection(":memory:"), step(2, c.STATUS_ACCEPTED, T0 + timedelta(days=1)))
    watched.clock, watched.on_sent = (lambda: LONG_AFTER), failing
    due = watched.watcher.due_events(LONG_AFTER) * 2  # two notices in one tick (deferred ones, as after an outage)
    watched._unsent = list(due)
    sent = await watched.tick()
    assert sent == due and len(published) == 2 * len(due)  # each to the origin and the holder
