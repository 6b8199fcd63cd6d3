"""The gateway's projection: idempotent, order-tolerant, resumable. No servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.domain.deadlines import DeadlinePolicy
from gateway.projection.store import CaseFilter, SqliteProjection
from gateway.statistics import pair_statistics
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
CASE_ID = "jjj:BJ:BJ2026112400002001"
STEPS = [case_pb2.STATUS_RECEIVED, case_pb2.STATUS_ACCEPTED, case_pb2.STATUS_IN_PROGRESS, case_pb2.STATUS_REPLIED,
         case_pb2.STATUS_EVALUATED, case_pb2.STATUS_CLOSED]


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def referral() -> envelope_pb2.Envelope:
    case = case_pb2.Case(case_id=CASE_ID, origin=case_pb2.JURISDICTION_BEIJING, kind=case_pb2.CASE_KIND_HOTLINE_REQUEST, native_id="BJ2026112400002001",
                         due_at=stamp(T0 + timedelta(days=7)))
    return envelope_pb2.Envelope(
        envelope_id=f"{CASE_ID}/referral/1", flow=envelope_pb2.FLOW_REFERRAL, sender=case_pb2.JURISDICTION_BEIJING,
        destination=case_pb2.JURISDICTION_HEBEI, sent_at=stamp(T0), referral=envelope_pb2.Referral(case=case, attempt=1))


def step(sequence: int, status: int) -> envelope_pb2.Envelope:
    return envelope_pb2.Envelope(
        envelope_id=f"{CASE_ID}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE,
        sender=case_pb2.JURISDICTION_HEBEI, destination=case_pb2.JURISDICTION_BEIJING,
        sent_at=stamp(T0 + timedelta(minutes=sequence)),
        status_update=envelope_pb2.StatusUpdate(case_id=CASE_ID, sequence=sequence, status=status,
                                                event=case_pb2.Event(action=case_pb2.Status.Name(status), actor="unit")))


def all_messages() -> list[envelope_pb2.Envelope]:
    return [referral(), *(step(i + 1, status) for i, status in enumerate(STEPS))]


def project(messages) -> SqliteProjection:
    store = SqliteProjection(":memory:")
    for seq, message in enumerate(messages, start=1):
        store.apply(message, stream="S", stream_seq=seq, observed_at=T0 + timedelta(hours=1))
    return store


def test_in_order_gives_the_final_state_and_the_whole_trail():
    store = project(all_messages())
    row = store.case(CASE_ID)
    assert row.status == case_pb2.STATUS_CLOSED
    assert row.holder == case_pb2.JURISDICTION_HEBEI and row.origin == case_pb2.JURISDICTION_BEIJING
    assert row.sequence == len(STEPS)
    assert [t.status for t in store.trail(CASE_ID)] == [case_pb2.STATUS_REFERRED, *STEPS]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(STEPS) + 1)), min_size=0, max_size=10), st.randoms(use_true_random=False))
def test_shuffled_and_duplicated_messages_do_not_corrupt_the_projection(extra, rnd):
    messages = all_messages()
    shuffled = messages + [messages[i] for i in extra]
    rnd.shuffle(shuffled)
    expected, got = project(messages), project(shuffled)
    assert got.case(CASE_ID) == expected.case(CASE_ID)
    assert got.trail(CASE_ID) == expected.trail(CASE_ID)


def test_cursor_moves_with_the_data_so_a_restart_resumes(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = SqliteProjection(path)
    for seq, message in enumerate(all_messages()[:3], start=1):
        store.apply(message, stream="JJJ_STATUS", stream_seq=seq, observed_at=T0)
    store.close()
    reopened = SqliteProjection(path)
    assert reopened.cursor("JJJ_STATUS") == 3
    assert reopened.case(CASE_ID).sequence == 2


def test_queries_by_native_id_deadline_and_pair_day():
    store = project(all_messages())
    assert [r.case_id for r in store.cases(CaseFilter(native_id="BJ2026112400002001"))] == [CASE_ID]
    assert store.cases(CaseFilter(due_before=T0 + timedelta(days=8)))[0].case_id == CASE_ID
    assert store.cases(CaseFilter(due_before=T0 + timedelta(days=6))) == []
    assert store.cases(CaseFilter(origin=case_pb2.JURISDICTION_BEIJING, holder=case_pb2.JURISDICTION_HEBEI,
                                  day="2026-11-24"))[0].case_id == CASE_ID
    stats = pair_statistics(store.case_facts(), store.message_statistics("2026-11-24"), DeadlinePolicy.load(), "2026-11-24")
    beijing_to_hebei = [s for s in stats if s["sender"] == case_pb2.JURISDICTION_BEIJING][0]
    assert beijing_to_hebei["referrals"] == 1 and beijing_to_hebei["received"] == 1
    assert beijing_to_hebei["signed_in_time"] == 1  # signed 1 minute after referral
    hebei_to_beijing = [s for s in stats if s["sender"] == case_pb2.JURISDICTION_HEBEI][0]
    assert hebei_to_beijing["status_updates"] == len(STEPS)


def test_follow_up_rates_and_late_signing():
    late = step(1, case_pb2.STATUS_RECEIVED)
    late.sent_at.FromDatetime(T0 + timedelta(days=5))
    late.status_update.event.at.FromDatetime(T0 + timedelta(days=5))
    evaluated = step(2, case_pb2.STATUS_EVALUATED)
    evaluated.status_update.feedback.CopyFrom(case_pb2.Feedback(
        contacted=True, resolved=False, satisfaction=case_pb2.SATISFACTION_BASICALLY_SATISFIED))
    store = project([referral(), late, evaluated])
    (row,) = [s for s in pair_statistics(store.case_facts(), [], DeadlinePolicy.load()) if s["referrals"]]
    assert row["received"] == 1 and row["signed_in_time"] == 0
    assert (row["followed_up"], row["contacted"], row["resolved"], row["rated"], row["satisfied"]) == (1, 1, 0, 1, 1)
    assert (row["response_rate"], row["resolution_rate"], row["satisfaction_rate"]) == (1.0, 0.0, 1.0)
