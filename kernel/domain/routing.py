"""Where a submitted case goes. Pure.

A referral names its destination explicitly or is sent to the jurisdiction
competent by the place of the matter (属地管理). A jurisdiction never refers a
case to itself, and only sends cases it registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.codec import Rejected
from kernel import jurisdictions
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
    if destination.enum == sender.enum:
        return Rejected("destination", f"{sender.enum_name} cannot refer a case to itself")
    return Route(destination, basis)
