"""One common case -> one Hebei CSV row (column -> cell). Pure functions.

The way back of to_common.to_case (see its docstring for the lossless guarantees).
Original spellings kept in `extensions["hebei.<column>"]` are written back only
while they still read as the case's value, so a case edited later renders its new
value. A case from Beijing or Tianjin renders with Hebei's codes (codes.yaml render
overrides and fallbacks), its category through the taxonomy crosswalk, 区县代码 from
location.admin_code and 件号 = its own native id (the receiver gets the federation
case_id in the bus envelope).
"""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import MappingError
from kernel.normalize.geo import from_wgs84
from kernel.normalize.taxonomy import other_source_code, source_code_for, source_name_for
from kernel.normalize.text import clean_code, nfc
from kernel.tables import CodeTable
from adapters.hebei import cells
from adapters.hebei.tables import (
    CATEGORY_SCHEME,
    CHANNEL,
    EXTENSION_PREFIX,
    HEADER,
    ID_TYPE,
    KIND,
    PETITION_FORM,
    PETITION_PURPOSE,
    PETITION_REQUIRED,
    REQUEST_TYPE,
    SATISFACTION,
    STATUS,
    URGENCY,
    YES_NO,
)
from jjj.case.v1 import case_pb2

CGCS2000 = case_pb2.CRS_CGCS2000
PETITION = case_pb2.CASE_KIND_PETITION
Row = dict[str, str]


class _Spellings:
    """The kept original spellings of one case: used only while they still read as the value."""

    def __init__(self, extensions: Mapping[str, str]) -> None:
        self._extensions = extensions

    def raw(self, column: str) -> str | None:
        return self._extensions.get(EXTENSION_PREFIX + column)

    def blank(self, column: str) -> str:
        """An absent value: the kept blank spelling (e.g. a lone space), else empty."""
        raw = self.raw(column)
        return raw if raw is not None and not raw.strip() else ""

    def stray(self, column: str) -> str:
        """A cell the model has no place for (e.g. 信访人数 on a work order): kept as it was."""
        return self.raw(column) or ""

    def code(self, table: CodeTable, value: int, column: str) -> str:
        native = table.to_native(value)
        raw = self.raw(column)
        return raw if raw is not None and raw.strip() == native else native

    def yes_no(self, value: bool, column: str) -> str:
        native = YES_NO.to_native(value)
        raw = self.raw(column)
        return raw if raw is not None and raw.strip() == native else native

    def reading(self, column: str, canonical: str, reads_as_value) -> str:
        """The kept spelling if `reads_as_value(raw)` holds (errors count as no), else `canonical`."""
        raw = self.raw(column)
        if raw is not None and raw != canonical:
            try:
                if reads_as_value(raw):
                    return raw
            except MappingError:
                pass
        return canonical


def _time_cell(spell: _Spellings, column: str, ts: Timestamp) -> str:
    seconds = ts.seconds
    return spell.reading(column, cells.format_time(seconds), lambda raw: cells.parse_time(raw, column)[0] == seconds)


def _requester_cells(case: case_pb2.Case, spell: _Spellings, row: Row) -> None:
    party = case.requester
    row["是否匿名"] = spell.yes_no(party.anonymous, "是否匿名")
    if party.anonymous:
        row["姓名"] = row["证件类型"] = row["证件号码"] = row["联系电话"] = ""
        return
    row["姓名"] = party.name
    row["证件类型"] = spell.code(ID_TYPE, party.id_type, "证件类型")
    number, phone = party.id_number, party.phone
    row["证件号码"] = spell.reading("证件号码", number, lambda raw: cells.normalize_id_fast(raw).value == number)
    row["联系电话"] = spell.reading(
        "联系电话", cells.format_phone(phone), lambda raw: cells.normalize_phone_fast(raw).value == phone
    )


def _location_cells(case: case_pb2.Case, spell: _Spellings, row: Row) -> None:
    location = case.location
    code = location.admin_code
    row["区县代码"] = spell.reading("区县代码", code, lambda raw: clean_code(raw) == code)
    row["详细地址"] = location.address
    if not location.HasField("point"):
        row["经度"], row["纬度"] = spell.stray("经度"), spell.stray("纬度")
        return
    lng, lat = from_wgs84(location.point.longitude, location.point.latitude, CGCS2000)
    row["经度"] = spell.reading("经度", cells.format_degrees(lng), lambda raw: cells.parse_degrees(raw, 180.0) == lng)
    row["纬度"] = spell.reading("纬度", cells.format_degrees(lat), lambda raw: cells.parse_degrees(raw, 90.0) == lat)


def _category_cells(case: case_pb2.Case, row: Row) -> None:
    category = case.category
    if category.source_scheme == CATEGORY_SCHEME:
        row["分类代码"], row["分类名称"] = category.source_code, category.source_name
        return
    code = source_code_for(CATEGORY_SCHEME, category.code) or other_source_code(CATEGORY_SCHEME)
    row["分类代码"], row["分类名称"] = code, source_name_for(CATEGORY_SCHEME, code) or ""


def _list_cells(case: case_pb2.Case, spell: _Spellings, row: Row) -> None:
    units = tuple((unit.code, unit.name) for unit in case.handlers)
    row["承办单位"] = spell.reading("承办单位", cells.format_units(units), lambda raw: cells.parse_units(raw)[0] == units)
    # An event without a time (possible in a foreign case) is dated at registration:
    # Hebei's trail needs a time in every entry.
    fallback = case.received_at.seconds
    events = tuple(
        (event.at.seconds if event.HasField("at") else fallback, event.action, event.actor, event.note)
        for event in case.history
    )
    row["流转记录"] = spell.reading("流转记录", cells.format_events(events), lambda raw: cells.parse_events(raw)[0] == events)
    attachments = tuple((item.name, item.sha256, item.uri) for item in case.attachments)
    row["附件"] = spell.reading(
        "附件", cells.format_attachments(attachments), lambda raw: cells.parse_attachments(raw)[0] == attachments
    )


def _feedback_cells(case: case_pb2.Case, spell: _Spellings, row: Row) -> None:
    feedback = case.feedback
    for column, field in (("是否联系", "contacted"), ("是否解决", "resolved")):
        present = feedback.HasField(field)
        row[column] = spell.yes_no(getattr(feedback, field), column) if present else spell.blank(column)
    row["回访满意度"] = spell.code(SATISFACTION, feedback.satisfaction, "回访满意度")


def _petition_cells(case: case_pb2.Case, spell: _Spellings, row: Row) -> None:
    if case.kind != PETITION:
        for column in PETITION_REQUIRED:
            row[column] = spell.stray(column)
        return
    petition = case.petition
    participants = petition.participants
    row["信访形式"] = spell.code(PETITION_FORM, petition.form, "信访形式")
    row["信访人数"] = spell.reading(
        "信访人数", str(participants), lambda raw: cells.parse_count(raw, "信访人数") == participants
    )
    row["是否越级"] = spell.yes_no(petition.bypassed_level, "是否越级")
    row["是否重复"] = spell.yes_no(petition.repeat, "是否重复")
    row["是否初信初访"] = spell.yes_no(petition.first_time, "是否初信初访")
    row["信访目的"] = spell.code(PETITION_PURPOSE, petition.purpose, "信访目的")


def to_row(case: case_pb2.Case) -> Row:
    """Render one case as a Hebei row (column -> cell, in header order)."""
    spell = _Spellings(case.extensions)
    row: Row = dict.fromkeys(HEADER, "")
    row["件号"] = case.native_id
    row["类别"] = spell.code(KIND, case.kind, "类别")
    row["来源渠道"] = spell.code(CHANNEL, case.channel, "来源渠道")
    row["诉求类型"] = spell.code(REQUEST_TYPE, case.request_type, "诉求类型")
    row["标题"] = case.title
    content = case.content
    row["内容"] = spell.reading("内容", content, lambda raw: nfc(raw) == content)
    _requester_cells(case, spell, row)
    _location_cells(case, spell, row)
    _category_cells(case, row)
    row["紧急程度"] = spell.code(URGENCY, case.urgency, "紧急程度")
    row["登记时间"] = _time_cell(spell, "登记时间", case.received_at) if case.HasField("received_at") else ""
    row["办理期限"] = _time_cell(spell, "办理期限", case.due_at) if case.HasField("due_at") else spell.blank("办理期限")
    row["办理状态"] = spell.code(STATUS, case.status, "办理状态")
    _list_cells(case, spell, row)
    _feedback_cells(case, spell, row)
    _petition_cells(case, spell, row)
    return row
