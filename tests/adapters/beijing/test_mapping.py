"""Beijing mapping rules, one behaviour per test (SPEC.md + COMMON_MODEL.md)."""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest

from adapters.beijing import CODEC
from adapters.beijing.from_common import case_to_native
from adapters.beijing.to_common import map_to_case
from kernel.codec import Accepted, MappingError, Rejected
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS

CHAOYANG = JURISDICTIONS / "beijing/samples/valid/bj_rx_complaint_chaoyang.json"
PETITION = JURISDICTIONS / "beijing/samples/valid/bj_xf_petition_visit.json"


def order(path=CHAOYANG, **changes: Any) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    for key, new in changes.items():
        if new is ...:
            value.pop(key, None)
        else:
            value[key] = new
    return value


def decode_one(obj: Any) -> Accepted | Rejected:
    outcomes = list(CODEC.decode(json.dumps(obj, ensure_ascii=False).encode("utf-8")))
    assert len(outcomes) == 1
    return outcomes[0]


def accepted(obj: Any) -> case_pb2.Case:
    outcome = decode_one(obj)
    assert isinstance(outcome, Accepted), outcome
    return outcome.case


def rejected(obj: Any) -> Rejected:
    outcome = decode_one(obj)
    assert isinstance(outcome, Rejected), outcome
    return outcome


def round_trips(obj: dict[str, Any]) -> bool:
    case = accepted(obj)
    return json.dumps(case_to_native(case), sort_keys=True) == json.dumps(obj, sort_keys=True)


# --- rejections ----------------------------------------------------------------------------


REQUIRED = ["gdbh", "bbh", "ywlx", "qdly", "sqlx", "sqnr", "sqr", "sfdd", "fl", "jjcd", "slsj", "zt"]
IMPOSSIBLE_TIMES = ["2026-02-30 10:00:00", "2026-11-24 24:00:00", "2026-11-24 10:60:00", "2025-02-29 00:00:00"]
MALFORMED_TIMES = ["2026-11-24T09:30:12", "2026-11-24 9:30:12", "2026/11/24 09:30:12", "2026-11-24", "20261124093012"]


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_field_is_rejected_naming_it(field: str) -> None:
    assert rejected(order(**{field: ...})).field == field


@pytest.mark.parametrize("field", ["gdbh", "sqnr", "slsj", "qdly"])
def test_empty_or_null_required_field_is_rejected_naming_it(field: str) -> None:
    assert rejected(order(**{field: ""})).field == field
    assert rejected(order(**{field: None})).field == field


def test_blank_content_is_rejected() -> None:
    assert rejected(order(sqnr=" \n\u3000")).field == "sqnr"


@pytest.mark.parametrize(
    "gdbh", ["TJ2026112400005500", "HE2026112400005500", "BJ202611240000550", "bj2026112400005500"]
)
def test_work_order_number_of_another_jurisdiction_or_shape_is_rejected(gdbh: str) -> None:
    assert rejected(order(gdbh=gdbh)).field == "gdbh"


@pytest.mark.parametrize(
    ("field", "value"),
    [("qdly", "09"), ("sqlx", "XX"), ("zt", "99"), ("jjcd", "4"), ("ywlx", "ZZ")],
)
def test_code_outside_closed_list_is_rejected_naming_the_field(field: str, value: str) -> None:
    rejection = rejected(order(**{field: value}))
    assert rejection.field == field and "code list" in rejection.reason


def test_unknown_id_type_and_petition_codes_are_rejected() -> None:
    base = order()
    base["sqr"]["zjlx"] = "999"
    assert rejected(base).field == "sqr.zjlx"
    petition = order(PETITION)
    petition["xfxx"]["xfxs"] = "7"
    assert rejected(petition).field == "xfxx.xfxs"
    petition = order(PETITION)
    petition["xfxx"]["xfmd"] = "5"
    assert rejected(petition).field == "xfxx.xfmd"
    followed = order(hf={"sflx": True, "myd": "4"})
    assert rejected(followed).field == "hf.myd"


@pytest.mark.parametrize("slsj", IMPOSSIBLE_TIMES)
def test_impossible_time_is_rejected_naming_the_field(slsj: str) -> None:
    assert rejected(order(slsj=slsj)).field == "slsj"
    assert rejected(order(blsx=slsj)).field == "blsx"


@pytest.mark.parametrize("slsj", MALFORMED_TIMES)
def test_time_not_in_the_spec_format_is_rejected(slsj: str) -> None:
    assert rejected(order(slsj=slsj)).field == "slsj"


def test_history_time_is_checked_too() -> None:
    base = order()
    base["lz"][1]["sj"] = "2026-11-31 09:41:05"
    assert rejected(base).field == "lz[1].sj"


@pytest.mark.parametrize("jjcd", ["2", "3"])
def test_urgent_order_without_deadline_is_rejected_by_beijings_rule(jjcd: str) -> None:
    assert rejected(order(jjcd=jjcd, blsx=...)).field == "blsx"
    assert rejected(order(jjcd=jjcd, blsx="")).field == "blsx"
    assert accepted(order(jjcd=jjcd)).urgency in (case_pb2.URGENCY_URGENT, case_pb2.URGENCY_CRITICAL)


def test_petition_needs_xfxx_except_in_version_3_1() -> None:
    assert rejected(order(PETITION, xfxx=...)).field == "xfxx"
    old = accepted(order(PETITION, xfxx=..., bbh="3.1"))
    assert old.kind == case_pb2.CASE_KIND_PETITION and not old.HasField("petition")
    assert round_trips(order(PETITION, xfxx=..., bbh="3.1"))


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("sqr", "sfnm"), "false", "sqr.sfnm"),
        (("sqr", "xm"), 12, "sqr.xm"),
        (("sfdd", "zb", "lng"), "116.4", "sfdd.zb.lng"),
        (("sfdd", "zb", "lat"), True, "sfdd.zb.lat"),
        (("sfdd", "xzqh"), "11010", "sfdd.xzqh"),
        (("fl", "yj"), "", "fl.yj"),
        (("cbdw",), {"dwbm": "x"}, "cbdw"),
    ],
)
def test_wrong_json_type_or_shape_is_rejected_naming_the_path(path: tuple[str, ...], value: Any, field: str) -> None:
    base = order()
    target = base
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert rejected(base).field == field


def test_out_of_range_numbers_are_rejected() -> None:
    petition = order(PETITION)
    petition["xfxx"]["rs"] = 2**31
    assert rejected(petition).field == "xfxx.rs"
    petition["xfxx"]["rs"] = -1
    assert rejected(petition).field == "xfxx.rs"
    attached = order(fj=[{"wjm": "a", "dx": -5}])
    assert rejected(attached).field == "fj[0].dx"


def test_non_object_records_are_rejected() -> None:
    outcomes = list(CODEC.decode(b'[1, "x", null, [], {}]'))
    assert [type(o) for o in outcomes] == [Rejected] * 5
    assert [o.record for o in outcomes] == [0, 1, 2, 3, 4]
    assert outcomes[0].field == "json"


def test_map_to_case_raises_mapping_error_directly() -> None:
    with pytest.raises(MappingError) as error:
        map_to_case(order(gdbh=...), b"{}")
    assert error.value.field == "gdbh"


# --- mapping -------------------------------------------------------------------------------


def test_times_are_beijing_time_converted_to_utc() -> None:
    case = accepted(order(slsj="2026-01-01 07:59:59", blsx="2026-01-01 08:00:00"))
    assert case.received_at.ToJsonString() == "2025-12-31T23:59:59Z"
    assert case.due_at.ToJsonString() == "2026-01-01T00:00:00Z"
    assert case.history[1].at.ToJsonString() == "2026-11-24T01:41:05Z"


def test_empty_optional_times_mean_no_time_and_render_back() -> None:
    base = order(blsx="")
    base["lz"][0]["sj"] = ""
    case = accepted(base)
    assert not case.HasField("due_at") and not case.history[0].HasField("at")
    assert round_trips(base)


def test_requester_is_normalised_and_raw_spellings_kept() -> None:
    base = order()
    base["sqr"].update(zjhm="１１０１０５ 1985 0312 123x", lxdh="010 6512 3456")
    case = accepted(base)
    assert case.requester.id_number == "11010519850312123X"
    assert case.requester.phone == "+861065123456"
    assert case.extensions["beijing.sqr.lxdh"] == "010 6512 3456"
    assert round_trips(base)


def test_beijing_landline_without_area_code() -> None:
    base = order()
    base["sqr"]["lxdh"] = "65123456"
    assert accepted(base).requester.phone == "+861065123456"


def test_anonymous_requester_carries_nothing_else() -> None:
    case = accepted(order(JURISDICTIONS / "beijing/samples/valid/bj_rx_anonymous_web.json"))
    assert case.requester == case_pb2.Party(anonymous=True)
    assert "beijing.sqr.xb" in case.extensions


def test_anonymous_order_that_names_a_person_drops_the_identity_everywhere() -> None:
    base = order()
    base["sqr"]["sfnm"] = True
    case = accepted(base)
    assert case.requester == case_pb2.Party(anonymous=True)
    assert "requester.anonymous:identity_dropped" in case.quality_flags
    text = case.SerializeToString()
    for value in ("张伟".encode(), b"110105198503121234", b"13800138000"):
        assert value not in text
    assert case_to_native(case)["sqr"] == {"xm": "", "zjlx": "", "zjhm": "", "lxdh": "", "xb": "1", "sfnm": True}


def test_content_is_nfc_and_original_spelling_is_kept() -> None:
    decomposed = unicodedata.normalize("NFD", "Café 诉求")
    case = accepted(order(sqnr=decomposed))
    assert case.content == unicodedata.normalize("NFC", decomposed)
    assert round_trips(order(sqnr=decomposed))


def test_full_width_codes_are_folded_and_kept_raw() -> None:
    base = order(qdly="０４", zt=" 30 ")
    base["sfdd"]["xzqh"] = "１１０１０５"
    base["fl"] = {"yj": "０１", "ej": "０１０１", "sj": "０１０１０１"}
    case = accepted(base)
    assert case.channel == case_pb2.CHANNEL_APP and case.status == case_pb2.STATUS_IN_PROGRESS
    assert case.location.admin_code == "110105"
    assert case.category.source_code == "010101" and case.category.code == "HOUSING.PROPERTY"
    assert round_trips(base)


def test_category_is_the_most_specific_level_and_the_others_are_extensions() -> None:
    case = accepted(order())
    assert (case.category.source_code, case.category.source_name) == ("010101", "物业服务质量")
    assert case.category.source_scheme == "beijing-3level"
    assert case.extensions["beijing.fl.yj"] == "01" and case.extensions["beijing.fl.ej"] == "0101"
    two_levels = accepted(order(fl={"yj": "05", "ej": "0501", "sj": ""}))
    assert two_levels.category.source_code == "0501"
    assert round_trips(order(fl={"yj": "05", "ej": "0501", "sj": ""}))


def test_unknown_category_is_flagged_not_rejected() -> None:
    case = accepted(order(fl={"yj": "88", "ej": "8801", "sj": "880199"}))
    assert case.category.source_code == "880199"
    assert "category:unknown_code" in case.quality_flags


def test_coordinates_are_converted_to_wgs84_and_source_crs_kept() -> None:
    case = accepted(order())
    assert case.location.source_crs == case_pb2.CRS_GCJ02
    assert case.location.point.latitude == pytest.approx(39.907377, abs=5e-5)
    assert case.location.point.longitude == pytest.approx(116.463963, abs=5e-5)
    assert case.extensions["beijing.sfdd.zb.zbx"] == "GCJ02"


def test_point_outside_mainland_and_unknown_admin_code_are_flagged() -> None:
    base = order()
    base["sfdd"] = {"xzqh": "999999", "dz": "Paris", "zb": {"lng": 2.3522, "lat": 48.8566, "zbx": "GCJ02"}}
    case = accepted(base)
    assert "location.point:outside_mainland" in case.quality_flags
    assert "location.admin_code:unknown" in case.quality_flags
    assert round_trips(base)


def test_unknown_coordinate_system_keeps_raw_coordinates_without_point() -> None:
    base = order()
    base["sfdd"]["zb"]["zbx"] = "MERCATOR"
    case = accepted(base)
    assert not case.location.HasField("point")
    assert "location.point:unknown_crs" in case.quality_flags
    assert round_trips(base)


def test_other_named_coordinate_system_is_converted_and_rendered_back() -> None:
    base = order()
    base["sfdd"]["zb"] = {"lng": 116.4701, "lat": 39.9087, "zbx": "WGS84"}
    case = accepted(base)
    assert case.location.source_crs == case_pb2.CRS_WGS84
    assert case.location.point.longitude == 116.4701
    assert round_trips(base)


def test_handlers_history_feedback_attachments_petition() -> None:
    base = order(
        hf={"sflx": True, "sfjj": False, "myd": "2"},
        fj=[{"wjm": "a.jpg", "lx": "image/jpeg", "dx": 12, "sha256": "AB" * 32, "url": "https://x/a"}],
    )
    case = accepted(base)
    assert [(u.code, u.name) for u in case.handlers] == [("BJ0105001", "朝阳区建外街道办事处")]
    assert [(e.action, e.actor, e.note) for e in case.history] == [
        ("受理", "话务员0123", ""), ("派单", "派单员07", "请街道督促物业清运")
    ]
    assert case.feedback.HasField("contacted") and case.feedback.contacted
    assert case.feedback.HasField("resolved") and not case.feedback.resolved
    assert case.feedback.satisfaction == case_pb2.SATISFACTION_BASICALLY_SATISFIED
    assert case.attachments[0].sha256 == "ab" * 32 and case.attachments[0].size_bytes == 12
    assert round_trips(base)
    unknown = accepted(order(hf={}))
    assert unknown.HasField("feedback") and not unknown.feedback.HasField("contacted")
    petition = accepted(order(PETITION))
    assert petition.petition == case_pb2.PetitionDetails(
        form=case_pb2.PETITION_FORM_VISIT, participants=5, bypassed_level=True, repeat=True,
        first_time=False, purpose=case_pb2.PETITION_PURPOSE_RESOLUTION,
    )


def test_unknown_fields_kzzd_and_odd_values_are_kept_losslessly() -> None:
    base = order(
        kzzd={"wyfw": "粤语", "n": 3, "nested": {"a": [1, 2.5, None]}, "a.b%c": "dots", "@x": True},
        xzzd2027="future field",
        bt=None,
        cbdw=[],
    )
    base["sqr"]["bz"] = {"note": "unknown nested field"}
    base["sfdd"]["zb"]["lng"] = 116  # an int where the rendering writes a float
    del base["sqr"]["xb"]
    case = accepted(base)
    assert case.extensions["beijing.kzzd.wyfw"] == "粤语"
    assert case.extensions["beijing.kzzd.n"] == "3"
    assert json.loads(case.extensions["beijing.kzzd.nested"]) == {"a": [1, 2.5, None]}
    assert case.extensions["beijing.kzzd.a%2Eb%25c"] == "dots"
    assert case.extensions["beijing.xzzd2027"] == "future field"
    assert json.loads(case.extensions["beijing.@absent"]) == ["sqr.xb"]
    assert round_trips(base)


def test_case_to_native_needs_what_every_order_has() -> None:
    case = accepted(order())
    for field in ("native_id", "content", "received_at"):
        broken = copy.deepcopy(case)
        broken.ClearField(field)
        with pytest.raises(MappingError) as error:
            case_to_native(broken)
        assert error.value.field == field


def test_time_beyond_what_beijing_can_write_is_a_mapping_error() -> None:
    case = accepted(order())
    case.received_at.seconds = 2**40
    with pytest.raises(MappingError):
        case_to_native(case)


def test_stale_or_hand_edited_extensions_never_break_rendering() -> None:
    case = accepted(order())
    case.extensions["beijing.@absent"] = "not json"
    case.extensions["beijing.@json"] = '["kzzd.x"]'
    case.extensions["beijing.kzzd.x"] = "{broken"
    case.extensions["beijing.lz.7.sj"] = "out of range"
    case.extensions["beijing.gdbh.deeper"] = "under a string"
    rendered = case_to_native(case)
    assert rendered["kzzd"] == {"x": "{broken"}
    assert rendered["gdbh"] == case.native_id
