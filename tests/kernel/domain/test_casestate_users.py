"""The fold's three users agree: the adapter's case record, the gateway's projection and the
deadline notifier end with the same status, holder, sequence and attempt as the history says,
whatever order and however often the bus delivers its messages."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.service import records
from gateway.deadline_notices import DeadlineNotifier
from gateway.projection.store import SqliteProjection
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from kernel.bus import subjects
from tests.kernel.domain.casestate_histories import CASE_ID, expected_state, histories

POLICY = DeadlinePolicy.load()


def _clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def through_adapter(envelopes) -> tuple:
    record = None
    for envelope in envelopes:
        record = records.apply(record, envelope) or record
    return record.case.status, record.holder, record.sequence, record.attempt


def through_projection(envelopes) -> tuple:
    store = SqliteProjection(":memory:")
    for number, envelope in enumerate(envelopes, start=1):
        store.apply(envelope, stream=subjects.route_of(envelope.flow).stream, stream_seq=number, observed_at=_clock())
    row = store.case(CASE_ID)
    (state,) = store.case_states()
    store.close()
    assert (row.status, row.holder, row.sequence) == (state.status, state.holder, state.sequence)
    return state.status, state.holder, state.sequence, state.attempt


def through_notifier(envelopes) -> tuple:
    notifier = DeadlineNotifier(DeadlineWatcher(POLICY, _clock), js=None, clock=_clock)
    for envelope in envelopes:
        notifier.observe(envelope)
    state = notifier.states[CASE_ID]
    return state.status, state.holder, state.sequence, state.attempt


@settings(max_examples=150, deadline=None)
@given(data=st.data(), history=histories())
def test_adapter_projection_and_notifier_agree_with_the_history_in_any_delivery_order(data, history):
    envelopes = [envelope for _step, envelope in history]
    repeats = data.draw(st.lists(st.sampled_from(envelopes), max_size=len(envelopes)))
    delivered = data.draw(st.permutations(envelopes + repeats))
    expected = expected_state(history)
    assert through_adapter(envelopes) == expected
    assert through_adapter(delivered) == expected
    assert through_projection(delivered) == expected
    assert through_notifier(delivered) == expected


def test_the_origin_taking_a_returned_case_back_holds_it_everywhere():
    """Measured before the fold was shared: Beijing's adapter said Beijing, the gateway still said Hebei."""
    from kernel.domain.casestate import Referred, Stepped
    from tests.kernel.domain.casestate_histories import BJ, HE, History, referral_envelope, status_envelope
    from jjj.bus.v1 import envelope_pb2
    from jjj.case.v1 import case_pb2 as c

    steps = [
        (Referred(CASE_ID, BJ, HE, envelope_pb2.FLOW_REFERRAL, 1, 0), referral_envelope(
            attempt=1, sequence=0, destination=HE, kind=c.CASE_KIND_PETITION, flow=envelope_pb2.FLOW_REFERRAL)),
        (Stepped(CASE_ID, BJ, 1, c.STATUS_RECEIVED, HE), status_envelope(
            sequence=1, status=c.STATUS_RECEIVED, reporter=HE, counterpart=BJ)),
        (Stepped(CASE_ID, BJ, 2, c.STATUS_RETURNED, HE), status_envelope(
            sequence=2, status=c.STATUS_RETURNED, reporter=HE, counterpart=BJ)),
        (Stepped(CASE_ID, BJ, 3, c.STATUS_REGISTERED, BJ), status_envelope(
            sequence=3, status=c.STATUS_REGISTERED, reporter=BJ, counterpart=HE)),
    ]
    history = History(steps, status=c.STATUS_REGISTERED, holder=BJ, sequence=3, attempt=1)
    envelopes = [envelope for _step, envelope in history]
    for order in (envelopes, envelopes[::-1]):
        assert through_adapter(order) == through_projection(order) == through_notifier(order) == expected_state(history)


def test_a_stub_row_from_an_early_overdue_notice_folds_like_no_row():
    """The projection keeps a placeholder for a notice seen before its referral; the fold must start from it cleanly."""
    from jjj.bus.v1 import envelope_pb2
    from jjj.case.v1 import case_pb2 as c
    from tests.kernel.domain.casestate_histories import BJ, HE, referral_envelope, status_envelope

    store = SqliteProjection(":memory:")
    notice = envelope_pb2.DeadlineNotice(case_id=CASE_ID, step="referral_sign", kind=envelope_pb2.DEADLINE_KIND_OVERDUE)
    notice.due_at.FromSeconds(1_764_000_000)
    share = envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/deadline/x/bj", flow=envelope_pb2.FLOW_INFORMATION_SHARE,
                                  destination=BJ, information_share=envelope_pb2.InformationShare(deadlines=[notice]))
    take_back = status_envelope(sequence=1, status=c.STATUS_REGISTERED, reporter=BJ, counterpart=HE)
    referral = referral_envelope(attempt=1, sequence=0, destination=HE, kind=c.CASE_KIND_PETITION,
                                 flow=envelope_pb2.FLOW_REFERRAL)
    for number, envelope in enumerate((share, take_back, referral), start=1):
        store.apply(envelope, stream=subjects.route_of(envelope.flow).stream, stream_seq=number, observed_at=_clock())
    (state,) = store.case_states()
    assert (state.status, state.holder, state.origin, state.attempt) == (c.STATUS_REGISTERED, BJ, BJ, 1)
