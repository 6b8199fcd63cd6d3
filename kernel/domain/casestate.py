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


def crossing_record(case: case_pb2.Case, *, holder: int, flow: int, attempt: int, sequence: int) -> Record:
    """A case as it crosses a border: from here on its cross-region status starts at REFERRED."""
    record = Record(case=case, holder=holder, flow=flow, attempt=attempt, sequence=sequence)
    record.case.status = case_pb2.STATUS_REFERRED
    return record


def case_of(envelope: envelope_pb2.Envelope) -> envelope_pb2.Referral | envelope_pb2.HotlineTransfer:
    """The referral or hotline transfer an envelope carries (both have case, attempt, sequence)."""
    payload = envelope.WhichOneof("payload")
    if payload in ("referral", "hotline_transfer"):
        return getattr(envelope, payload)
    raise ValueError(f"envelope {envelope.envelope_id} carries no case ({payload})")


def merge_inbound_case(current: Record | None, envelope: envelope_pb2.Envelope) -> Record | None:
    """Record a referral or transfer addressed to us; None when it changes nothing (a redelivery)."""
    body = case_of(envelope)
    if current is not None and current.attempt >= body.attempt:
        return None
    return crossing_record(body.case, holder=envelope.destination, flow=envelope.flow, attempt=body.attempt,
                           sequence=body.sequence)


def apply_status_update(current: Record | None, update: envelope_pb2.StatusUpdate) -> Record | None:
    """Apply one lifecycle step; None when it is unknown, a duplicate or stale."""
    if current is None or update.sequence <= current.sequence:
        return None
    record = Record()
    record.CopyFrom(current)
    record.sequence = update.sequence
    record.case.status = update.status
    if update.status == case_pb2.STATUS_REGISTERED:
        record.holder = record.case.origin  # taken back by the origin
    if update.HasField("event"):
        record.case.history.append(update.event)
    if update.HasField("feedback"):
        record.case.feedback.CopyFrom(update.feedback)
    return record
