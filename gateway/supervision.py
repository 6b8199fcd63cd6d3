"""Urging (催办) and supervision (督办) the federation adds to a case: sent, and kept on the trail.

`add_supervision` (the operator's `jjj urge`) checks the case in the projection
and the rules (kernel.domain.supervision), then sends one Supervision share,
signed by the federation, to the case's holder and its origin. `SupervisionTrail`
is a projection recorder: the first copy of a supervision the projection sees
becomes one typed trail entry of the case (at its current status and sequence,
an event-only step), which GetCase shows and the measures count, like a member's.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import structlog
from nats.js import JetStreamContext

from gateway.projection.store import SqliteProjection, beijing_day
from kernel import jurisdictions
from kernel.bus import jetstream, subjects
from kernel.domain.supervision import SupervisionRules
from kernel.errors import CaseNotFound
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

log = structlog.get_logger(__name__)
SHARE, TOPIC = envelope_pb2.FLOW_INFORMATION_SHARE, envelope_pb2.SHARE_TOPIC_SUPERVISION


async def add_supervision(js: JetStreamContext, store: SqliteProjection, signer: Signer, case_id: str, kind: str,
                          reason: str, by: str = "", *, now: datetime | None = None,
                          rules: SupervisionRules | None = None) -> list[str]:
    """Send the urging or supervision to the case's holder and origin; returns the envelope ids."""
    rules = rules or SupervisionRules.load()
    event_type = rules.event_type(kind)
    state = store.case_state(case_id)
    if state is None or not state.attempt:
        raise CaseNotFound(f"the federation has seen no cross-border case {case_id!r}", metadata={"caseId": case_id})
    rules.check(event_type, state.status, reason)
    supervision = envelope_pb2.Supervision(case_id=case_id, type=event_type, reason=reason.strip(),
                                           by=by.strip() or rules.default_body, supervision_id=uuid.uuid4().hex)
    supervision.at.FromDatetime(now or datetime.now(UTC))
    audience = sorted({state.origin, state.holder})
    share = envelope_pb2.InformationShare(
        topic=TOPIC, classification=envelope_pb2.CLASSIFICATION_INTERNAL, audience=audience, supervision=supervision,
        title=f"{'督办' if event_type == case_pb2.EVENT_TYPE_SUPERVISION else '催办'}: {case_id}", body=supervision.reason)
    ids = []
    for destination in audience:
        member = jurisdictions.by_enum(destination)
        envelope = envelope_pb2.Envelope(
            envelope_id=f"{case_id}/supervision/{supervision.supervision_id}/{member.token}", flow=SHARE,
            sender=case_pb2.JURISDICTION_UNSPECIFIED, destination=destination, information_share=share)
        envelope.sent_at.GetCurrentTime()
        await jetstream.publish_envelope(js, subjects.federation_subject(SHARE, member), envelope, signer=signer)
        ids.append(envelope.envelope_id)
    log.info("supervision_added", case_id=case_id, kind=kind, by=supervision.by,
             to=",".join(jurisdictions.display_name(j) for j in audience))
    return ids


class SupervisionTrail:
    """Called with every newly projected envelope, inside the projection's transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def record(self, envelope: envelope_pb2.Envelope) -> None:
        share = envelope.information_share
        if (envelope.sender != case_pb2.JURISDICTION_UNSPECIFIED or share.topic != TOPIC
                or not share.HasField("supervision")):
            return  # only the federation's: a member urges with an event-only status step
        supervision = share.supervision
        at = supervision.at.ToDatetime(tzinfo=UTC) if supervision.HasField("at") else envelope.sent_at.ToDatetime(tzinfo=UTC)
        row = self.db.execute("SELECT status, sequence FROM cases WHERE case_id=?", (supervision.case_id,)).fetchone()
        status, sequence = row if row else (0, 0)
        self.db.execute(
            "INSERT OR IGNORE INTO trail(envelope_id, case_id, at, flow, sender, destination, status, actor, note,"
            " sequence, observed_at, lag_ms, day, event_type) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (f"{supervision.case_id}/supervision/{supervision.supervision_id}", supervision.case_id, at.isoformat(),
             SHARE, case_pb2.JURISDICTION_UNSPECIFIED, case_pb2.JURISDICTION_UNSPECIFIED, status or 0, supervision.by,
             supervision.reason, sequence or 0, at.isoformat(), 0.0, beijing_day(at), supervision.type))
