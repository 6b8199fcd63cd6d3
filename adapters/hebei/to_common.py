"""One Hebei CSV row (column -> cell) -> one common case. Pure functions.

Lossless both ways (with from_common.to_row):
- row -> case -> row gives the row back exactly. Cells the model has no place for
  go to `extensions["hebei.<column>"]`; so does the original spelling of a cell
  whose normalised value would render differently ("139 3160 0000" for
  +8613931600000, "116.8200", a lower-case x, "2026/11/24 09:05"). The renderer
  writes a kept spelling back only while it still reads as the case's value, so a
  case edited later renders its new value.
- case -> row -> case gives the same case (provenance aside) for every case read
  from a Hebei row.
One deliberate exception: an anonymous row (是否匿名 = 是) that still names the
requester. The model forbids identity on an anonymous requester, so 姓名, 证件类型,
证件号码 and 联系电话 are dropped (not even kept in extensions) and the case is
flagged `requester.anonymous:identity_dropped`.

from_common.to_row is the way back. A case from Beijing or
Tianjin renders as a valid Hebei row with Hebei's codes
(schemas/hebei/codes.yaml render overrides), its category through the taxonomy
crosswalk and 区县代码 from location.admin_code. 件号 is then the foreign native id:
Hebei's format has no column for it otherwise, and the receiver gets the
federation case_id in the bus envelope anyway. Such a row is not a Hebei-registered
case, so this codec's own parser rejects its 件号 (foreign ids are refused).
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import MappingError
from kernel.normalize.admin import is_known_admin_code
from kernel.normalize.geo import in_mainland_china, to_wgs84
from kernel.normalize.taxonomy import map_category
from kernel.normalize.text import clean_code, nfc
from kernel.tables import CodeTable
from adapters.hebei import cells
from adapters.hebei.parser import Row as CsvRow
from adapters.hebei.tables import (
    CATEGORY_SCHEME,
    CHANNEL,
    EXTENSION_PREFIX,
    HEADER,
    ID_TYPE,
    KIND,
    NATIVE_ID_FORMAT,
    NATIVE_ID_PATTERN,
    PETITION_FORM,
    PETITION_PURPOSE,
    PETITION_REQUIRED,
    REQUEST_TYPE,
    SATISFACTION,
    SCHEMA_VERSION,
    SOURCE_SCHEMA,
    STATUS,
    URGENCY,
    YES_NO,
    check_required,
)
from jjj.case.v1 import case_pb2

ADAPTER_VERSION = "0.1.0"
CASE_ID_PREFIX = "jjj:HE:"
CGCS2000 = case_pb2.CRS_CGCS2000
PETITION = case_pb2.CASE_KIND_PETITION
PETITION_COLUMNS = PETITION_REQUIRED

Row = dict[str, str]
Extensions = dict[str, str]

# The code lists as plain dicts, for the hot path (CodeTable.to_common reports misses).
_CODES: dict[CodeTable, dict[str, int]] = {
    table: {native: table.to_common(native) for native in table.natives()}
    for table in (KIND, CHANNEL, REQUEST_TYPE, ID_TYPE, URGENCY, STATUS, SATISFACTION, PETITION_FORM, PETITION_PURPOSE)
}
_YES_NO: dict[str, bool] = {native: YES_NO.to_bool(native, "") for native in YES_NO.natives()}


# --- row -> case ---------------------------------------------------------------------


def _keep(extensions: Extensions, column: str, raw: str) -> None:
    extensions[EXTENSION_PREFIX + column] = raw


def _code(table: CodeTable, raw: str, column: str, extensions: Extensions) -> int:
    """A closed-list cell -> enum value; surrounding blanks tolerated (spelling kept)."""
    value = _CODES[table].get(raw)
    if value is not None:
        return value
    stripped = raw.strip()
    value = table.to_common(stripped)  # MappingError naming the column when not in the list
    _keep(extensions, column, raw)
    return value


def _optional_code(table: CodeTable, raw: str, column: str, extensions: Extensions) -> int:
    if not raw:
        return 0
    if not raw.strip():
        _keep(extensions, column, raw)
        return 0
    return _code(table, raw, column, extensions)


def _yes_no(raw: str, column: str, extensions: Extensions) -> bool:
    value = _YES_NO.get(raw)
    if value is not None:
        return value
    stripped = raw.strip()
    value = YES_NO.to_bool(stripped, column)
    _keep(extensions, column, raw)
    return value


def _optional_yes_no(raw: str, column: str, extensions: Extensions) -> bool | None:
    if not raw:
        return None
    if not raw.strip():
        _keep(extensions, column, raw)
        return None
    return _yes_no(raw, column, extensions)


def _time(raw: str, column: str, target: Timestamp, extensions: Extensions) -> None:
    seconds, canonical = cells.parse_time(raw, column)
    target.seconds = seconds
    if not canonical:
        _keep(extensions, column, raw)


@functools.lru_cache(maxsize=1024)
def _known_category(source_code: str):
    return map_category(CATEGORY_SCHEME, source_code)


def _category(source_code: str):
    # Cache the short codes a file repeats; an odd long code is just looked up.
    return _known_category(source_code) if len(source_code) <= 16 else map_category(CATEGORY_SCHEME, source_code)


def _requester(row: Mapping[str, str], party: case_pb2.Party, flags: list[str], extensions: Extensions) -> None:
    party.anonymous = anonymous = _yes_no(row["是否匿名"], "是否匿名", extensions)
    name, id_type_cell, id_cell, phone_cell = row["姓名"], row["证件类型"], row["证件号码"], row["联系电话"]
    if anonymous:
        if name or id_type_cell or id_cell or phone_cell:
            flags.append("requester.anonymous:identity_dropped")
        return
    party.name = name
    id_type = party.id_type = _optional_code(ID_TYPE, id_type_cell, "证件类型", extensions)
    if id_cell:
        result = cells.normalize_id_fast(id_cell)
        party.id_number = result.value
        if result.value != id_cell:
            _keep(extensions, "证件号码", id_cell)
        if id_type == case_pb2.ID_TYPE_RESIDENT_ID and result.value and not result.checksum_ok:
            flags.append("requester.id_number:checksum")
    if phone_cell:
        phone = cells.normalize_phone_fast(phone_cell)
        party.phone = phone.value
        if not phone.valid:
            flags.append("requester.phone:invalid")
        if cells.format_phone(phone.value) != phone_cell:
            _keep(extensions, "联系电话", phone_cell)


def _location(row: Mapping[str, str], location: case_pb2.Location, flags: list[str], extensions: Extensions) -> None:
    raw_code = row["区县代码"]
    code = raw_code if raw_code.isascii() and raw_code.isdigit() else clean_code(raw_code)
    location.admin_code = code
    if code != raw_code:
        _keep(extensions, "区县代码", raw_code)
    if not is_known_admin_code(code):
        flags.append("location.admin_code:unknown")
    location.address = row["详细地址"]
    lng_cell, lat_cell = row["经度"], row["纬度"]
    if not (lng_cell.strip() or lat_cell.strip()):
        for column, cell in (("经度", lng_cell), ("纬度", lat_cell)):
            if cell:
                _keep(extensions, column, cell)
        return
    lng, lat = cells.parse_degrees(lng_cell, 180.0), cells.parse_degrees(lat_cell, 90.0)
    if lng is None or lat is None:
        # A typo in a coordinate never drops the case: no point, raw kept, flagged.
        flags.append("location.point:invalid")
        for column, cell in (("经度", lng_cell), ("纬度", lat_cell)):
            if cell:
                _keep(extensions, column, cell)
        return
    for column, cell, value in (("经度", lng_cell, lng), ("纬度", lat_cell, lat)):
        if cells.format_degrees(value) != cell:
            _keep(extensions, column, cell)
    # CGCS2000 and WGS-84 agree to centimetres: to_wgs84 is the identity for it.
    wgs_lng, wgs_lat = to_wgs84(lng, lat, CGCS2000)
    point = location.point
    point.longitude, point.latitude = wgs_lng, wgs_lat
    location.source_crs = CGCS2000
    if not in_mainland_china(wgs_lng, wgs_lat):
        flags.append("location.point:outside_mainland")


def _lists(row: Mapping[str, str], case: case_pb2.Case, flags: list[str], extensions: Extensions) -> None:
    cell = row["承办单位"]
    if cell:
        units, canonical = cells.parse_units(cell)
        handlers = case.handlers
        for code, name in units:
            unit = handlers.add()
            unit.code, unit.name = code, name
        if not canonical:
            _keep(extensions, "承办单位", cell)
    cell = row["流转记录"]
    if cell:
        events, canonical = cells.parse_events(cell)
        history = case.history
        for seconds, action, actor, note in events:
            event = history.add()
            event.at.seconds, event.action, event.actor, event.note = seconds, action, actor, note
        if not canonical:
            _keep(extensions, "流转记录", cell)
    cell = row["附件"]
    if cell:
        attachments, canonical = cells.parse_attachments(cell)
        for name, sha256, uri in attachments:
            case.attachments.add(name=name, media_type=cells.media_type_of(name), sha256=sha256, uri=uri)
        if any(sha256 and not cells.is_sha256(sha256) for _, sha256, _ in attachments):
            flags.append("attachments.sha256:invalid")
        if not canonical:
            _keep(extensions, "附件", cell)


def _feedback(row: Mapping[str, str], case: case_pb2.Case, extensions: Extensions) -> None:
    if not (row["是否联系"] or row["是否解决"] or row["回访满意度"]):
        return
    contacted = _optional_yes_no(row["是否联系"], "是否联系", extensions)
    resolved = _optional_yes_no(row["是否解决"], "是否解决", extensions)
    satisfaction = _optional_code(SATISFACTION, row["回访满意度"], "回访满意度", extensions)
    if contacted is None and resolved is None and not satisfaction:
        return
    feedback = case.feedback
    feedback.SetInParent()
    if contacted is not None:
        feedback.contacted = contacted
    if resolved is not None:
        feedback.resolved = resolved
    feedback.satisfaction = satisfaction


def _petition(row: Mapping[str, str], case: case_pb2.Case, extensions: Extensions) -> None:
    if case.kind != PETITION:
        # Petition cells on a work order have no place in the model: kept as they are.
        for column in PETITION_COLUMNS:
            if row[column]:
                _keep(extensions, column, row[column])
        return
    petition = case.petition
    petition.SetInParent()
    petition.form = _code(PETITION_FORM, row["信访形式"], "信访形式", extensions)
    cell = row["信访人数"]
    petition.participants = participants = cells.parse_count(cell, "信访人数")
    if str(participants) != cell:
        _keep(extensions, "信访人数", cell)
    petition.bypassed_level = _yes_no(row["是否越级"], "是否越级", extensions)
    petition.repeat = _yes_no(row["是否重复"], "是否重复", extensions)
    petition.first_time = _yes_no(row["是否初信初访"], "是否初信初访", extensions)
    petition.purpose = _code(PETITION_PURPOSE, row["信访目的"], "信访目的", extensions)


def provenance_template(mapped_at: Timestamp | None = None) -> case_pb2.Provenance:
    """Provenance shared by every row of one document (document_sha256 is per row)."""
    provenance = case_pb2.Provenance(
        source_schema=SOURCE_SCHEMA, source_version=SCHEMA_VERSION, adapter_version=ADAPTER_VERSION
    )
    if mapped_at is not None:
        provenance.mapped_at.CopyFrom(mapped_at)
    return provenance


_DEFAULT_PROVENANCE = provenance_template()
_COLUMN_COUNT = len(HEADER)


@functools.lru_cache(maxsize=1)  # every row of a document is mapped at one time
def _provenance_at(mapped_at: datetime) -> case_pb2.Provenance:
    timestamp = Timestamp()
    timestamp.FromDatetime(mapped_at)
    return provenance_template(timestamp)


def to_case(
    row: Mapping[str, str], *, document_sha256: str = "", provenance: case_pb2.Provenance | None = None
) -> case_pb2.Case:
    """Map one row (every column of the header, cells as decoded) to a case.

    `provenance` is the document's provenance_template(mapped_at); this row's
    document_sha256 is added to it. Raises MappingError(column, reason) when the
    row cannot be a case.
    """
    check_required(row)
    native_id = row["件号"]
    if NATIVE_ID_PATTERN.fullmatch(native_id) is None:
        raise MappingError("件号", f"{native_id!r} is not a Hebei case number ({NATIVE_ID_FORMAT})")
    extensions: Extensions = {}
    flags: list[str] = []
    case = case_pb2.Case()
    case.case_id, case.origin, case.native_id = CASE_ID_PREFIX + native_id, case_pb2.JURISDICTION_HEBEI, native_id
    case.kind = _code(KIND, row["类别"], "类别", extensions)
    case.channel = _code(CHANNEL, row["来源渠道"], "来源渠道", extensions)
    case.request_type = _code(REQUEST_TYPE, row["诉求类型"], "诉求类型", extensions)
    case.title = row["标题"]
    case.urgency = _code(URGENCY, row["紧急程度"], "紧急程度", extensions)
    case.status = _code(STATUS, row["办理状态"], "办理状态", extensions)
    content = row["内容"]
    if not (content.isascii() or unicodedata.is_normalized("NFC", content)):
        _keep(extensions, "内容", content)
        content = nfc(content)
    case.content = content
    _requester(row, case.requester, flags, extensions)
    _location(row, case.location, flags, extensions)
    source_code = row["分类代码"]
    match = _category(source_code)
    category = case.category
    category.code, category.source_code, category.source_name = match.code, source_code, row["分类名称"]
    category.source_scheme = CATEGORY_SCHEME
    if not match.known:
        flags.append("category:unknown_code")
    _time(row["登记时间"], "登记时间", case.received_at, extensions)
    due = row["办理期限"]
    if due.strip():
        _time(due, "办理期限", case.due_at, extensions)
    elif due:
        _keep(extensions, "办理期限", due)
    _lists(row, case, flags, extensions)
    _feedback(row, case, extensions)
    _petition(row, case, extensions)
    if extensions:
        case.extensions.update(extensions)
    if flags:
        case.quality_flags.extend(flags)
    case_provenance = case.provenance
    case_provenance.CopyFrom(_DEFAULT_PROVENANCE if provenance is None else provenance)
    case_provenance.document_sha256 = document_sha256
    return case


def record_to_case(record: CsvRow, mapped_at: datetime) -> case_pb2.Case:
    """The codec's to_common hook: one row of parser.split_rows, if it decoded and has
    the header's columns. document_sha256 hashes its UTF-8 text, line end excluded."""
    text, cells = record.text, record.cells
    try:
        # Bytes that did not decode are lone surrogates, which UTF-8 refuses.
        utf8 = text.rstrip("\r\n").encode("utf-8")
    except UnicodeEncodeError:
        raise MappingError("encoding", f"row is not valid {record.encoding} text") from None
    if len(cells) != _COLUMN_COUNT:
        raise MappingError("row", f"{len(cells)} columns instead of {_COLUMN_COUNT}")
    return to_case(dict(zip(HEADER, cells)), document_sha256=hashlib.sha256(utf8).hexdigest(),
                   provenance=_provenance_at(mapped_at))
