"""May this (validly signed) sender send this message? Asked by the receiver, from its own state. Pure.

- a referral or hotline transfer comes from the case's origin (the jurisdiction in its case_id);
- a status update is reported by its sender, who is the case's origin or its holder in
  the receiver's record, and the lifecycle allows the step from the receiver's state
  (a step the receiver already applied passes: the fold ignores it);
- a step of a case the receiver does not know yet, or one that skips a step not yet
  seen, is not refused for good: the bus delivers each flow on its own stream, so the
  referral or the step in between may still come (the caller retries, then gives up);
- a receipt names its sender as the receiver.
"""

from __future__ import annotations

from kernel import jurisdictions
from kernel.domain.casestate import CaseState
from kernel.domain.lifecycle import Lifecycle, StepFacts, TransitionError
from kernel.security.envelopes import Reason, Refusal
from jjj.bus.v1 import envelope_pb2


def _not_allowed(detail: str) -> Refusal:
    return Refusal(Reason.DEAD_LETTER_REASON_NOT_ALLOWED, detail)


def _origin(case_id: str) -> int | None:
    try:
        return jurisdictions.origin_of_case_id(case_id).enum
    except jurisdictions.UnknownJurisdiction:
        return None


def authorize(envelope: envelope_pb2.Envelope, state: CaseState | None, lifecycle: Lifecycle, *,
              judge_applied: bool = True) -> Refusal | None:
    """None when the sender may send it; `state` is the receiver's record of the case (None: none).

    judge_applied False: a step at or below the applied sequence passes without asking who
    sent it (an observer replaying streams in any order, like the gateway, may hold a state
    in which the step's reporter no longer holds the case).
    """
    payload = envelope.WhichOneof("payload")
    sender = jurisdictions.display_name(envelope.sender)
    if payload in ("referral", "hotline_transfer"):
        case = getattr(envelope, payload).case
        origin = _origin(case.case_id)
        if origin is None or envelope.sender != origin or case.origin != origin:
            return _not_allowed(f"{sender} sent case {case.case_id}, which it did not register")
        return None
    if payload == "status_update":
        return _authorize_step(envelope, state, lifecycle, judge_applied)
    if payload == "receipt":
        if envelope.receipt.receiver != envelope.sender:
            return _not_allowed(f"a receipt sent by {sender} in the name of another receiver")
        return None
    if payload == "information_share":
        return None
    return Refusal(Reason.DEAD_LETTER_REASON_MALFORMED, "the envelope carries no payload")


def _authorize_step(envelope: envelope_pb2.Envelope, state: CaseState | None, lifecycle: Lifecycle,
                    judge_applied: bool) -> Refusal | None:
    update = envelope.status_update
    sender = jurisdictions.display_name(envelope.sender)
    if update.reporter != envelope.sender:
        return _not_allowed(f"{sender} sent a step in the name of {jurisdictions.display_name(update.reporter)}")
    origin = _origin(update.case_id)
    if origin is None:
        return _not_allowed(f"{update.case_id!r} is not a federation case id")
    if state is None or state.attempt == 0:
        return Refusal(Reason.DEAD_LETTER_REASON_UNKNOWN_CASE, f"no referral of {update.case_id} seen yet", final=False)
    if not judge_applied and update.sequence <= state.sequence:
        return None
    is_origin, is_holder = envelope.sender == origin, envelope.sender == state.holder
    if not (is_origin or is_holder):
        return _not_allowed(f"{sender} neither holds {update.case_id} nor is its origin")
    if update.sequence <= state.sequence:
        return None  # applied already (a redelivery, or the other side's step that won the race)
    if update.sequence > state.sequence + 1:
        return Refusal(Reason.DEAD_LETTER_REASON_ILLEGAL_STEP,
                       f"step {update.sequence} of {update.case_id} follows step {state.sequence}, not yet seen", final=False)
    try:
        pair = (jurisdictions.by_enum(origin).name, jurisdictions.by_enum(state.holder).name) if state.holder else None
        lifecycle.check(state.status, update.status, kind=state.kind, actor_is_origin=is_origin,
                        actor_is_holder=is_holder, reason=update.reason, facts=StepFacts.of(update, pair))
    except TransitionError as error:
        return Refusal(Reason.DEAD_LETTER_REASON_ILLEGAL_STEP, str(error))
    return None
