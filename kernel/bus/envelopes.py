"""Small pure readers of bus envelopes."""

from __future__ import annotations

from jjj.bus.v1 import envelope_pb2

CASE_PAYLOADS = ("referral", "hotline_transfer")


def case_id_of(envelope: envelope_pb2.Envelope) -> str:
    """The case an envelope is about ("" for information shares)."""
    payload = envelope.WhichOneof("payload")
    if payload == "status_update":
        return envelope.status_update.case_id
    if payload in CASE_PAYLOADS:
        return getattr(envelope, payload).case.case_id
    return ""
