"""What an adapter remembers about a case that crossed its border. Pure functions.

A record is an `adapter_pb2.GetCaseResponse`: the case as last known, the holder
(where it is being handled), the flow, the routing attempt, and the sequence of
the last lifecycle step applied. Those fields are the kernel's CaseState and move
only through its fold (kernel.domain.casestate), like the gateway's projection;
this module adds what only an adapter keeps: the case itself, its events and the
follow-up result.
"""

from __future__ import annotations

from datetime import UTC

from kernel.bus.envelopes import case_step
from kernel.domain.casestate import CaseState, Referred, fold
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

Record = adapter_pb2.GetCaseResponse


def case_of(envelope: envelope_pb2.Envelope) -> envelope_pb2.Referral | envelope_pb2.HotlineTransfer:
    """The referral or hotline transfer an envelope carries (both have case, attempt, sequence)."""
    payload = envelope.WhichOneof("payload")
    if payload in ("referral", "hotline_transfer"):
        return getattr(envelope, payload)
    raise ValueError(f"envelope {envelope.envelope_id} carries no case ({payload})")


def state_of(record: Record) -> CaseState:
    return CaseState(
        case_id=record.case.case_id, origin=record.case.origin, holder=record.holder, status=record.case.status,
        sequence=record.sequence, attempt=record.attempt, flow=record.flow, kind=record.case.kind,
        urgency=record.case.urgency, holder_sequence=record.holder_sequence, procedure=record.case.procedure,
        due_at=record.case.due_at.ToDatetime(tzinfo=UTC) if record.case.HasField("due_at") else None,
    )


def is_known(record: Record | None) -> bool:
    """False for nothing, or for a stub holding steps whose referral has not been seen yet."""
    return record is not None and record.attempt > 0


def apply(current: Record | None, envelope: envelope_pb2.Envelope) -> Record | None:
    """The record after one referral, transfer or status update; None when it changes nothing."""
    step = case_step(envelope)
    if step is None:
        return None
    before = state_of(current) if current is not None else None
    after = fold(before, step)
    if after is before:
        return None
    record = Record()
    if current is not None:
        record.receipts.extend(current.receipts)
    if isinstance(step, Referred):
        body = case_of(envelope)
        record.case.CopyFrom(body.case)
        if current is not None:
            # Events recorded here since (the origin's own steps, or steps seen before this referral) stay.
            record.case.history.extend(current.case.history[len(body.case.history):])
            if current.case.HasField("feedback") and not body.case.HasField("feedback"):
                record.case.feedback.CopyFrom(current.case.feedback)
    else:
        if current is not None:
            record.CopyFrom(current)
        update = envelope.status_update
        record.case.case_id, record.case.origin = after.case_id, after.origin
        if update.HasField("event"):
            record.case.history.append(update.event)
        if update.HasField("feedback"):
            record.case.feedback.CopyFrom(update.feedback)
    record.case.status = after.status
    record.holder, record.flow, record.attempt = after.holder, after.flow, after.attempt
    record.sequence, record.holder_sequence = after.sequence, after.holder_sequence
    return record


def add_receipt(current: Record | None, receipt: envelope_pb2.Envelope) -> Record | None:
    """The record with one more receiver's receipt; None when it is kept already or the case is unknown here."""
    if not is_known(current) or any(kept.envelope_id == receipt.envelope_id for kept in current.receipts):
        return None
    record = Record()
    record.CopyFrom(current)
    record.receipts.append(receipt)
    return record
