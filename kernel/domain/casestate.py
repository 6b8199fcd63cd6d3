"""A cross-region case's state, and the one fold every process uses to move it. Pure.

`fold(state, step)` takes the state as last known (None: nothing known yet) and one
step (a referral or hotline transfer reaching a destination, or a lifecycle
StatusUpdate) and answers the next state. The adapters' case store, the gateway's
projection and the deadline notifier all call it, so they cannot disagree on
status, holder, sequence or attempt.

The bus delivers each flow on its own stream, so a process may see a step before
the referral it follows, or a re-route after the steps of its new holder. The fold
is therefore order-tolerant and idempotent:
- the status is that of the highest sequence seen (a referral is the step at its
  own `sequence`: 0 for the first attempt, one more than the step before for a
  re-route);
- the holder is set by the referral of the newest attempt or by a take-back
  (STATUS_REGISTERED: the origin holds it again), whichever has the higher
  sequence (`holder_sequence` remembers which step set it);
- a step at or below the applied sequence, or an attempt already seen, changes
  nothing (a redelivery, or the other side's step that lost a race).
Whether a step is allowed is the lifecycle's question (kernel.domain.lifecycle),
asked before a step is sent; the fold only records what was sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

UNKNOWN_HOLDER_SEQUENCE = -1


@dataclass(frozen=True, slots=True)
class CaseState:
    case_id: str
    origin: int  # case_pb2.Jurisdiction
    holder: int  # case_pb2.Jurisdiction; JURISDICTION_UNSPECIFIED until a referral or a take-back says
    status: int  # case_pb2.Status
    sequence: int  # the highest step applied
    attempt: int  # routing attempt of the newest referral seen; 0: none seen yet
    flow: int = envelope_pb2.FLOW_UNSPECIFIED  # how the newest attempt crossed the border
    kind: int = case_pb2.CASE_KIND_UNSPECIFIED
    urgency: int = case_pb2.URGENCY_UNSPECIFIED
    holder_sequence: int = UNKNOWN_HOLDER_SEQUENCE  # the step that made `holder` the holder
    procedure: int = case_pb2.PROCEDURE_UNSPECIFIED  # chosen by the origin (Case.procedure)
    due_at: dt.datetime | None = None  # the assigning body's due date (Case.due_at), UTC


@dataclass(frozen=True, slots=True)
class Referred:
    """A referral or hotline transfer: `attempt` of `case_id`, sent to `destination`."""

    case_id: str
    origin: int
    destination: int
    flow: int
    attempt: int
    sequence: int
    kind: int = case_pb2.CASE_KIND_UNSPECIFIED
    urgency: int = case_pb2.URGENCY_UNSPECIFIED
    procedure: int = case_pb2.PROCEDURE_UNSPECIFIED
    due_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Stepped:
    """A lifecycle step (StatusUpdate) of `case_id`, reported by `reporter`."""

    case_id: str
    origin: int
    sequence: int
    status: int
    reporter: int = case_pb2.JURISDICTION_UNSPECIFIED


Step = Referred | Stepped


def fold(state: CaseState | None, step: Step) -> CaseState:
    """The state after `step`; `state` itself (the same object) when the step changes nothing."""
    if state is not None and state.case_id != step.case_id:
        raise ValueError(f"a step of {step.case_id!r} folded into case {state.case_id!r}")
    if isinstance(step, Referred):
        return _referred(state, step)
    return _stepped(state, step)


def _referred(state: CaseState | None, step: Referred) -> CaseState:
    if state is None:
        return CaseState(
            case_id=step.case_id, origin=step.origin, holder=step.destination, status=case_pb2.STATUS_REFERRED,
            sequence=step.sequence, attempt=step.attempt, flow=step.flow, kind=step.kind, urgency=step.urgency,
            holder_sequence=step.sequence, procedure=step.procedure, due_at=step.due_at,
        )
    if step.attempt <= state.attempt:
        return state
    changes: dict = dict(origin=step.origin, attempt=step.attempt, flow=step.flow, kind=step.kind, urgency=step.urgency,
                         procedure=step.procedure, due_at=step.due_at)
    if step.sequence >= state.holder_sequence:
        changes.update(holder=step.destination, holder_sequence=step.sequence)
    if step.sequence >= state.sequence:
        changes.update(status=case_pb2.STATUS_REFERRED, sequence=step.sequence)
    return dataclasses.replace(state, **changes)


def _stepped(state: CaseState | None, step: Stepped) -> CaseState:
    if state is None:
        # A step seen before its referral: what it says is kept, the referral fills in the rest.
        state = CaseState(case_id=step.case_id, origin=step.origin, holder=case_pb2.JURISDICTION_UNSPECIFIED,
                          status=case_pb2.STATUS_UNSPECIFIED, sequence=UNKNOWN_HOLDER_SEQUENCE, attempt=0)
    if step.sequence <= state.sequence:
        return state
    changes: dict = dict(status=step.status, sequence=step.sequence)
    if step.status == case_pb2.STATUS_REGISTERED and step.sequence > state.holder_sequence:
        changes.update(holder=state.origin, holder_sequence=step.sequence)  # taken back
    return dataclasses.replace(state, **changes)


def step_of(envelope: envelope_pb2.Envelope, *, origin_of) -> Step | None:
    """The step a bus envelope carries (None for information shares).

    `origin_of(case_id)` names the registering jurisdiction of a StatusUpdate's case
    (kernel.jurisdictions.origin_of_case_id; passed in to keep this module free of tables).
    """
    payload = envelope.WhichOneof("payload")
    if payload in ("referral", "hotline_transfer"):
        body = getattr(envelope, payload)
        return Referred(
            case_id=body.case.case_id, origin=body.case.origin, destination=envelope.destination, flow=envelope.flow,
            attempt=body.attempt, sequence=body.sequence, kind=body.case.kind, urgency=body.case.urgency,
            procedure=body.case.procedure,
            due_at=body.case.due_at.ToDatetime(tzinfo=dt.timezone.utc) if body.case.HasField("due_at") else None,
        )
    if payload == "status_update":
        update = envelope.status_update
        return Stepped(case_id=update.case_id, origin=origin_of(update.case_id), sequence=update.sequence,
                       status=update.status, reporter=update.reporter)
    return None
