"""Small pure readers of bus envelopes."""

from __future__ import annotations

from kernel import jurisdictions
from kernel.domain.casestate import Step, step_of
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


def case_step(envelope: envelope_pb2.Envelope) -> Step | None:
    """The case-state step an envelope carries, for `kernel.domain.casestate.fold`."""
    return step_of(envelope, origin_of=lambda case_id: jurisdictions.origin_of_case_id(case_id).enum)
