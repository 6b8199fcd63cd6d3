"""Properties: lossless round trips of generated rows and cases; fuzzed input never raises."""

from __future__ import annotations

import string
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.codec import Accepted, MappingError, Rejected
from kernel.normalize.resident_id import gb11643_check_digit
from adapters.hebei import from_common, tables, to_common
from adapters.hebei.tables import HEADER
from jjj.case.v1 import case_pb2
from tests.adapters.hebei.support import HOTLINE_ROW, PETITION_ROW, codec, document, row, without_provenance

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any Unicode but lone surrogates (which no CSV text can hold), line breaks, quotes and commas included.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
some_text = any_text.filter(lambda text: text.strip())
separator_free = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="；|:："), max_size=10)


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=count, max_size=count)


def padded(values: list[str]) -> st.SearchStrategy[str]:
    """A code as written, sometimes with blanks around it."""
    return st.sampled_from(values).flatmap(lambda v: st.sampled_from([v, v, v, f" {v}", f"{v}\t"]))


def code_cell(table, optional: bool = False) -> st.SearchStrategy[str]:
    cell = padded(table.natives())
    return st.one_of(st.sampled_from(["", "", " "]), cell) if optional else cell


yes_no = padded(tables.YES_NO.natives())
optional_yes_no = st.one_of(st.sampled_from(["", " "]), yes_no)


@st.composite
def hebei_time(draw) -> str:
    year, month, day = draw(st.integers(1990, 2099)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    if draw(st.booleans()):
        return f"{year}/{month}/{day} {hour}:{minute:02d}"
    return f"{year}/{month:02d}/{day:02d} {hour:02d}:{minute:02d}"  # zero-padded export


@st.composite
def id_number(draw) -> str:
    first17 = draw(digits(17))
    check = gb11643_check_digit(first17)
    if draw(st.booleans()):
        check = draw(st.sampled_from("0123456789Xx"))
    return first17 + (check.lower() if draw(st.booleans()) else check)


phone = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"1[3-9][0-9] [0-9]{4} [0-9]{4}", fullmatch=True),
    st.from_regex(r"0(10|2[0-9]|3[1-9][0-9])-[2-8][0-9]{6,7}", fullmatch=True),
    st.sampled_from(["０３１６－５５５１２３４", "+852 9123 4567", "12345", "(0316)5551234"]),
    any_text,
)

coordinates = st.one_of(
    st.just(("", "")),
    st.tuples(st.floats(73, 135).map(lambda v: f"{v:.4f}"), st.floats(18, 53).map(lambda v: f"{v:.6f}")),
    st.tuples(st.floats(-180, 180, allow_nan=False).map(repr), st.floats(-90, 90, allow_nan=False).map(repr)),
    st.tuples(any_text, any_text),
)

unit_name = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="；"), max_size=10)
units = st.one_of(
    st.lists(st.tuples(separator_free, unit_name), max_size=3).map(
        lambda items: "；".join(f"{code}:{name}" for code, name in items)
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)


@st.composite
def events(draw) -> str:
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        note = draw(any_text).replace("；", "")
        parts = [draw(hebei_time()), draw(separator_free), draw(separator_free), note]
        entries.append("|".join(parts[: draw(st.integers(1, 4))]))
    return "；".join(entries)


@st.composite
def attachments(draw) -> str:
    entries = []
    for _ in range(draw(st.integers(0, 2))):
        sha = draw(st.one_of(st.just(""), st.text("0123456789abcdefABCDEF", min_size=64, max_size=64), separator_free))
        uri = draw(any_text.map(lambda t: t.replace("；", "")))
        entries.append(f"{draw(separator_free)}|{sha}|{uri}")
    return "；".join(entries)


@st.composite
def hebei_rows(draw) -> dict[str, str]:
    petition = draw(st.booleans())
    anonymous = draw(st.booleans())
    lng, lat = draw(coordinates)
    cells = dict.fromkeys(HEADER, "") | {
        "件号": "HB" + draw(digits(6)) + draw(digits(4)) + draw(digits(6)),
        "类别": draw(padded(["信访件"] if petition else ["热线工单"])),
        "来源渠道": draw(code_cell(tables.CHANNEL)),
        "诉求类型": draw(code_cell(tables.REQUEST_TYPE)),
        "标题": draw(any_text),
        "内容": draw(some_text),
        "是否匿名": draw(padded(["是"] if anonymous else ["否"])),
        "区县代码": draw(st.one_of(st.sampled_from(["131022", "110115", "１３１０２２", " 131082"]), digits(6), some_text)),
        "详细地址": draw(any_text),
        "经度": lng,
        "纬度": lat,
        "分类代码": draw(st.one_of(st.sampled_from(["A0101", "Z9999", "e0502", " B0201"]), some_text)),
        "分类名称": draw(any_text),
        "紧急程度": draw(code_cell(tables.URGENCY)),
        "登记时间": draw(hebei_time()),
        "办理期限": draw(st.one_of(st.sampled_from(["", " "]), hebei_time())),
        "办理状态": draw(code_cell(tables.STATUS)),
        "承办单位": draw(units),
        "流转记录": draw(events()),
        "是否联系": draw(optional_yes_no),
        "是否解决": draw(optional_yes_no),
        "回访满意度": draw(code_cell(tables.SATISFACTION, optional=True)),
        "附件": draw(attachments()),
    }
    if not anonymous:
        cells |= {
            "姓名": draw(any_text),
            "证件类型": draw(code_cell(tables.ID_TYPE, optional=True)),
            "证件号码": draw(st.one_of(st.just(""), id_number(), any_text)),
            "联系电话": draw(phone),
        }
    if petition:
        cells |= {
            "信访形式": draw(code_cell(tables.PETITION_FORM)),
            "信访人数": draw(st.one_of(st.integers(0, 2**31 - 1).map(str), st.sampled_from(["020", "２０", " 3"]))),
            "是否越级": draw(yes_no),
            "是否重复": draw(yes_no),
            "是否初信初访": draw(yes_no),
            "信访目的": draw(code_cell(tables.PETITION_PURPOSE)),
        }
    else:
        for column in ("信访形式", "信访人数", "是否越级", "是否重复", "是否初信初访", "信访目的"):
            cells[column] = draw(st.one_of(st.just(""), st.just(""), any_text))
    return cells


@SETTINGS
@given(hebei_rows())
def test_native_common_native_reproduces_the_row(cells):
    assert from_common.to_row(to_common.to_case(cells)) == cells


@SETTINGS
@given(hebei_rows())
def test_common_native_common_gives_the_same_case(cells):
    case = to_common.to_case(cells)
    assert without_provenance(to_common.to_case(from_common.to_row(case))) == without_provenance(case)


@SETTINGS
@given(st.lists(hebei_rows(), min_size=1, max_size=4))
def test_through_bytes_the_rows_and_cases_come_back(rows):
    data = document(rows)
    cases, rejected = codec().decode_all(data)
    assert rejected == []
    assert [without_provenance(c) for c in cases] == [without_provenance(to_common.to_case(r)) for r in rows]
    assert codec().encode(cases) == data


# --- cases from other jurisdictions -------------------------------------------------------------

enum_value = lambda enum: st.sampled_from(list(enum.values()))  # noqa: E731
timestamps = st.integers(0, 4_102_444_799).map(lambda s: {"seconds": s})


@st.composite
def foreign_cases(draw) -> case_pb2.Case:
    case = case_pb2.Case(
        origin=draw(st.sampled_from([case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_TIANJIN])),
        native_id=draw(any_text),
        kind=draw(enum_value(case_pb2.CaseKind)),
        channel=draw(enum_value(case_pb2.Channel)),
        request_type=draw(enum_value(case_pb2.RequestType)),
        title=draw(any_text),
        content=unicodedata.normalize("NFC", draw(some_text)),  # the model's content is NFC
        requester=case_pb2.Party(
            name=draw(any_text),
            id_type=draw(enum_value(case_pb2.IdType)),
            id_number=draw(any_text),
            phone=draw(st.one_of(st.sampled_from(["+8613800138000", "+861012345678", "+85291234567", ""]), any_text)),
            anonymous=draw(st.booleans()),
        ),
        location=case_pb2.Location(
            admin_code=draw(st.one_of(st.sampled_from(["110105", "120101", "131082"]), some_text)),
            address=draw(any_text),
            source_crs=draw(enum_value(case_pb2.Crs)),
        ),
        category=case_pb2.Category(
            code=draw(st.sampled_from(["TRANSPORT.PUBLIC", "ENV.NOISE", "OTHER", "NO.SUCH", ""])),
            source_code=draw(any_text),
            source_scheme=draw(st.sampled_from(["beijing-3level", "tianjin-4digit"])),
        ),
        urgency=draw(enum_value(case_pb2.Urgency)),
        received_at=draw(timestamps),
        status=draw(enum_value(case_pb2.Status)),
    )
    if draw(st.booleans()):
        case.due_at.seconds = draw(timestamps)["seconds"]
    if draw(st.booleans()):
        point = case.location.point
        point.longitude, point.latitude = draw(st.floats(-180, 180)), draw(st.floats(-90, 90))
    for _ in range(draw(st.integers(0, 2))):
        case.handlers.add(code=draw(any_text), name=draw(any_text), role=draw(any_text))
    for _ in range(draw(st.integers(0, 2))):
        event = case.history.add(action=draw(any_text), actor=draw(any_text), note=draw(any_text))
        if draw(st.booleans()):
            event.at.seconds = draw(timestamps)["seconds"]
    for _ in range(draw(st.integers(0, 2))):
        case.attachments.add(name=draw(any_text), sha256=draw(any_text), uri=draw(any_text), media_type="x/y")
    if draw(st.booleans()):
        case.feedback.satisfaction = draw(enum_value(case_pb2.Satisfaction))
        if draw(st.booleans()):
            case.feedback.contacted = draw(st.booleans())
    if draw(st.booleans()):
        case.petition.form = draw(enum_value(case_pb2.PetitionForm))
        case.petition.participants = draw(st.integers(0, 2**31 - 1))
        case.petition.purpose = draw(enum_value(case_pb2.PetitionPurpose))
    case.extensions["beijing.anything"] = draw(any_text)
    return case


@SETTINGS
@given(foreign_cases())
def test_a_foreign_case_always_renders_as_a_valid_hebei_row(case):
    cells = from_common.to_row(case) | {"件号": "HB1310822026000001"}
    for column, table in (
        ("类别", tables.KIND), ("来源渠道", tables.CHANNEL), ("诉求类型", tables.REQUEST_TYPE),
        ("紧急程度", tables.URGENCY), ("办理状态", tables.STATUS),
    ):
        assert cells[column] in table.natives()
    again = to_common.to_case(cells)  # no MappingError: every cell is valid Hebei
    assert again.content == case.content and again.kind in (case.kind, case_pb2.CASE_KIND_HOTLINE_REQUEST)
    (outcome,) = codec().decode(codec().encode([again]))
    assert isinstance(outcome, Accepted)


# --- fuzz: whatever arrives, decode answers with outcomes, never an exception ---------------------


def assert_outcomes(data: bytes) -> list:
    outcomes = list(codec().decode(data))
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            assert outcome.field and outcome.reason
        else:
            assert outcome.case.native_id and outcome.case.case_id.endswith(f":{outcome.case.native_id}"), outcome
    rows = [o.row for o in outcomes if isinstance(o, Rejected)]
    assert rows == sorted(set(rows)) and all(r >= 1 for r in rows)
    assert not any(isinstance(o, Rejected) and o.reason.startswith("unexpected") for o in outcomes), outcomes
    return outcomes


@SETTINGS
@given(st.binary(max_size=2_000))
def test_random_bytes_never_raise(data):
    assert_outcomes(data)


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes_after_a_good_header_never_raise(tail):
    outcomes = assert_outcomes(document([HOTLINE_ROW]) + tail)
    assert isinstance(outcomes[0], Accepted)


GOOD = document([HOTLINE_ROW, PETITION_ROW, row(内容="多行\r\n\"引号\", 逗号")])


@SETTINGS
@given(st.integers(0, len(GOOD)))
def test_a_file_truncated_anywhere_never_raises(cut):
    assert_outcomes(GOOD[:cut])


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_bytes_never_raise(edits):
    data = bytearray(GOOD)
    for position, value in edits:
        data[position] = value
    assert_outcomes(bytes(data))


@SETTINGS
@given(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "big5", "shift_jis", "latin-1", "cp1252", "euc-kr"]))
def test_wrong_encodings_never_raise(encoding):
    data = GOOD.decode("gb18030").encode(encoding, errors="replace")
    (only,) = assert_outcomes(data)
    assert isinstance(only, Rejected) and only.field == "header"


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 400_000), st.sampled_from(["内容", "标题", "承办单位", "流转记录", "附件", "联系电话", "区县代码"]))
def test_huge_cells_never_raise(size, column):
    assert_outcomes(document([HOTLINE_ROW, row(**{column: "大" * size}), HOTLINE_ROW]))


def test_huge_cell_within_the_csv_limit_is_accepted():
    (case,), rejected = codec().decode_all(document([row(内容="大" * 100_000)]))
    assert rejected == [] and len(case.content) == 100_000


@SETTINGS
@given(hebei_rows(), st.sampled_from(HEADER), any_text)
def test_any_single_cell_change_maps_or_rejects_naming_a_column(cells, column, value):
    changed = cells | {column: value}
    try:
        case = to_common.to_case(changed)
    except MappingError as error:
        assert error.field in HEADER
    else:
        assert from_common.to_row(case) == changed or case.requester.anonymous
