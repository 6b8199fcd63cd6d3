"""Rendering a case that did not come from Beijing: a valid Beijing order in Beijing's codes."""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from adapters.beijing import CODEC
from adapters.beijing.from_common import case_to_native
from adapters.beijing.schema import validate
from adapters.beijing.tables import native_codes
from kernel.codec import Accepted, MappingError, Rejected
from kernel.normalize.geo import wgs84_to_gcj02
from kernel.normalize.taxonomy import BEIJING_SCHEME, map_category
from jjj.case.v1 import case_pb2

HEBEI_ID = "HE13108220261124000123"


def hebei_case(**changes) -> case_pb2.Case:
    case = case_pb2.Case(
        case_id=f"jjj:HE:{HEBEI_ID}",
        origin=case_pb2.JURISDICTION_HEBEI,
        native_id=HEBEI_ID,
        kind=case_pb2.CASE_KIND_PETITION,
        channel=case_pb2.CHANNEL_REFERRAL,
        request_type=case_pb2.REQUEST_TYPE_COMPLAINT,
        title="燕郊供暖不热",
        content="燕郊某小区室温只有十四度。",
        requester=case_pb2.Party(
            name="李娜", id_type=case_pb2.ID_TYPE_RESIDENT_ID, id_number="13108219900101002X", phone="+863165551234"
        ),
        location=case_pb2.Location(
            admin_code="131082", address="三河市燕郊镇", point=case_pb2.Point(latitude=39.95, longitude=116.82),
            source_crs=case_pb2.CRS_BD09,
        ),
        category=case_pb2.Category(code="HOUSING.HEATING", source_code="A0103", source_name="冬季供暖",
                                   source_scheme="hebei-letter5"),
        urgency=case_pb2.URGENCY_URGENT,
        received_at=Timestamp(seconds=1795483812),
        status=case_pb2.STATUS_RECEIVED,
        handlers=[case_pb2.Unit(code="HE0001", name="三河市信访局", role="main")],
        history=[case_pb2.Event(at=Timestamp(seconds=1795483812), action="登记", actor="张三", note="")],
        feedback=case_pb2.Feedback(contacted=True, satisfaction=case_pb2.SATISFACTION_SATISFIED),
        petition=case_pb2.PetitionDetails(form=case_pb2.PETITION_FORM_LETTER, participants=1),
        extensions={"hebei.备注": "转北京", "hebei.件号前缀": "HE"},
        quality_flags=["requester.phone:invalid"],
    )
    for field, value in changes.items():
        setattr(case, field, value)
    return case


def rendered(case: case_pb2.Case) -> dict:
    return json.loads(CODEC.encode([case]))


def test_foreign_case_renders_in_beijings_own_codes() -> None:
    order = rendered(hebei_case())
    assert order["ywlx"] == "XF"
    assert order["qdly"] == "01"  # CHANNEL_REFERRAL: Beijing books referrals as hotline
    assert order["zt"] == "20"  # STATUS_RECEIVED: closest Beijing status
    assert order["sqlx"] == "TS" and order["jjcd"] == "2"
    assert order["sqr"] == {"xm": "李娜", "zjlx": "111", "zjhm": "13108219900101002X", "lxdh": "0316-5551234",
                            "xb": "9", "sfnm": False}
    for key in ("ywlx", "qdly", "sqlx", "jjcd", "zt"):
        assert order[key] in native_codes(key)
    assert order["xfxx"]["xfxs"] in native_codes("xfxs") and order["hf"] == {"sflx": True, "myd": "1"}
    assert order["cbdw"] == [{"dwbm": "HE0001", "dwmc": "三河市信访局"}]
    assert order["lz"] == [{"dz": "登记", "sj": "2026-11-24 09:30:12", "czr": "张三", "yj": ""}]
    assert order["bbh"] == "3.2"


def test_foreign_category_is_crosswalked_to_a_beijing_code() -> None:
    order = rendered(hebei_case())
    fl = order["fl"]
    most_specific = fl.get("sj") or fl.get("ej") or fl["yj"]
    assert map_category(BEIJING_SCHEME, most_specific).known
    assert map_category(BEIJING_SCHEME, most_specific).code == "HOUSING.HEATING"
    assert all(fl[level].startswith(fl["yj"]) for level in fl)


def test_unknown_common_category_renders_as_beijings_other() -> None:
    case = hebei_case()
    case.category.code = "OTHER"
    assert rendered(case)["fl"] == {"yj": "99", "ej": "9901"}


def test_foreign_native_id_is_kept_as_gdbh_and_the_case_id_travels_in_kzzd() -> None:
    order = rendered(hebei_case())
    assert order["gdbh"] == HEBEI_ID
    assert order["kzzd"] == {"jjj_case_id": f"jjj:HE:{HEBEI_ID}"}
    # Beijing's own pattern does not hold for a foreign number: our decoder refuses it as foreign.
    outcome = list(CODEC.decode(CODEC.encode([hebei_case()])))[0]
    assert isinstance(outcome, Rejected) and outcome.field == "gdbh"


def test_foreign_rendering_is_otherwise_a_valid_beijing_order() -> None:
    order = rendered(hebei_case())
    order["gdbh"] = "BJ2026112400009999"
    validate(order)  # the schema accepts it
    outcome = list(CODEC.decode(json.dumps(order, ensure_ascii=False).encode()))[0]
    assert isinstance(outcome, Accepted), outcome
    case = outcome.case
    assert case.kind == case_pb2.CASE_KIND_PETITION and case.channel == case_pb2.CHANNEL_PHONE
    assert case.requester.phone == "+863165551234"
    assert case.location.point.latitude == pytest.approx(39.95, abs=1e-6)
    assert case.location.point.longitude == pytest.approx(116.82, abs=1e-6)
    assert case.extensions["beijing.kzzd.jjj_case_id"] == f"jjj:HE:{HEBEI_ID}"


def test_foreign_coordinates_are_rendered_in_gcj02_whatever_the_source_used() -> None:
    zb = rendered(hebei_case())["sfdd"]["zb"]
    lng, lat = wgs84_to_gcj02(116.82, 39.95)
    assert zb == {"lng": round(lng, 6), "lat": round(lat, 6), "zbx": "GCJ02"}


def test_foreign_extensions_and_flags_are_not_written() -> None:
    text = CODEC.encode([hebei_case()]).decode("utf-8")
    assert "转北京" not in text and "hebei" not in text and "quality" not in text


def test_urgent_foreign_case_without_deadline_gets_beijings_urgent_limit() -> None:
    order = rendered(hebei_case())
    assert order["blsx"] == "2026-11-24 11:30:12"  # received 09:30:12 Beijing time + 2 hours
    case = hebei_case()
    case.due_at.FromSeconds(1795483812 + 86400)
    assert rendered(case)["blsx"] == "2026-11-25 09:30:12"


def test_foreign_case_without_admin_code_is_placed_at_its_province() -> None:
    case = hebei_case()
    case.location.admin_code = ""
    assert rendered(case)["sfdd"]["xzqh"] == "130000"


def test_anonymous_foreign_requester_stays_anonymous() -> None:
    case = hebei_case()
    case.requester.anonymous = True  # even if the case (wrongly) still names someone
    assert rendered(case)["sqr"] == {"xm": "", "zjlx": "", "zjhm": "", "lxdh": "", "xb": "9", "sfnm": True}


@pytest.mark.parametrize("status", list(case_pb2.Status.values()))
def test_every_status_renders(status: int) -> None:
    assert rendered(hebei_case(status=status))["zt"] in native_codes("zt")


@pytest.mark.parametrize("channel", list(case_pb2.Channel.values()))
def test_every_channel_renders(channel: int) -> None:
    assert rendered(hebei_case(channel=channel))["qdly"] in native_codes("qdly")


def test_tianjin_hotline_case_renders_without_petition_block() -> None:
    case = hebei_case(origin=case_pb2.JURISDICTION_TIANJIN, kind=case_pb2.CASE_KIND_HOTLINE_REQUEST,
                      case_id="jjj:TJ:TJ202611240001", native_id="TJ202611240001", urgency=case_pb2.URGENCY_NORMAL)
    case.ClearField("petition")
    order = rendered(case)
    assert order["ywlx"] == "RX" and "xfxx" not in order and "blsx" not in order
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", order["slsj"])


def test_case_without_received_time_cannot_be_rendered() -> None:
    case = hebei_case()
    case.ClearField("received_at")
    with pytest.raises(MappingError):
        case_to_native(case)
