"""The federation's side of emergency linkage: acknowledgements watched, the unacknowledged escalated,
cross-border clusters warned about.

Fed by the projector (broadcasts and acknowledgements) and, for clusters, by every
case seen on the bus (gateway.sightings: referrals, transfers, every digest); the
rules and the bookkeeping are kernel.domain.emergency's. An escalation goes, signed by the
federation, to the broadcaster and to each member that did not acknowledge, and
is logged for operators (emergency_unacknowledged); a cluster warning goes to the
members concerned. Envelope ids are deterministic: a notice sent again is dropped.

Broadcasts, acknowledgements and escalations are stored (gateway.emergency_ledger,
in the projection's transaction): a restarted gateway neither forgets a broadcast
still unacknowledged nor escalates one twice. An escalation the bus does not take
is retried with a bounded backoff, then again on every later tick until it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.domain.emergency import Cluster, EmergencyRules, EmergencyTracker, Escalation, detect_clusters
from kernel.errors import BusError
from gateway.emergency_ledger import EmergencyLedger, Outgoing
from gateway.sightings import SightingFeed
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.waiting import pause

log = structlog.get_logger(__name__)
SHARE = envelope_pb2.FLOW_INFORMATION_SHARE
# Within one tick: a few quick tries (a bus blip); beyond, the next ticks try again (the outbox keeps it).
PUBLISH_ATTEMPTS = 4
PUBLISH_BACKOFF = wait_exponential(multiplier=0.25, max=2.0)


def _key(broadcaster: int, broadcast_id: str) -> str:
    return f"{jurisdictions.by_enum(broadcaster).token}:{broadcast_id}"


@dataclass
class EmergencyWatch:
    js: JetStreamContext
    clock: Callable[[], datetime]
    signer: Signer | None = None
    ledger: EmergencyLedger | None = None
    rules: EmergencyRules = field(default_factory=EmergencyRules.load)
    tracker: EmergencyTracker = field(default_factory=EmergencyTracker)
    sighted: SightingFeed | None = None  # every case seen on the bus (gateway.sightings)
    escalated: list[Escalation] = field(default_factory=list)  # what operators look at
    _warned: set[tuple[str, str]] = field(default_factory=set)
    _broadcasts: dict[str, envelope_pb2.EmergencyBroadcast] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sighted is None:
            self.sighted = SightingFeed(None, 2 * self.rules.clusters.window)
        if self.ledger is not None:
            self.tracker, self._broadcasts = self.ledger.restore()
            self._warned = self.ledger.warned()

    def observe(self, envelope: envelope_pb2.Envelope) -> None:
        payload = envelope.WhichOneof("payload")
        if payload != "information_share" or not envelope.sender:
            return  # the federation's own notices are not members' reports
        share = envelope.information_share
        if share.topic == envelope_pb2.SHARE_TOPIC_EMERGENCY and share.HasField("emergency"):
            broadcast = share.emergency
            key = _key(envelope.sender, broadcast.broadcast_id)
            self._broadcasts[key] = broadcast
            self.tracker.broadcast(key, envelope.sender, [envelope.destination],
                                   broadcast.ack_due_at.ToDatetime(tzinfo=UTC))
            if self.ledger is not None:
                self.ledger.broadcast(key, envelope.sender, envelope.destination, broadcast)
        elif share.topic == envelope_pb2.SHARE_TOPIC_EMERGENCY_ACK and share.HasField("emergency_ack"):
            ack = share.emergency_ack
            key = _key(ack.broadcaster or envelope.destination, ack.broadcast_id)
            self.tracker.acknowledge(key, envelope.sender)
            if self.ledger is not None:
                self.ledger.acknowledge(key, envelope.sender)

    async def tick(self) -> tuple[list[Escalation], list[Cluster]]:
        now = self.clock()
        await self._send_unpublished()
        escalations = self.tracker.escalations(now)
        for escalation in escalations:
            self.escalated.append(escalation)
            log.warning("emergency_unacknowledged", broadcast=escalation.broadcast_id,
                        missing=",".join(jurisdictions.display_name(j) for j in escalation.unacknowledged))
            await self._publish_escalation(escalation)
        clusters = [c for c in detect_clusters(self.sighted.current(now), now, self.rules)
                    if (c.area, c.category_code) not in self._warned]
        for cluster in clusters:
            self._warned.add((cluster.area, cluster.category_code))
            if self.ledger is not None:
                self.ledger.warn(cluster.area, cluster.category_code)
            await self._publish_cluster(cluster)
        return escalations, clusters

    async def _publish_escalation(self, escalation: Escalation) -> None:
        notice = envelope_pb2.EmergencyBroadcast()
        notice.CopyFrom(self._broadcasts.get(escalation.broadcast_id, envelope_pb2.EmergencyBroadcast()))
        notice.unacknowledged[:] = list(escalation.unacknowledged)
        notice.broadcaster = escalation.broadcaster
        share = envelope_pb2.InformationShare(
            topic=envelope_pb2.SHARE_TOPIC_EMERGENCY, classification=envelope_pb2.CLASSIFICATION_RESTRICTED,
            title=f"unacknowledged emergency broadcast {notice.broadcast_id}", emergency=notice,
            audience=sorted({escalation.broadcaster, *escalation.unacknowledged}))
        outgoing = self._envelopes(share, f"emergency/{escalation.broadcast_id}/escalation")
        if self.ledger is None:
            for item in outgoing:
                await self._publish(item)
            return
        self.ledger.escalate(escalation.broadcast_id, outgoing)
        await self._send_unpublished()

    async def _send_unpublished(self) -> None:
        """The escalations decided but not on the bus yet (a failed publish, a gateway that stopped meanwhile)."""
        if self.ledger is None:
            return
        for item in self.ledger.unpublished():
            try:
                await self._publish(item)
            except BusError as error:
                log.error("emergency_escalation_unpublished", envelope_id=item.envelope_id, error=str(error))
                return  # the bus is away: the next tick tries again, in order
            self.ledger.published(item.envelope_id)

    async def _publish(self, item: Outgoing) -> None:
        async for attempt in AsyncRetrying(stop=stop_after_attempt(PUBLISH_ATTEMPTS), wait=PUBLISH_BACKOFF,
                                           retry=retry_if_exception_type(BusError), reraise=True):
            with attempt:
                await jetstream.publish_envelope(self.js, item.subject, item.envelope, signer=self.signer)

    async def _publish_cluster(self, cluster: Cluster) -> None:
        warning = envelope_pb2.EarlyWarning(
            level=cluster.level, admin_codes=sorted(self.rules.border_areas[cluster.area]),
            category_code=cluster.category_code, count=cluster.count, detected_by_federation=True,
            jurisdictions=sorted(cluster.counts), area=cluster.area)
        warning.period_start.FromDatetime(cluster.start)
        warning.period_end.FromDatetime(cluster.end)
        share = envelope_pb2.InformationShare(
            topic=envelope_pb2.SHARE_TOPIC_EARLY_WARNING, classification=envelope_pb2.CLASSIFICATION_RESTRICTED,
            title=f"cross-border cluster: {cluster.category_code} in {cluster.area}", early_warning=warning,
            audience=sorted(cluster.counts))
        log.warning("cross_border_cluster", area=cluster.area, category=cluster.category_code, count=cluster.count)
        await self._send(share, f"cluster/{cluster.area}/{cluster.category_code}/{int(cluster.end.timestamp())}")

    async def _send(self, share: envelope_pb2.InformationShare, id_base: str) -> None:
        for item in self._envelopes(share, id_base):
            await self._publish(item)

    @staticmethod
    def _envelopes(share: envelope_pb2.InformationShare, id_base: str) -> list[Outgoing]:
        outgoing = []
        for destination in share.audience:
            member = jurisdictions.by_enum(destination)
            envelope = envelope_pb2.Envelope(envelope_id=f"{id_base}/{member.token}", flow=SHARE,
                                             sender=case_pb2.JURISDICTION_UNSPECIFIED, destination=destination,
                                             information_share=share)
            envelope.sent_at.GetCurrentTime()
            outgoing.append(Outgoing(envelope.envelope_id, subjects.federation_subject(SHARE, member), envelope))
        return outgoing

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # keep watching; a stored escalation not yet published is tried on the next tick
                log.exception("emergency_tick_failed")
            await pause(interval)
