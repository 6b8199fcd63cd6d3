"""Emergency linkage (应急联动) and cross-border clusters (预警). Pure: the caller polls with a clock.

`EmergencyTracker` follows urgent broadcasts and their acknowledgements: each
receiver must acknowledge by ack_due_at; `escalations(now)` gives each
broadcast whose receivers did not, once. `detect_clusters` finds the same
category rising in a border area across members in a window (schemas/emergency.yaml).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import ConfigurationError, InvalidRequest
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from jjj.bus.v1 import envelope_pb2


@dataclass(frozen=True)
class ClusterRule:
    window: dt.timedelta
    min_jurisdictions: int
    min_per_jurisdiction: int
    min_total: int
    growth: float
    level: int


@dataclass(frozen=True)
class EmergencyRules:
    ack_minutes: dict[str, int]
    border_areas: dict[str, frozenset[str]]
    clusters: ClusterRule

    @classmethod
    def load(cls, path: Path | None = None) -> "EmergencyRules":
        return _default() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "EmergencyRules":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"categories", "border_areas", "clusters"})
        clusters = data["clusters"]
        reject_unknown_keys(f"{path}: clusters", clusters, {"window_hours", "min_jurisdictions", "min_per_jurisdiction",
                                                            "min_total", "growth", "level"})
        rule = ClusterRule(dt.timedelta(hours=float(clusters["window_hours"])), int(clusters["min_jurisdictions"]),
                           int(clusters["min_per_jurisdiction"]), int(clusters["min_total"]), float(clusters["growth"]),
                           envelope_pb2.WarningLevel.Value(clusters["level"]))
        if rule.min_jurisdictions < 2:
            raise ConfigurationError(f"{path}: clusters.min_jurisdictions: a cross-border cluster spans 2 or more")
        return cls(
            ack_minutes={name: int(entry["ack_minutes"]) for name, entry in data["categories"].items()},
            border_areas={name: frozenset(entry["admin_codes"]) for name, entry in data["border_areas"].items()},
            clusters=rule,
        )

    def ack_due(self, category: str, issued_at: dt.datetime) -> dt.datetime:
        try:
            return issued_at + dt.timedelta(minutes=self.ack_minutes[category])
        except KeyError:
            known = ", ".join(sorted(self.ack_minutes))
            raise InvalidRequest(f"unknown emergency category {category!r}; known: {known}",
                                 violations=[("emergency.category", "unknown")]) from None

    def area_of(self, admin_code: str) -> str | None:
        return next((name for name, codes in sorted(self.border_areas.items()) if admin_code in codes), None)


@dataclass
class _Broadcast:
    broadcaster: int
    receivers: frozenset[int]
    due_at: dt.datetime
    acknowledged: set[int] = field(default_factory=set)
    escalated: bool = False


@dataclass(frozen=True)
class Escalation:
    broadcast_id: str
    broadcaster: int
    unacknowledged: tuple[int, ...]
    due_at: dt.datetime


class EmergencyTracker:
    def __init__(self) -> None:
        self._broadcasts: dict[str, _Broadcast] = {}

    def broadcast(self, broadcast_id: str, broadcaster: int, receivers: Iterable[int], due_at: dt.datetime) -> None:
        """A broadcast seen going to `receivers` (one call per receiver's envelope adds it up)."""
        known = self._broadcasts.get(broadcast_id)
        if known is None:
            self._broadcasts[broadcast_id] = _Broadcast(broadcaster, frozenset(receivers), due_at)
        else:  # another receiver's copy, or the broadcast after an acknowledgement that overtook it
            known.broadcaster, known.due_at = broadcaster, due_at
            known.receivers = known.receivers | frozenset(receivers)

    def acknowledge(self, broadcast_id: str, receiver: int) -> bool:
        """False when the broadcast is unknown (an ack seen before it: kept once it is)."""
        known = self._broadcasts.get(broadcast_id)
        if known is None:
            self._broadcasts[broadcast_id] = _Broadcast(0, frozenset(), dt.datetime.max.replace(tzinfo=dt.timezone.utc),
                                                        {receiver})
            return False
        known.acknowledged.add(receiver)
        return True

    def mark_escalated(self, broadcast_id: str) -> None:
        """Escalated before (a stored escalation, after a restart): never again."""
        if broadcast_id in self._broadcasts:
            self._broadcasts[broadcast_id].escalated = True

    def pending(self, broadcast_id: str) -> tuple[int, ...]:
        known = self._broadcasts[broadcast_id]
        return tuple(sorted(known.receivers - known.acknowledged))

    def escalations(self, now: dt.datetime) -> list[Escalation]:
        """Broadcasts past their ack time with receivers that did not acknowledge; each once."""
        due = []
        for broadcast_id, known in sorted(self._broadcasts.items()):
            missing = tuple(sorted(known.receivers - known.acknowledged))
            if known.escalated or not known.receivers or now < known.due_at or not missing:
                continue
            known.escalated = True
            due.append(Escalation(broadcast_id, known.broadcaster, missing, known.due_at))
        return due


@dataclass(frozen=True)
class Sighting:
    """One case some member registered (from a shared digest): where, what, when, whose."""

    jurisdiction: int
    admin_code: str
    category_code: str
    at: dt.datetime


@dataclass(frozen=True)
class Cluster:
    area: str
    category_code: str
    start: dt.datetime
    end: dt.datetime
    counts: dict[int, int]  # jurisdiction -> cases in the window
    previous: int  # cases in the window before
    level: int

    @property
    def count(self) -> int:
        return sum(self.counts.values())


def detect_clusters(sightings: Iterable[Sighting], now: dt.datetime, rules: EmergencyRules | None = None) -> list[Cluster]:
    """Cross-border clusters rising in the window ending `now` (schemas/emergency.yaml clusters)."""
    rules = rules or EmergencyRules.load()
    rule = rules.clusters
    start, before = now - rule.window, now - 2 * rule.window
    current: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    previous: dict[tuple[str, str], int] = defaultdict(int)
    for sighting in sightings:
        area = rules.area_of(sighting.admin_code)
        if area is None or not sighting.category_code:
            continue
        key = (area, sighting.category_code)
        if start < sighting.at <= now:
            current[key][sighting.jurisdiction] += 1
        elif before < sighting.at <= start:
            previous[key] += 1
    clusters = []
    for (area, category), counts in sorted(current.items()):
        rising = {j: n for j, n in counts.items() if n >= rule.min_per_jurisdiction}
        total = sum(counts.values())
        grown = total >= rule.growth * previous[(area, category)] if previous[(area, category)] else total >= rule.min_total
        if len(rising) >= rule.min_jurisdictions and grown:
            clusters.append(Cluster(area, category, start, now, dict(sorted(counts.items())), previous[(area, category)],
                                    rule.level))
    return clusters


@functools.cache
def _default() -> EmergencyRules:
    return EmergencyRules._from_file(SCHEMAS_DIR / "emergency.yaml")


def prepared(broadcast: envelope_pb2.EmergencyBroadcast, broadcaster: int, now: dt.datetime,
             rules: EmergencyRules | None = None) -> envelope_pb2.EmergencyBroadcast:
    """A member's broadcast as it goes on the bus: checked, stamped, with its acknowledgement time."""
    rules = rules or EmergencyRules.load()
    if not broadcast.broadcast_id.strip():
        raise InvalidRequest("an emergency broadcast needs a broadcast_id", violations=[("emergency.broadcast_id", "empty")])
    if broadcast.level == envelope_pb2.WARNING_LEVEL_UNSPECIFIED:
        raise InvalidRequest("an emergency broadcast needs a level", violations=[("emergency.level", "unspecified")])
    ready = envelope_pb2.EmergencyBroadcast()
    ready.CopyFrom(broadcast)
    ready.broadcaster = broadcaster
    issued = broadcast.issued_at.ToDatetime(tzinfo=dt.timezone.utc) if broadcast.HasField("issued_at") else now
    ready.issued_at.FromDatetime(issued)
    ready.ack_due_at.FromDatetime(rules.ack_due(broadcast.category, issued))
    del ready.unacknowledged[:]
    return ready
