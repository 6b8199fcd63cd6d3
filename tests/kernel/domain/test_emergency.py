"""Emergency broadcasts must be acknowledged in minutes; cross-border clusters are found by the federation."""

from __future__ import annotations

import datetime as dt

import pytest

from kernel.domain.emergency import EmergencyRules, EmergencyTracker, Sighting, detect_clusters, prepared
from kernel.errors import InvalidRequest
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2 as c

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 7, 20, 6, 0, tzinfo=UTC)
BJ, TJ, HE = c.JURISDICTION_BEIJING, c.JURISDICTION_TIANJIN, c.JURISDICTION_HEBEI
RULES = EmergencyRules.load()


def test_a_broadcast_gets_its_acknowledgement_time_from_its_category():
    ready = prepared(envelope_pb2.EmergencyBroadcast(broadcast_id="gas-1", category="gas_leak",
                                                     level=envelope_pb2.WARNING_LEVEL_RED), BJ, T0)
    assert ready.ack_due_at.ToDatetime(tzinfo=UTC) == T0 + dt.timedelta(minutes=5)
    assert ready.broadcaster == BJ and ready.issued_at.ToDatetime(tzinfo=UTC) == T0
    with pytest.raises(InvalidRequest, match="unknown emergency category"):
        prepared(envelope_pb2.EmergencyBroadcast(broadcast_id="x", category="meteor", level=1), BJ, T0)
    with pytest.raises(InvalidRequest, match="level"):
        prepared(envelope_pb2.EmergencyBroadcast(broadcast_id="x", category="gas_leak"), BJ, T0)


def test_an_unacknowledged_receiver_is_escalated_once_after_the_ack_time():
    tracker = EmergencyTracker()
    due = T0 + dt.timedelta(minutes=5)
    tracker.broadcast("bj:gas-1", BJ, [TJ], due)
    tracker.broadcast("bj:gas-1", BJ, [HE], due)
    tracker.acknowledge("bj:gas-1", TJ)
    assert tracker.escalations(due - dt.timedelta(seconds=1)) == []
    (escalation,) = tracker.escalations(due)
    assert (escalation.broadcast_id, escalation.broadcaster, escalation.unacknowledged) == ("bj:gas-1", BJ, (HE,))
    assert tracker.escalations(due + dt.timedelta(hours=1)) == []


def test_all_acknowledged_nothing_escalates_even_when_an_ack_overtook_its_broadcast():
    tracker = EmergencyTracker()
    tracker.acknowledge("bj:flood-1", HE)  # the ack's stream was read first
    tracker.broadcast("bj:flood-1", BJ, [HE], T0)
    assert tracker.escalations(T0 + dt.timedelta(hours=1)) == []


def sightings(jurisdiction: int, admin_code: str, count: int, *, hours_ago: float, category="0601") -> list[Sighting]:
    return [Sighting(jurisdiction, admin_code, category, T0 - dt.timedelta(hours=hours_ago, minutes=i)) for i in range(count)]


def test_the_same_category_rising_in_a_border_area_across_two_members_is_a_cluster():
    seen = sightings(BJ, "110112", 3, hours_ago=2) + sightings(HE, "131082", 2, hours_ago=3)  # Tongzhou and Sanhe
    (cluster,) = detect_clusters(seen, T0, RULES)
    assert (cluster.area, cluster.category_code, cluster.counts, cluster.count) == (
        "tongzhou_sanhe", "0601", {BJ: 3, HE: 2}, 5)
    assert cluster.level == envelope_pb2.WARNING_LEVEL_YELLOW


def test_one_member_alone_another_category_or_no_rise_is_no_cluster():
    assert detect_clusters(sightings(BJ, "110112", 8, hours_ago=2), T0, RULES) == []
    mixed = sightings(BJ, "110112", 3, hours_ago=2) + sightings(HE, "131082", 3, hours_ago=2, category="0202")
    assert detect_clusters(mixed, T0, RULES) == []
    steady = (sightings(BJ, "110112", 3, hours_ago=2) + sightings(HE, "131082", 3, hours_ago=2)
              + sightings(BJ, "110112", 4, hours_ago=30))  # 6 now, 4 the day before: less than twice
    assert detect_clusters(steady, T0, RULES) == []
    elsewhere = sightings(BJ, "110105", 3, hours_ago=2) + sightings(HE, "130102", 3, hours_ago=2)  # no border area
    assert detect_clusters(elsewhere, T0, RULES) == []
