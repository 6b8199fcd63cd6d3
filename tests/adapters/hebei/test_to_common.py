"""Hebei row -> case rules: ids, times, codes, requester, place, category, lists, petitions."""

from __future__ import annotations

import unicodedata

import pytest

from kernel.codec import MappingError
from adapters.hebei import from_common, to_common
from adapters.hebei.tables import HEADER
from jjj.case.v1 import case_pb2
from tests.adapters.hebei.support import HOTLINE_ROW, PETITION_ROW, row


def case_of(**cells: str) -> case_pb2.Case:
    return to_common.to_case(row(**cells))


def petition_of(**cells: str) -> case_pb2.Case:
    return to_common.to_case(row(PETITION_ROW, **cells))


def rejection(base=None, **cells: str) -> MappingError:
    with pytest.raises(MappingError) as caught:
        to_common.to_case(row(base, **cells))
    return caught.value


def assert_round_trip(source: dict[str, str]) -> case_pb2.Case:
    case = to_common.to_case(source)
    assert from_common.to_row(case) == source
    return case


# --- identity ------------------------------------------------------------------------------


def test_a_canonical_work_order_maps_every_column():
    case = assert_round_trip(HOTLINE_ROW)
    assert case.case_id == "jjj:HE:HB1310222026000123"
    assert case.origin == case_pb2.JURISDICTION_HEBEI and case.native_id == "HB1310222026000123"
    assert (case.kind, case.channel, case.request_type) == (
        case_pb2.CASE_KIND_HOTLINE_REQUEST,
        case_pb2.CHANNEL_PHONE,
        case_pb2.REQUEST_TYPE_COMPLAINT,
    )
    assert case.title == "工业园区道路破损"
    assert case.requester == case_pb2.Party(
        name="陈刚", id_type=case_pb2.ID_TYPE_RESIDENT_ID, id_number="131022198808081232", phone="+8613931600000"
    )
    assert case.category == case_pb2.Category(
        code="HOUSING.PROPERTY", source_code="A0101", source_name="物业服务", source_scheme="hebei-letter5"
    )
    assert case.urgency == case_pb2.URGENCY_NORMAL and case.status == case_pb2.STATUS_DISPATCHED
    assert not case.HasField("petition") and not case.HasField("feedback")
    assert list(case.quality_flags) == [] and dict(case.extensions) == {}


@pytest.mark.parametrize(
    "native_id",
    [
        "BJ2026112400001",
        "TJ-2026-000001",
        "2026112400001",
        "HB13102220260001",
        "HB131022202600012X",
        "hb1310222026000123",
        "",
    ],
)
def test_a_foreign_or_malformed_id_is_rejected_naming_件号(native_id):
    assert rejection(件号=native_id).field == "件号"


# --- times ----------------------------------------------------------------------------------


def test_times_are_beijing_time_converted_to_utc():
    case = case_of(登记时间="2026/1/2 0:05", 办理期限="2026/12/31 23:59")
    assert case.received_at.ToJsonString() == "2026-01-01T16:05:00Z"
    assert case.due_at.ToJsonString() == "2026-12-31T15:59:00Z"


@pytest.mark.parametrize("column", ["登记时间", "办理期限"])
@pytest.mark.parametrize(
    "value", ["2026/2/30 9:05", "2026/13/1 9:05", "2026/11/24 24:00", "2026-11-24 09:05", "2026/11/24", "昨天"]
)
def test_impossible_or_misformatted_times_are_rejected(column, value):
    error = rejection(**{column: value})
    assert error.field == column


def test_a_leading_zero_time_is_accepted_and_its_spelling_kept():
    case = assert_round_trip(row(登记时间="2026/11/24 09:05"))
    assert case.received_at.ToJsonString() == "2026-11-24T01:05:00Z"
    assert case.extensions["hebei.登记时间"] == "2026/11/24 09:05"


def test_an_empty_deadline_is_absent():
    case = assert_round_trip(row(办理期限=""))
    assert not case.HasField("due_at")


# --- closed lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, value",
    [
        ("类别", "普通件"),
        ("来源渠道", "电话"),
        ("诉求类型", "抱怨"),
        ("紧急程度", "很急"),
        ("办理状态", "已完成"),
        ("证件类型", "军官证"),
        ("回访满意度", "很好"),
        ("是否匿名", "Y"),
        ("是否联系", "1"),
    ],
)
def test_a_value_outside_a_closed_list_is_rejected_naming_the_column(column, value):
    error = rejection(**{column: value})
    assert error.field == column and value in error.reason


@pytest.mark.parametrize("column", ["件号", "类别", "来源渠道", "诉求类型", "内容", "是否匿名", "区县代码", "分类代码", "紧急程度", "登记时间", "办理状态"])
@pytest.mark.parametrize("value", ["", "  "])
def test_a_required_column_left_empty_is_rejected(column, value):
    error = rejection(**{column: value})
    assert error.field == column


def test_blanks_around_a_code_are_tolerated_and_kept():
    case = assert_round_trip(row(紧急程度=" 特急 ", 办理状态="已办结\t"))
    assert case.urgency == case_pb2.URGENCY_CRITICAL and case.status == case_pb2.STATUS_CLOSED
    assert case.extensions["hebei.紧急程度"] == " 特急 "


@pytest.mark.parametrize(
    "native, status",
    [
        ("登记", "STATUS_REGISTERED"),
        ("已转办", "STATUS_REFERRED"),
        ("已退回", "STATUS_RETURNED"),
        ("已回访", "STATUS_EVALUATED"),
        ("复查中", "STATUS_REVIEW_REQUESTED"),
        ("已复查", "STATUS_REVIEWED"),
        ("复核中", "STATUS_RECHECK_REQUESTED"),
        ("已复核", "STATUS_RECHECKED"),
    ],
)
def test_every_status_maps(native, status):
    assert case_pb2.Status.Name(assert_round_trip(row(办理状态=native)).status) == status


# --- requester ------------------------------------------------------------------------------


def test_a_lower_case_check_digit_is_upper_cased_and_its_spelling_kept():
    case = assert_round_trip(row(证件号码="13102219880808123x"))
    assert case.requester.id_number == "13102219880808123X"
    assert case.extensions["hebei.证件号码"] == "13102219880808123x"
    assert "requester.id_number:checksum" in case.quality_flags  # ...2 is the right check digit here


def test_a_wrong_check_digit_is_flagged_not_rejected():
    case = assert_round_trip(row(证件号码="131022198808081233"))
    assert case.requester.id_number == "131022198808081233"
    assert list(case.quality_flags) == ["requester.id_number:checksum"]


def test_a_passport_number_is_not_checksummed():
    case = assert_round_trip(row(证件类型="护照", 证件号码="E12345678"))
    assert case.requester.id_type == case_pb2.ID_TYPE_PASSPORT and list(case.quality_flags) == []


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("139 3160 0000", "+8613931600000"),
        ("139-3160-0000", "+8613931600000"),
        ("１３９３１６０００００", "+8613931600000"),
        ("０３１６－５５５１２３４", "+863165551234"),
        ("0316-5551234", "+863165551234"),
        ("(0316)5551234", "+863165551234"),
        ("010 12345678", "+861012345678"),
        ("+852 9123 4567", "+85291234567"),
    ],
)
def test_phone_spellings_become_e164_and_round_trip(raw, e164):
    case = assert_round_trip(row(联系电话=raw))
    assert case.requester.phone == e164
    assert list(case.quality_flags) == []


def test_canonical_phones_need_no_kept_spelling():
    assert dict(to_common.to_case(row(联系电话="0316-5551234")).extensions) == {}
    assert dict(to_common.to_case(row(联系电话="13931600000")).extensions) == {}


def test_an_invalid_phone_is_kept_and_flagged():
    case = assert_round_trip(row(联系电话="12345"))
    assert case.requester.phone == "12345"
    assert list(case.quality_flags) == ["requester.phone:invalid"]


def test_an_anonymous_requester_carries_no_identity():
    case = assert_round_trip(row(是否匿名="是", 姓名="", 证件类型="", 证件号码="", 联系电话=""))
    assert case.requester == case_pb2.Party(anonymous=True)


def test_identity_on_an_anonymous_row_is_dropped_and_flagged():
    case = case_of(是否匿名="是")
    assert case.requester == case_pb2.Party(anonymous=True)
    assert list(case.quality_flags) == ["requester.anonymous:identity_dropped"]
    assert not any(value in {"陈刚", "13931600000", "131022198808081232"} for value in case.extensions.values())


# --- location -------------------------------------------------------------------------------


def test_cgcs2000_coordinates_are_wgs84_and_say_so():
    location = assert_round_trip(HOTLINE_ROW).location
    assert (location.point.longitude, location.point.latitude) == (116.2988, 39.4384)
    assert location.source_crs == case_pb2.CRS_CGCS2000


def test_no_coordinates_no_point_and_no_crs():
    location = assert_round_trip(row(经度="", 纬度="")).location
    assert not location.HasField("point") and location.source_crs == case_pb2.CRS_UNSPECIFIED


def test_trailing_zeros_of_a_coordinate_are_kept():
    case = assert_round_trip(row(经度="116.8200", 纬度="39.9500"))
    assert case.location.point.longitude == 116.82
    assert case.extensions["hebei.经度"] == "116.8200" and case.extensions["hebei.纬度"] == "39.9500"


@pytest.mark.parametrize(
    "lng, lat", [("116.3", ""), ("东经116度", "39.4"), ("116.3", "95"), ("nan", "39.4"), ("1e2", "39.4")]
)
def test_an_unusable_coordinate_is_flagged_and_kept(lng, lat):
    case = assert_round_trip(row(经度=lng, 纬度=lat))
    assert not case.location.HasField("point")
    assert list(case.quality_flags) == ["location.point:invalid"]


def test_a_point_outside_mainland_china_is_flagged():
    case = assert_round_trip(row(经度="114.17", 纬度="22.30"))  # Hong Kong
    assert case.location.HasField("point")
    assert list(case.quality_flags) == ["location.point:outside_mainland"]


def test_an_unknown_admin_code_is_flagged_and_kept():
    case = assert_round_trip(row(区县代码="139999"))
    assert case.location.admin_code == "139999"
    assert list(case.quality_flags) == ["location.admin_code:unknown"]


def test_a_full_width_admin_code_is_folded():
    case = assert_round_trip(row(区县代码="１３１０２２"))
    assert case.location.admin_code == "131022" and list(case.quality_flags) == []


# --- category -------------------------------------------------------------------------------


def test_an_unknown_category_code_is_other_and_flagged_with_source_kept():
    case = assert_round_trip(row(分类代码="X0001", 分类名称="新类别"))
    assert case.category == case_pb2.Category(
        code="OTHER", source_code="X0001", source_name="新类别", source_scheme="hebei-letter5"
    )
    assert list(case.quality_flags) == ["category:unknown_code"]


def test_an_empty_category_name_stays_empty():
    assert assert_round_trip(row(分类名称="")).category.source_name == ""


# --- handlers, trail, attachments -------------------------------------------------------------


def test_handlers_and_trail_are_parsed():
    case = assert_round_trip(HOTLINE_ROW)
    assert [(u.code, u.name) for u in case.handlers] == [("GA001", "固安县住建局"), ("GA002", "固安县交通局")]
    assert [(e.at.ToJsonString(), e.action, e.actor, e.note) for e in case.history] == [
        ("2026-11-24T01:05:00Z", "登记", "话务员12", ""),
        ("2026-11-24T01:20:00Z", "交办", "调度员3", "请住建局牵头"),
    ]


@pytest.mark.parametrize(
    "cell", ["GA001：固安县住建局", "固安县住建局", "GA001:固安县住建局；", "；GA001:固安县住建局"]
)
def test_odd_handler_spellings_are_read_and_kept(cell):
    case = assert_round_trip(row(承办单位=cell))
    assert [u.name for u in case.handlers] == ["固安县住建局"]
    assert case.extensions["hebei.承办单位"] == cell


def test_a_trail_note_may_hold_a_bar_and_short_entries_are_padded():
    case = assert_round_trip(row(流转记录="2026/11/24 9:05|登记|话务员12|备注|含竖线；2026/11/24 9:20|交办"))
    assert [(e.action, e.actor, e.note) for e in case.history] == [("登记", "话务员12", "备注|含竖线"), ("交办", "", "")]


@pytest.mark.parametrize("cell", ["昨天|登记|话务员|", "2026/2/30 9:05|登记|话务员|", "|登记|话务员|"])
def test_a_trail_time_not_in_the_format_is_rejected(cell):
    assert rejection(流转记录=cell).field == "流转记录"


def test_attachments_are_parsed_with_a_media_type():
    sha = "AB" * 32
    case = assert_round_trip(row(附件=f"备案表.pdf|{sha}|https://files.example.he/1|x；照片.jpg||"))
    first, second = case.attachments
    assert (first.name, first.media_type, first.sha256) == ("备案表.pdf", "application/pdf", "ab" * 32)
    assert first.uri == "https://files.example.he/1|x"
    assert (second.name, second.media_type, second.sha256) == ("照片.jpg", "image/jpeg", "")
    assert list(case.quality_flags) == []


def test_a_malformed_attachment_hash_is_flagged():
    case = assert_round_trip(row(附件="a.pdf|not-a-hash|https://x"))
    assert list(case.quality_flags) == ["attachments.sha256:invalid"]


# --- feedback -------------------------------------------------------------------------------


def test_empty_follow_up_cells_are_unknown_not_no():
    case = assert_round_trip(row(是否联系="", 是否解决="否", 回访满意度=""))
    assert not case.feedback.HasField("contacted")
    assert case.feedback.HasField("resolved") and case.feedback.resolved is False
    assert case.feedback.satisfaction == case_pb2.SATISFACTION_UNSPECIFIED


def test_follow_up_cells():
    feedback = assert_round_trip(row(是否联系="是", 是否解决="是", 回访满意度="基本满意")).feedback
    assert (feedback.contacted, feedback.resolved, feedback.satisfaction) == (
        True,
        True,
        case_pb2.SATISFACTION_BASICALLY_SATISFIED,
    )


# --- petitions ------------------------------------------------------------------------------


def test_a_petition_maps_its_details():
    case = assert_round_trip(PETITION_ROW)
    assert case.kind == case_pb2.CASE_KIND_PETITION
    assert case.petition == case_pb2.PetitionDetails(
        form=case_pb2.PETITION_FORM_VISIT,
        participants=20,
        bypassed_level=False,
        repeat=True,
        first_time=False,
        purpose=case_pb2.PETITION_PURPOSE_RESOLUTION,
    )


@pytest.mark.parametrize("column", ["信访形式", "信访人数", "是否越级", "是否重复", "是否初信初访", "信访目的"])
def test_petition_columns_are_required_for_a_petition(column):
    assert rejection(PETITION_ROW, **{column: ""}).field == column


@pytest.mark.parametrize(
    "column, value",
    [("信访形式", "来电"), ("信访人数", "二十"), ("信访人数", "-3"), ("信访人数", "99999999999"), ("是否越级", "不是"), ("信访目的", "上访")],
)
def test_bad_petition_values_are_rejected(column, value):
    assert rejection(PETITION_ROW, **{column: value}).field == column


def test_petition_cells_on_a_work_order_go_to_extensions():
    case = assert_round_trip(row(信访形式="来信", 信访人数="3"))
    assert not case.HasField("petition")
    assert case.extensions["hebei.信访形式"] == "来信" and case.extensions["hebei.信访人数"] == "3"


# --- text -----------------------------------------------------------------------------------


def test_content_is_nfc_and_the_original_spelling_kept():
    decomposed = unicodedata.normalize("NFD", "Café 咖啡馆")
    case = assert_round_trip(row(内容=decomposed))
    assert case.content == "Café 咖啡馆"
    assert case.extensions["hebei.内容"] == decomposed


def test_content_is_otherwise_never_rewritten():
    text = "  全角ＡＢＣ１２３，\t繁體字 \r\n第二行  "
    assert assert_round_trip(row(内容=text)).content == text


@pytest.mark.parametrize("column", ["办理期限", "是否联系", "回访满意度", "证件类型", "经度"])
def test_blank_optional_cells_round_trip_as_they_were(column):
    source = row(**{column: " "}, **({"纬度": ""} if column == "经度" else {}))
    case = assert_round_trip(source)
    assert list(case.quality_flags) == []


def test_every_column_is_covered_by_to_row():
    assert list(from_common.to_row(to_common.to_case(HOTLINE_ROW))) == list(HEADER)
