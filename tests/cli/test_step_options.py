"""`jjj step`'s flags -> MemberClient.step's keyword arguments (no federation needed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cli.engineer import step_options
from cli.main import _parser as build_parser
from jjj.case.v1 import case_pb2


def options(*flags: str) -> dict:
    return step_options(build_parser().parse_args(["step", "hebei", "jjj:BJ:BJ1", "returned", *flags]))


def test_no_flags_no_facts():
    assert options() == {}


def test_each_fact_by_its_name():
    got = options("--return-reason", "wrong_place", "--closing", "merged", "--merged-into", "jjj:BJ:BJ0",
                  "--event", "extension", "--extension", "petition_handle:30", "--satisfaction", "basically_satisfied")
    assert got["return_reason"] == case_pb2.RETURN_REASON_WRONG_PLACE
    assert got["closing"] == case_pb2.CLOSING_MERGED and got["merged_into"] == "jjj:BJ:BJ0"
    assert got["event_type"] == case_pb2.EVENT_TYPE_EXTENSION and got["extension"] == ("petition_handle", 30)
    assert got["feedback"].satisfaction == case_pb2.SATISFACTION_BASICALLY_SATISFIED and got["feedback"].resolved


def test_a_coordination_decision_is_overruling_unless_told():
    overruled = options("--coordination", "京津冀12345联席会议")["coordination"]
    upheld = options("--coordination", "京津冀12345联席会议", "--return-upheld", "--decision", "退单成立")["coordination"]
    assert (overruled.body, overruled.return_upheld) == ("京津冀12345联席会议", False)
    assert (upheld.return_upheld, upheld.decision) == (True, "退单成立")


def test_a_time_without_a_zone_is_beijing_time():
    assert options("--at", "2026-11-24T09:30:00")["at"] == datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)
    assert options("--at", "2026-11-24T09:30:00+00:00")["at"] == datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
    assert options("--at", "2026-11-24T09:30:00")["at"].utcoffset() == timedelta(hours=8)
