"""Rendering cases as a Hebei CSV: the file's shape, and cases from Beijing and Tianjin."""

from __future__ import annotations

import csv
import io

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import Accepted, Rejected
from kernel.normalize.taxonomy import source_code_for
from adapters.hebei import from_common, renderer, to_common
from adapters.hebei.tables import HEADER
from jjj.case.v1 import case_pb2
from tests.adapters.hebei.support import HOTLINE_ROW, PETITION_ROW, codec, row, without_provenance


def ts(text: str) -> Timestamp:
    timestamp = Timestamp()
    timestamp.FromJsonString(text)
    return timestamp


def beijing_case() -> case_pb2.Case:
    """A case as the Beijing codec would give it: Beijing's ids, scheme, extensions."""
    return case_pb2.Case(
        case_id="jjj:BJ:BJ20261124000017",
        origin=case_pb2.JURISDICTION_BEIJING,
        native_id="BJ20261124000017",
        kind=case_pb2.CASE_KIND_HOTLINE_REQUEST,
        channel=case_pb2.CHANNEL_PUBLIC_SUGGESTION,
        request_type=case_pb2.REQUEST_TYPE_SUGGESTION,
        title="建议增开通勤班车",
        content="建议增开燕郊到国贸的通勤班车，早高峰排队太久。",
        requester=case_pb2.Party(
            name="王芳", id_type=case_pb2.ID_TYPE_RESIDENT_ID, id_number="11010519491231002X", phone="+861012345678"
        ),
        location=case_pb2.Location(
            admin_code="131082",
            street_code="131082100",
            address="三河市燕郊镇",
            point=case_pb2.Point(latitude=39.9501234567, longitude=116.8212345678),
            source_crs=case_pb2.CRS_GCJ02,
        ),
        category=case_pb2.Category(
            code="TRANSPORT.PUBLIC", source_code="020105", source_name="公交线路", source_scheme="beijing-3level"
        ),
        urgency=case_pb2.URGENCY_UNSPECIFIED,
        received_at=ts("2026-11-24T01:05:42Z"),
        due_at=ts("2026-12-01T01:05:00Z"),
        status=case_pb2.STATUS_RECEIVED,
        handlers=[case_pb2.Unit(code="BJ:CY01", name="朝阳区交通委；运输科", role="main")],
        history=[
            case_pb2.Event(at=ts("2026-11-24T01:05:42Z"), action="登记|受理", actor="话务员", note="备注；含分号"),
            case_pb2.Event(action="转办", actor="调度", note=""),
        ],
        feedback=case_pb2.Feedback(contacted=True),
        attachments=[
            case_pb2.Attachment(
                name="a|b.png", media_type="image/png", size_bytes=10, sha256="cd" * 32, uri="https://x/1；2"
            )
        ],
        extensions={"beijing.sfdd.jd": "朝阳路", "beijing.lxdh_bz": "晚上联系"},
    )


def tianjin_petition() -> case_pb2.Case:
    return case_pb2.Case(
        case_id="jjj:TJ:TJ2026112400099",
        origin=case_pb2.JURISDICTION_TIANJIN,
        native_id="TJ2026112400099",
        kind=case_pb2.CASE_KIND_PETITION,
        channel=case_pb2.CHANNEL_REFERRAL,
        request_type=case_pb2.REQUEST_TYPE_REPORT,
        content="反映某工地夜间施工扰民。",
        requester=case_pb2.Party(anonymous=True),
        location=case_pb2.Location(admin_code="120101"),
        category=case_pb2.Category(code="ENV.NOISE", source_code="0401", source_scheme="tianjin-4digit"),
        urgency=case_pb2.URGENCY_CRITICAL,
        received_at=ts("2026-11-23T16:00:00Z"),
        status=case_pb2.STATUS_NOT_ACCEPTED,
        petition=case_pb2.PetitionDetails(
            form=case_pb2.PETITION_FORM_UNSPECIFIED,
            participants=3,
            first_time=True,
            purpose=case_pb2.PETITION_PURPOSE_ACCUSATION,
        ),
    )


def read_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("gb18030"), newline="")))


# --- the file --------------------------------------------------------------------------------


def test_the_file_is_gb18030_with_the_header_and_crlf():
    data = codec().encode([to_common.to_case(HOTLINE_ROW), to_common.to_case(PETITION_ROW)])
    text = data.decode("gb18030")
    assert text.startswith(",".join(HEADER) + "\r\n")
    assert text.count("\r\n") == 3 and "\n" not in text.replace("\r\n", "")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GB18030, no BOM
    assert read_rows(data)[1] == [HOTLINE_ROW[name] for name in HEADER]


def test_cells_that_need_it_are_double_quoted():
    content = '他说："路坏了"，又说, 还有\r\n第二行'
    data = codec().encode([to_common.to_case(row(内容=content))])
    assert '"他说：""路坏了""，又说, 还有\r\n第二行"'.encode("gb18030") in data
    assert read_rows(data)[1][HEADER.index("内容")] == content


def test_characters_outside_gbk_survive_in_gb18030():
    content = "𠀀𪚥 emoji 🙂 and ½ — all of Unicode"
    (case,), rejected = codec().decode_all(codec().encode([to_common.to_case(row(内容=content))]))
    assert rejected == [] and case.content == content


def test_no_cases_is_just_the_header():
    assert codec().encode([]) == (",".join(HEADER) + "\r\n").encode("gb18030")


def test_render_to_writes_the_same_bytes_in_chunks():
    cases = [to_common.to_case(row(件号=f"HB131022202600{i:04d}")) for i in range(1_200)]
    target = io.BytesIO()
    codec().encode_to(cases, target)
    assert target.getvalue() == codec().encode(cases)
    assert len(list(renderer.render_chunks(map(from_common.to_row, cases)))) > 1


# --- foreign cases ------------------------------------------------------------------------------


def test_a_beijing_case_renders_as_a_valid_hebei_row_with_hebei_codes():
    cells = from_common.to_row(beijing_case())
    assert cells["件号"] == "BJ20261124000017"  # the receiver also gets case_id in the envelope
    assert cells["类别"] == "热线工单"
    assert cells["来源渠道"] == "网站"  # public suggestion has no Hebei channel
    assert cells["诉求类型"] == "建议"
    assert cells["紧急程度"] == "一般"  # unspecified
    assert cells["办理状态"] == "已交办"  # signed for: still with the handling unit
    assert cells["区县代码"] == "131082"
    assert (cells["分类代码"], cells["分类名称"]) == ("B0201", "公交线路")
    assert cells["分类代码"] == source_code_for("hebei-letter5", "TRANSPORT.PUBLIC")
    assert cells["联系电话"] == "010-12345678"
    assert cells["证件号码"] == "11010519491231002X"
    assert cells["登记时间"] == "2026/11/24 9:05"  # Hebei keeps minutes only
    assert cells["承办单位"] == "BJ：CY01:朝阳区交通委;运输科"
    assert cells["流转记录"] == "2026/11/24 9:05|登记｜受理|话务员|备注;含分号；2026/11/24 9:05|转办|调度|"
    assert cells["是否联系"] == "是" and cells["是否解决"] == ""
    assert cells["附件"] == "a｜b.png|" + "cd" * 32 + "|https://x/1%EF%BC%9B2"
    assert all(cells[name] == "" for name in ("信访形式", "信访人数", "是否越级", "是否重复", "是否初信初访", "信访目的"))


def test_a_rendered_foreign_case_is_refused_by_hebei_only_for_its_id():
    data = codec().encode([beijing_case()])
    (outcome,) = codec().decode(data)
    assert isinstance(outcome, Rejected) and outcome.field == "件号"


def test_a_rendered_foreign_case_reads_back_as_the_same_matter():
    cells = from_common.to_row(beijing_case()) | {"件号": "HB1310822026009999"}
    (outcome,) = codec().decode(codec().encode(c for c in [to_common.to_case(cells)]))
    assert isinstance(outcome, Accepted)
    case = outcome.case
    original = beijing_case()
    assert case.content == original.content and case.title == original.title
    assert case.requester.phone == original.requester.phone and case.requester.id_number == original.requester.id_number
    assert case.location.admin_code == "131082"
    assert case.location.point.longitude == pytest.approx(116.8212345678, abs=1e-9)
    assert case.category.code == "TRANSPORT.PUBLIC"
    assert case.status == case_pb2.STATUS_DISPATCHED
    assert [(u.code, u.name) for u in case.handlers] == [("BJ：CY01", "朝阳区交通委;运输科")]
    assert len(case.history) == 2 and case.history[1].at == ts("2026-11-24T01:05:00Z")
    assert case.attachments[0].sha256 == "cd" * 32
    assert not any(key.startswith("beijing.") for key in case.extensions)
    assert list(case.quality_flags) == []


def test_a_tianjin_petition_renders_with_hebei_petition_codes():
    cells = from_common.to_row(tianjin_petition())
    assert cells["类别"] == "信访件" and cells["来源渠道"] == "12345热线"
    assert cells["办理状态"] == "已办结"  # not accepted is final
    assert cells["是否匿名"] == "是" and cells["姓名"] == cells["联系电话"] == ""
    assert (cells["信访形式"], cells["信访人数"], cells["是否越级"], cells["是否重复"], cells["是否初信初访"], cells["信访目的"]) == (
        "来信", "3", "否", "否", "是", "揭发控告",
    )
    assert (cells["分类代码"], cells["分类名称"]) == ("D0401", "噪音扰民")
    assert cells["区县代码"] == "120101"
    (case,), rejected = codec().decode_all(codec().encode([to_common.to_case(cells | {"件号": "HB1310822026009998"})]))
    assert rejected == [] and case.petition.purpose == case_pb2.PETITION_PURPOSE_ACCUSATION


def test_a_case_without_category_renders_hebei_other():
    cells = from_common.to_row(case_pb2.Case(native_id="X", received_at=ts("2026-11-24T00:00:00Z")))
    assert (cells["分类代码"], cells["分类名称"]) == ("Z9999", "其他")


def test_a_kept_spelling_is_not_used_once_the_value_changed():
    case = to_common.to_case(row(联系电话="139 3160 0000", 经度="116.8200"))
    assert from_common.to_row(case)["联系电话"] == "139 3160 0000"
    case.requester.phone = "+8613512345678"
    case.location.point.longitude = 116.9
    cells = from_common.to_row(case)
    assert cells["联系电话"] == "13512345678" and cells["经度"] == "116.9"


def test_hebei_extensions_of_other_columns_do_not_leak_into_a_foreign_render():
    case = beijing_case()
    case.extensions["hebei.信访人数"] = "5"  # stray petition cell of a work order
    assert from_common.to_row(case)["信访人数"] == "5"
    case.extensions["hebei.不存在的列"] = "x"
    assert "不存在的列" not in from_common.to_row(case)


def test_foreign_provenance_is_not_needed_to_render():
    case = beijing_case()
    case.provenance.source_schema = "beijing-json"
    assert from_common.to_row(case) == from_common.to_row(without_provenance(case))
