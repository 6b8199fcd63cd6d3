"""The gateway's notifier moves clocks from bus messages as the deadline rules say (no bus needed to observe)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gateway.deadline_notices import DeadlineNotifier
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

BEIJING = timezone(timedelta(hours=8))
CASE_ID = "jjj:BJ:BJ2026112000000350"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)


def notifier() -> DeadlineNotifier:
    return DeadlineNotifier(DeadlineWatcher(DeadlinePolicy.load(), lambda: T0), js=None, clock=lambda: T0)


def referral(*, kind=c.CASE_KIND_PETITION, procedure=c.PROCEDURE_UNSPECIFIED, due_at=None) -> envelope_pb2.Envelope:
    case = c.Case(case_id=CASE_ID, origin=c.JURISDICTION_BEIJING, kind=kind, urgency=c.URGENCY_NORMAL, procedure=procedure)
    if due_at is not None:
        case.due_at.FromDatetime(due_at.astimezone(UTC))
    envelope = envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                     sender=c.JURISDICTION_BEIJING, destination=c.JURISDICTION_HEBEI,
                                     referral=envelope_pb2.Referral(case=case, attempt=1))
    envelope.sent_at.FromDatetime(T0.astimezone(UTC))
    return envelope


def step(sequence: int, status: int, at: datetime, **event) -> envelope_pb2.Envelope:
    update = envelope_pb2.StatusUpdate(case_id=CASE_ID, sequence=sequence, status=status, reporter=c.JURISDICTION_HEBEI,
                                       event=c.Event(action=c.Status.Name(status), **event), reason=event.get("note", ""))
    update.event.at.FromDatetime(at.astimezone(UTC))
    envelope = envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE,
                                     sender=c.JURISDICTION_HEBEI, destination=c.JURISDICTION_BEIJING, status_update=update)
    envelope.sent_at.FromDatetime(at.astimezone(UTC))
    return envelope


def end_of(year, month, day) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=BEIJING)


def test_the_procedure_of_the_referred_case_selects_its_clocks():
    simple = notifier()
    simple.observe(referral(procedure=c.PROCEDURE_SIMPLE))
    assert simple.watcher.deadline(CASE_ID, "referral_sign") is not None
    ordinary = notifier()
    ordinary.observe(referral())
    assert ordinary.watcher.deadline(CASE_ID, "referral_sign") is None
    long_running = notifier()
    long_running.observe(referral(kind=c.CASE_KIND_HOTLINE_REQUEST, procedure=c.PROCEDURE_LONG_RUNNING))
    assert long_running.watcher.deadline(CASE_ID, "hotline_long_running") is not None
    assert long_running.watcher.deadline(CASE_ID, "hotline_ordinary") is None


def test_the_assigning_bodys_earlier_due_date_caps_the_handling_clock():
    watched = notifier()
    watched.observe(referral(kind=c.CASE_KIND_HOTLINE_REQUEST, due_at=T0 + timedelta(days=3)))
    deadline = watched.watcher.deadline(CASE_ID, "hotline_ordinary")
    assert (deadline.due_at, deadline.assigned) == (T0 + timedelta(days=3), True)


def accepted(watched: DeadlineNotifier) -> None:
    watched.observe(referral())
    watched.observe(step(1, c.STATUS_RECEIVED, T0 + timedelta(hours=1)))
    watched.observe(step(2, c.STATUS_ACCEPTED, T0 + timedelta(days=1)))


def test_an_extension_on_the_bus_moves_the_handling_clock_once():
    watched = notifier()
    accepted(watched)
    assert watched.watcher.deadline(CASE_ID, "petition_handle").due_at == end_of(2027, 1, 4)  # 3 Nov + 60: Sat 2 Jan, rolled
    extension = c.DeadlineExtension(step="petition_handle", amount=30)
    watched.observe(step(3, c.STATUS_ACCEPTED, T0 + timedelta(days=20), type=c.EVENT_TYPE_EXTENSION, extension=extension,
                         note="需异地调查取证"))
    extended = watched.watcher.deadline(CASE_ID, "petition_handle")
    assert (extended.due_at, extended.extensions) == (end_of(2027, 2, 1), 1)  # 3 Nov + 90: 1 Feb 2027
    # a second one (a member bypassing its adapter's check) changes nothing
    watched.observe(step(4, c.STATUS_ACCEPTED, T0 + timedelta(days=21), type=c.EVENT_TYPE_EXTENSION, extension=extension,
                         note="again"))
    assert watched.watcher.deadline(CASE_ID, "petition_handle") == extended


def test_an_urging_step_at_the_same_status_restarts_no_clock():
    watched = notifier()
    accepted(watched)
    before = watched.watcher.deadline(CASE_ID, "petition_handle")
    watched.observe(step(3, c.STATUS_ACCEPTED, T0 + timedelta(days=40), type=c.EVENT_TYPE_URGING, note="催办"))
    assert watched.watcher.deadline(CASE_ID, "petition_handle") == before


def test_replaying_a_trail_with_event_only_steps_restarts_no_clock():
    watched = notifier()
    accepted(watched)
    before = watched.watcher.deadline(CASE_ID, "petition_handle")
    rebuilt = notifier()
    rebuilt.remember_case(watched.states[CASE_ID])
    for status, at in [(c.STATUS_REFERRED, T0), (c.STATUS_RECEIVED, T0 + timedelta(hours=1)),
                       (c.STATUS_ACCEPTED, T0 + timedelta(days=1)), (c.STATUS_ACCEPTED, T0 + timedelta(days=40))]:
        rebuilt.replay_step(CASE_ID, status, at)
    assert rebuilt.watcher.deadline(CASE_ID, "petition_handle") == before


def test_a_gateway_restart_keeps_an_extension_granted_before_it():
    from gateway.app import rebuild_clocks
    from gateway.projection.store import SqliteProjection

    store, watched = SqliteProjection(":memory:"), notifier()
    extension = c.DeadlineExtension(step="petition_handle", amount=30)
    steps = [referral(), step(1, c.STATUS_RECEIVED, T0 + timedelta(hours=1)), step(2, c.STATUS_ACCEPTED, T0 + timedelta(days=1)),
             step(3, c.STATUS_ACCEPTED, T0 + timedelta(days=20), type=c.EVENT_TYPE_EXTENSION, extension=extension,
                  note="需异地调查取证")]
    for number, envelope in enumerate(steps, start=1):
        store.apply(envelope, stream="S", stream_seq=number, observed_at=T0 + timedelta(days=21))
        watched.observe(envelope)
    rebuilt = notifier()
    rebuild_clocks(store, rebuilt)
    assert rebuilt.watcher.deadline(CASE_ID, "petition_handle") == watched.watcher.deadline(CASE_ID, "petition_handle")
    assert rebuilt.watcher.deadline(CASE_ID, "petition_handle").extensions == 1
