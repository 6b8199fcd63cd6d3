"""Where a submitted case goes, and whether it goes again. Pure.

A referral names its destination explicitly or is sent to the jurisdiction
competent by the place of the matter (属地管理). A jurisdiction never refers a
case to itself, and only sends cases it registered. A returned case is re-routed
as a new attempt (`plan_attempt`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel import jurisdictions
from kernel.codec import Rejected
from kernel.domain.casestate import CaseState
from kernel.domain.sensitive import SensitiveRules
from kernel.domain.lifecycle import EITHER, ORIGIN, Lifecycle, TransitionError
from kernel.jurisdictions import Member
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2


@dataclass(frozen=True, slots=True)
class Route:
    destination: Member
    basis: int


def plan_route(case: case_pb2.Case, sender: Member, requested: int) -> Route | Rejected:
    if case.origin != sender.enum:
        return Rejected("case_id", f"{case.case_id} was registered by {case_pb2.Jurisdiction.Name(case.origin)}, not {sender.enum_name}")
    if requested != case_pb2.JURISDICTION_UNSPECIFIED:
        try:
            destination = jurisdictions.by_enum(requested)
        except jurisdictions.UnknownJurisdiction as error:
            return Rejected("destination", str(error))
        basis = envelope_pb2.ROUTING_BASIS_EXPLICIT
    else:
        competent = jurisdictions.competent_for(case.location.admin_code)
        if competent is None:
            return Rejected(
                "location.admin_code",
                f"{case.location.admin_code or '(empty)'} lies in no member jurisdiction; name the destination",
            )
        destination, basis = competent, envelope_pb2.ROUTING_BASIS_LOCATION
    if basis == envelope_pb2.ROUTING_BASIS_EXPLICIT:
        competent = jurisdictions.competent_for(case.location.admin_code)
        refusal = SensitiveRules.load().destination_refusal(case, destination.enum, competent.enum if competent else None)
        if refusal:
            return Rejected("destination", refusal)
    if destination.enum == sender.enum:
        return Rejected("destination", f"{sender.enum_name} cannot refer a case to itself")
    return Route(destination, basis)


@dataclass(frozen=True, slots=True)
class Attempt:
    """Send the case: routing attempt `attempt`, itself the lifecycle step `sequence`."""

    attempt: int
    sequence: int


@dataclass(frozen=True, slots=True)
class AlreadyOut:
    """The case is already referred and not back: a resubmission is answered as a duplicate."""


def plan_attempt(state: CaseState | None, destination: int, lifecycle: Lifecycle) -> Attempt | AlreadyOut:
    """First referral, re-route of a returned case, or nothing to send.

    A case may go out again when the lifecycle lets its origin refer it from where it
    stands (returned, not accepted) while another jurisdiction holds it; the re-route is
    a new attempt and the next step of the case. Raises TransitionError when it would
    go back to the jurisdiction that returned it.
    """
    if state is None or state.attempt == 0:
        return Attempt(attempt=1, sequence=0)
    # (allowed_next also lists the current status itself, for urging: staying REFERRED is no re-route.)
    can_refer_again = state.holder != state.origin and state.status != case_pb2.STATUS_REFERRED and any(
        target == case_pb2.STATUS_REFERRED and by in (ORIGIN, EITHER)
        for target, by in lifecycle.allowed_next(state.status, kind=state.kind)
    )
    if not can_refer_again:
        return AlreadyOut()
    if lifecycle.max_attempts is not None and state.attempt >= lifecycle.max_attempts:
        raise TransitionError(f"{state.case_id} was routed {state.attempt} times, the most the lifecycle allows"
                              " (max_attempts): dispute the return (coordination) or take it back")
    if state.holder == destination:
        holder = jurisdictions.by_enum(destination).name
        raise TransitionError(f"{state.case_id} was returned by {holder}; re-route it elsewhere or take it back")
    return Attempt(attempt=state.attempt + 1, sequence=state.sequence + 1)
