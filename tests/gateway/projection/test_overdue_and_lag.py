"""What the projection counts for statistics: overdue cases (from overdue notices) and relay lag. No servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2

from kernel.domain.deadlines import DeadlinePolicy
from gateway.projection.store import SqliteProjection
from gateway.statistics import pair_statistics
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
DAY = "2026-11-24"
BJ, HE = case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_HEBEI
LATE, ON_TIME = "jjj:BJ:BJ2026112400002001", "jjj:BJ:BJ2026112400002002"


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def referral(case_id: str) -> envelope_pb2.Envelope:
    case = case_pb2.Case(case_id=case_id, origin=BJ, native_id=case_id.rsplit(":", 1)[1])
    return envelope_pb2.Envelope(envelope_id=f"{case_id}/referral/1", flow=envelope_pb2.FLOW_REFERRAL, sender=BJ,
                                 destination=HE, sent_at=stamp(T0), referral=envelope_pb2.Referral(case=case, attempt=1))


def step(case_id: str, sequence: int, status: int, sent_at: datetime) -> envelope_pb2.Envelope:
    return envelope_pb2.Envelope(
        envelope_id=f"{case_id}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE, sender=HE, destination=BJ,
        sent_at=stamp(sent_at), status_update=envelope_pb2.StatusUpdate(case_id=case_id, sequence=sequence, status=status))


def notice(case_id: str, kind: int, destination: int) -> envelope_pb2.Envelope:
    """A deadline notice as the gateway's watcher sends it: one envelope per side of the case."""
    due = T0 + timedelta(days=1)
    share = envelope_pb2.InformationShare(
        topic=envelope_pb2.SHARE_TOPIC_DEADLINE, title="notice",
        deadlines=[envelope_pb2.DeadlineNotice(case_id=case_id, step="referral_sign", kind=kind, due_at=stamp(due))])
    return envelope_pb2.Envelope(
        envelope_id=f"{case_id}/deadline/referral_sign/{kind}/{destination}", flow=envelope_pb2.FLOW_INFORMATION_SHARE,
        sender=case_pb2.JURISDICTION_UNSPECIFIED, destination=destination, sent_at=stamp(due), information_share=share)


def apply_all(store: SqliteProjection, observed: list[tuple[envelope_pb2.Envelope, timedelta]]) -> None:
    """Apply each message as observed `lag` after it was sent."""
    for seq, (envelope, lag) in enumerate(observed, start=1):
        sent = envelope.sent_at.ToDatetime(tzinfo=UTC)
        store.apply(envelope, stream="S", stream_seq=seq, observed_at=sent + lag)


def overdue_of(store: SqliteProjection) -> dict[str, int]:
    return {fact["case_id"]: fact["overdue"] for fact in store.case_facts()}


def test_an_overdue_notice_marks_its_case_and_a_reminder_does_not():
    store = SqliteProjection(":memory:")
    second = timedelta(seconds=1)
    apply_all(store, [
        (referral(LATE), second), (referral(ON_TIME), second),
        (notice(LATE, envelope_pb2.DEADLINE_KIND_REMINDER, BJ), second),
        (notice(ON_TIME, envelope_pb2.DEADLINE_KIND_REMINDER, BJ), second),
        (notice(LATE, envelope_pb2.DEADLINE_KIND_OVERDUE, BJ), second),
        (notice(LATE, envelope_pb2.DEADLINE_KIND_OVERDUE, HE), second),  # the same notice to the other side
    ])
    assert overdue_of(store) == {LATE: 1, ON_TIME: 0}
    (pair,) = [row for row in pair_statistics(store.case_facts(), [], DeadlinePolicy.load()) if row["referrals"]]
    assert (pair["sender"], pair["destination"], pair["referrals"], pair["overdue"]) == (BJ, HE, 2, 1)


def test_an_overdue_notice_seen_before_its_referral_still_counts():
    # The projector reads each stream on its own: a rebuilt projection may see the share first.
    store = SqliteProjection(":memory:")
    second = timedelta(seconds=1)
    apply_all(store, [(notice(LATE, envelope_pb2.DEADLINE_KIND_OVERDUE, BJ), second), (referral(LATE), second)])
    assert overdue_of(store) == {LATE: 1}


def test_relay_lag_is_the_median_and_the_maximum_per_pair_and_day():
    store = SqliteProjection(":memory:")
    ms = timedelta(milliseconds=1)
    apply_all(store, [
        (referral(LATE), 2000 * ms),
        (step(LATE, 1, case_pb2.STATUS_RECEIVED, T0 + timedelta(minutes=1)), 500 * ms),
        (step(LATE, 2, case_pb2.STATUS_ACCEPTED, T0 + timedelta(minutes=2)), 9500 * ms),
        (step(LATE, 3, case_pb2.STATUS_IN_PROGRESS, T0 + timedelta(minutes=3)), 1500 * ms),
    ])
    by_pair = {(row["sender"], row["destination"]): row for row in store.message_statistics(DAY)}
    assert by_pair[(BJ, HE)] == dict(sender=BJ, destination=HE, day=DAY, status_updates=0, lag_p50_ms=2000.0, lag_max_ms=2000.0)
    assert by_pair[(HE, BJ)] == dict(sender=HE, destination=BJ, day=DAY, status_updates=3, lag_p50_ms=1500.0, lag_max_ms=9500.0)
    assert store.message_statistics("2026-11-25") == []
    # and GetRelayStatistics' rows carry them per direction
    rows = {(row["sender"], row["destination"]): row
            for row in pair_statistics(store.case_facts(), store.message_statistics(DAY), DeadlinePolicy.load(), DAY)}
    assert (rows[(HE, BJ)]["status_updates"], rows[(HE, BJ)]["lag_p50_ms"], rows[(HE, BJ)]["lag_max_ms"]) == (3, 1500.0, 9500.0)
    assert (rows[(BJ, HE)]["referrals"], rows[(BJ, HE)]["lag_max_ms"]) == (1, 2000.0)


def test_a_message_stamped_after_it_was_seen_counts_no_negative_lag():
    store = SqliteProjection(":memory:")
    apply_all(store, [(referral(LATE), timedelta(seconds=-3))])  # the sender's clock runs ahead
    (row,) = store.message_statistics(DAY)
    assert (row["lag_p50_ms"], row["lag_max_ms"]) == (0.0, 0.0)
