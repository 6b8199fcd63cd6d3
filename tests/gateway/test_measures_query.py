"""GetMeasures over the projection: facts from what crossed the bus, the measures of schemas/measures.yaml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.projection.store import SqliteProjection
from gateway.statistics import measure_rows
from kernel.domain.deadlines import DeadlinePolicy
from kernel.errors import InvalidRequest
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c
from jjj.gateway.v1 import gateway_pb2

CASE_ID = "jjj:BJ:BJ2026112400002001"
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 Beijing, Tuesday 24 Nov (ISO week 48)


def stamp(moment):
    from google.protobuf import timestamp_pb2

    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


def referral(first_time: bool) -> envelope_pb2.Envelope:
    case = c.Case(case_id=CASE_ID, origin=c.JURISDICTION_BEIJING, kind=c.CASE_KIND_PETITION, native_id="BJ2026112400002001",
                  petition=c.PetitionDetails(first_time=first_time))
    return envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/referral/1", flow=envelope_pb2.FLOW_REFERRAL,
                                 sender=c.JURISDICTION_BEIJING, destination=c.JURISDICTION_HEBEI, sent_at=stamp(T0),
                                 referral=envelope_pb2.Referral(case=case, attempt=1))


def step(sequence: int, status: int, *, hours: int, feedback=None) -> envelope_pb2.Envelope:
    sender = c.JURISDICTION_BEIJING if status in (c.STATUS_EVALUATED, c.STATUS_CLOSED) else c.JURISDICTION_HEBEI
    update = envelope_pb2.StatusUpdate(case_id=CASE_ID, sequence=sequence, status=status, reporter=sender,
                                       event=c.Event(action=c.Status.Name(status), at=stamp(T0 + timedelta(hours=hours))),
                                       feedback=feedback)
    return envelope_pb2.Envelope(envelope_id=f"{CASE_ID}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE,
                                 sender=sender, destination=c.JURISDICTION_HEBEI, sent_at=stamp(T0 + timedelta(hours=hours)),
                                 status_update=update)


def projected() -> SqliteProjection:
    store = SqliteProjection(":memory:")
    satisfied = c.Feedback(contacted=True, resolved=True, satisfaction=c.SATISFACTION_SATISFIED)
    for number, envelope in enumerate([
        referral(first_time=True), step(1, c.STATUS_RECEIVED, hours=2), step(2, c.STATUS_ACCEPTED, hours=3),
        step(3, c.STATUS_IN_PROGRESS, hours=4), step(4, c.STATUS_REPLIED, hours=48),
        step(5, c.STATUS_EVALUATED, hours=50, feedback=satisfied), step(6, c.STATUS_CLOSED, hours=51),
    ], start=1):
        store.apply(envelope, stream="S", stream_seq=number, observed_at=T0 + timedelta(hours=60))
    return store


def by_name(row: gateway_pb2.MeasureRow) -> dict[str, gateway_pb2.MeasureValue]:
    return {v.measure + (f"/{v.step}" if v.step else ""): v for v in row.values}


def test_the_monthly_report_of_one_handled_first_petition():
    request = gateway_pb2.GetMeasuresRequest(report="monthly", grouping=gateway_pb2.MEASURE_GROUPING_JURISDICTION)
    (row,) = measure_rows(projected().measure_facts(), DeadlinePolicy.load(), request, now=T0 + timedelta(days=3))
    assert (row.period, row.jurisdiction) == ("2026-11", c.JURISDICTION_HEBEI)
    values = by_name(row)
    assert (values["resolution_rate"].numerator, values["resolution_rate"].denominator) == (1, 1)
    assert values["resolution_rate"].label == "解决率"
    assert values["first_contact_rate"].value == 1.0
    assert values["one_time_resolution_rate"].value == 1.0
    assert values["on_time_rate/petition_handle"].value == 1.0
    assert values["not_evaluated_in_time"].value == 0 and not values["not_evaluated_in_time"].HasField("denominator")


def test_a_query_by_week_for_one_measure_and_an_unknown_one():
    request = gateway_pb2.GetMeasuresRequest(period=gateway_pb2.MEASURE_PERIOD_WEEK, measures=["return_rate"])
    (row,) = measure_rows(projected().measure_facts(), DeadlinePolicy.load(), request)
    assert (row.period, row.origin, row.holder, [v.measure for v in row.values]) == (
        "2026-W48", c.JURISDICTION_BEIJING, c.JURISDICTION_HEBEI, ["return_rate"])
    with pytest.raises(InvalidRequest, match="unknown measures"):
        measure_rows([], DeadlinePolicy.load(), gateway_pb2.GetMeasuresRequest(measures=["happiness"]))
    with pytest.raises(InvalidRequest, match="no report"):
        measure_rows([], DeadlinePolicy.load(), gateway_pb2.GetMeasuresRequest(report="hourly"))


def test_urging_and_supervision_are_typed_on_the_trail_and_counted():
    store = projected()
    for number, (sequence, event_type) in enumerate([(7, c.EVENT_TYPE_URGING), (8, c.EVENT_TYPE_URGING),
                                                     (9, c.EVENT_TYPE_SUPERVISION)], start=10):
        envelope = step(sequence, c.STATUS_IN_PROGRESS, hours=5 + sequence)
        envelope.status_update.event.type = event_type
        store.apply(envelope, stream="S", stream_seq=number, observed_at=T0 + timedelta(hours=60))
    trail_types = [entry.event_type for entry in store.trail(CASE_ID)]
    assert trail_types.count(c.EVENT_TYPE_URGING) == 2 and trail_types.count(c.EVENT_TYPE_SUPERVISION) == 1
    (facts,) = store.measure_facts()
    assert (facts.urgings, facts.supervisions) == (2, 1)
