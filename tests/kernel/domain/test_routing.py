"""Where a submitted case goes: the named destination, else the one competent for the place.

The rejections are what a member system gets back for the case (field and reason), so
they are compared whole.
"""

from __future__ import annotations

import pytest

from kernel import jurisdictions
from kernel.codec import Rejected
from kernel.domain.routing import Route, plan_route
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

BEIJING = jurisdictions.by_name("beijing")
TIANJIN = jurisdictions.by_name("tianjin")
HEBEI = jurisdictions.by_name("hebei")


def case_from(origin: jurisdictions.Member, admin_code: str = "", case_id: str = "jjj:BJ:2026-0001") -> case_pb2.Case:
    case = case_pb2.Case(case_id=case_id, origin=origin.enum)
    case.location.admin_code = admin_code
    return case


@pytest.mark.parametrize(
    ("admin_code", "competent"),
    [("120101", TIANJIN), ("130100", HEBEI), ("131022", HEBEI), ("12", TIANJIN)],
)
def test_without_a_named_destination_the_place_decides(admin_code, competent):
    route = plan_route(case_from(BEIJING, admin_code), BEIJING, case_pb2.JURISDICTION_UNSPECIFIED)
    assert route == Route(competent, envelope_pb2.ROUTING_BASIS_LOCATION)


def test_a_named_destination_wins_over_the_place():
    # The place is in Hebei, but Beijing names Tianjin explicitly.
    route = plan_route(case_from(BEIJING, "130100"), BEIJING, case_pb2.JURISDICTION_TIANJIN)
    assert route == Route(TIANJIN, envelope_pb2.ROUTING_BASIS_EXPLICIT)
    assert route.destination.enum == case_pb2.JURISDICTION_TIANJIN


def test_a_named_destination_needs_no_known_place():
    route = plan_route(case_from(TIANJIN, "", case_id="jjj:TJ:9"), TIANJIN, case_pb2.JURISDICTION_HEBEI)
    assert route == Route(HEBEI, envelope_pb2.ROUTING_BASIS_EXPLICIT)


def test_only_the_registering_jurisdiction_may_send_a_case():
    case = case_from(TIANJIN, "130100", case_id="jjj:TJ:2026-7")
    assert plan_route(case, BEIJING, case_pb2.JURISDICTION_HEBEI) == Rejected(
        "case_id", "jjj:TJ:2026-7 was registered by JURISDICTION_TIANJIN, not JURISDICTION_BEIJING"
    )


@pytest.mark.parametrize(("admin_code", "shown"), [("310101", "310101"), ("", "(empty)")])
def test_a_place_outside_the_federation_needs_a_named_destination(admin_code, shown):
    assert plan_route(case_from(HEBEI, admin_code, "jjj:HE:1"), HEBEI, case_pb2.JURISDICTION_UNSPECIFIED) == Rejected(
        "location.admin_code", f"{shown} lies in no member jurisdiction; name the destination"
    )


def test_a_jurisdiction_never_refers_a_case_to_itself_by_name_or_by_place():
    expected = Rejected("destination", "JURISDICTION_BEIJING cannot refer a case to itself")
    assert plan_route(case_from(BEIJING, "110105"), BEIJING, case_pb2.JURISDICTION_BEIJING) == expected
    assert plan_route(case_from(BEIJING, "110105"), BEIJING, case_pb2.JURISDICTION_UNSPECIFIED) == expected


def test_a_destination_that_is_not_a_member_is_refused(monkeypatch):
    # Membership is data (schemas/jurisdictions.yaml): a federation Hebei has not joined.
    monkeypatch.setattr(jurisdictions, "members", lambda: (BEIJING, TIANJIN))
    assert plan_route(case_from(BEIJING, "120101"), BEIJING, case_pb2.JURISDICTION_HEBEI) == Rejected(
        "destination", "not a member jurisdiction: JURISDICTION_HEBEI"
    )
