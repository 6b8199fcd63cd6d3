"""Every cross-border case the federation can see, as cluster detection counts them (kernel.domain.emergency).

Read from the bus itself, not from the projection: referrals and hotline transfers,
and the share stream whole, so the case digests adapters send each other
(jjj.digest.<to>.<from>) count as well as those shared on jjj.share.*. At each start
it reads the streams from two cluster windows back (what detection looks at), on the
gateway's feed, so a restarted gateway sees the same sightings. A case is one sighting however
often it is seen: its referral, and its digest to each other member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from nats.aio.client import Client

from gateway.feed import WHOLE_STREAM, BusFeed
from kernel.bus import subjects
from kernel.bus.positions import first_sequence_since
from kernel.domain.emergency import Sighting
from kernel.security.envelopes import Refusal, VerificationCache
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
Flow = envelope_pb2.Flow


def sightings_of(envelope: envelope_pb2.Envelope) -> list[tuple[str, Sighting]]:
    """(case id, sighting) of each case an envelope shows: a referred case, or the digests of a share."""
    payload = envelope.WhichOneof("payload")
    found = []
    if payload in ("referral", "hotline_transfer"):
        case = getattr(envelope, payload).case
        found.append((case.case_id, case.origin, case.location.admin_code, case.category.code, case.received_at))
    elif payload == "information_share" and envelope.sender:  # the federation's own notices report no case
        found.extend((d.case_id, d.origin, d.admin_code, d.category_code, d.received_at)
                     for d in envelope.information_share.digests)
    return [(case_id, Sighting(origin, code, category, stamp.ToDatetime(tzinfo=UTC)))
            for case_id, origin, code, category, stamp in found
            if case_id and origin and code and category and (stamp.seconds or stamp.nanos)]


@dataclass
class SightingFeed:
    verifier: VerificationCache | None
    horizon: timedelta
    sightings: dict[str, Sighting] = field(default_factory=dict)  # case id -> where, what, when, whose

    def add(self, envelope: envelope_pb2.Envelope) -> None:
        for case_id, sighting in sightings_of(envelope):
            self.sightings.setdefault(case_id, sighting)

    def current(self, now: datetime) -> list[Sighting]:
        """The sightings within the horizon (older ones are let go)."""
        cutoff = now - self.horizon
        self.sightings = {case_id: s for case_id, s in self.sightings.items() if s.at > cutoff}
        return list(self.sightings.values())

    async def read_from(self, feed: BusFeed, nc: Client) -> None:
        """Register on the gateway's feed from the first message of each stream within the horizon (the
        feed's consumer then brings each referral to this process once, for the projection and for this)."""
        since = datetime.now(UTC) - self.horizon
        for flow, subject in ((Flow.FLOW_REFERRAL, "jjj.referral.>"), (Flow.FLOW_HOTLINE_TRANSFER, "jjj.transfer.>"),
                              (Flow.FLOW_INFORMATION_SHARE, WHOLE_STREAM)):  # the share stream whole: digests too
            stream = subjects.route_of(flow).stream
            feed.read(stream, start_seq=await first_sequence_since(nc, stream, since), subject=subject,
                      on_message=self._on_message)

    async def _on_message(self, message) -> None:
        meta = message.metadata
        checked = self.verifier.verify(message.data, message.subject, receiver=None, published_at=meta.timestamp,
                                       stream=meta.stream, sequence=meta.sequence.stream)
        if isinstance(checked, Refusal):
            return  # the projector and the audit log say so; a refused message is no sighting
        self.add(checked.envelope)

