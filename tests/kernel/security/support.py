"""Keys and envelopes for the signing tests: made here, in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kernel.security.keys import FEDERATION, KeyEntry, KeyRegistry, owners
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SIGNERS = {owner: Signer.generate(owner) for owner in owners()}
REGISTRY = KeyRegistry(tuple(KeyEntry.for_signer(signer, T0 - timedelta(days=1)) for signer in SIGNERS.values()))
CASE_ID = "jjj:BJ:BJ2026112400002001"


def referral(case_id: str = CASE_ID, sender: int = case_pb2.JURISDICTION_BEIJING,
             destination: int = case_pb2.JURISDICTION_HEBEI) -> envelope_pb2.Envelope:
    case = case_pb2.Case(case_id=case_id, origin=case_pb2.JURISDICTION_BEIJING, native_id=case_id.rsplit(":", 1)[1],
                         title="进京检查站拥堵", kind=case_pb2.CASE_KIND_PETITION, extensions={"b": "2", "a": "1"})
    envelope = envelope_pb2.Envelope(
        envelope_id=f"{case_id}/referral/1", flow=envelope_pb2.FLOW_REFERRAL, sender=sender, destination=destination,
        referral=envelope_pb2.Referral(case=case, attempt=1, sequence=0),
    )
    envelope.sent_at.FromDatetime(T0)
    return envelope


def status_update(status: int, *, sequence: int, sender: int, destination: int, reporter: int | None = None,
                  reason: str = "", return_reason: int = 0) -> envelope_pb2.Envelope:
    envelope = envelope_pb2.Envelope(
        envelope_id=f"{CASE_ID}/status/{sequence}", flow=envelope_pb2.FLOW_STATUS_UPDATE, sender=sender,
        destination=destination,
        status_update=envelope_pb2.StatusUpdate(case_id=CASE_ID, sequence=sequence, status=status, reason=reason,
                                                reporter=sender if reporter is None else reporter,
                                                return_reason=return_reason),
    )
    envelope.sent_at.FromDatetime(T0)
    return envelope


def federation_notice(destination: int = case_pb2.JURISDICTION_HEBEI) -> envelope_pb2.Envelope:
    envelope = envelope_pb2.Envelope(
        envelope_id=f"{CASE_ID}/deadline/sign", flow=envelope_pb2.FLOW_INFORMATION_SHARE,
        sender=case_pb2.JURISDICTION_UNSPECIFIED, destination=destination,
        information_share=envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_DEADLINE, title="reminder: sign"),
    )
    envelope.sent_at.FromDatetime(T0)
    return envelope


__all__ = ["FEDERATION", "REGISTRY", "SIGNERS", "T0", "federation_notice", "referral", "status_update"]
