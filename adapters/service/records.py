"""What an adapter remembers about a case that crossed its border. Pure functions.

A record is an `adapter_pb2.GetCaseResponse`: the case as last known, the holder
(where it is being handled), the flow, the routing attempt, and the sequence of
the last lifecycle step applied.
"""

from __future__ import annotations

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

Record = adapter_pb2.GetCaseResponse


def record_for_sent_case(case: case_pb2.Case, *, holder: int, flow: int, attempt: int) -> Record:
    return Record(case=case, holder=holder, flow=flow, attempt=attempt, sequence=0)


def case_of(envelope: envelope_pb2.Envelope) -> tuple[case_pb2.Case, int]:
    """The case and routing attempt a referral or hotline transfer carries."""
    payload = envelope.WhichOneof("payload")
    if payload == "referral":
        return envelope.referral.case, envelope.referral.attempt
    if payload == "hotline_transfer":
        return envelope.hotline_transfer.case, envelope.hotline_transfer.attempt
    raise ValueError(f"envelope {envelope.envelope_id} carries no case ({payload})")


def merge_inbound_case(current: Record | None, envelope: envelope_pb2.Envelope) -> Record | None:
    """Record a referral or transfer addressed to us; None when it changes nothing (a redelivery)."""
    case, attempt = case_of(envelope)
    if current is not None and current.attempt >= attempt:
        return None
    return Record(case=case, holder=envelope.destination, flow=envelope.flow, attempt=attempt, sequence=0)


def apply_status_update(current: Record | None, update: envelope_pb2.StatusUpdate) -> Record | None:
    """Apply one lifecycle step; None when it is unknown, a duplicate or stale."""
    if current is None or update.sequence <= current.sequence:
        return None
    record = Record()
    record.CopyFrom(current)
    record.sequence = update.sequence
    record.case.status = update.status
    if update.HasField("event"):
        record.case.history.append(update.event)
    if update.HasField("feedback"):
        record.case.feedback.CopyFrom(update.feedback)
    return record
