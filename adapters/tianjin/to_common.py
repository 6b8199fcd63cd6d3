"""A Tianjin <WorkOrder> element (namespace stripped) -> a common case. Pure functions.

The order is read through `extensions.Node`, which remembers what was read, so
whatever this module does not read ends up in `Case.extensions`. Rejections
(MappingError) name the native path; doubtful data becomes a quality flag.
The decisions the SPEC leaves open are listed in __init__.py.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import datetime
from xml.etree.ElementTree import Element

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import MappingError
from kernel.normalize import admin, geo, taxonomy
from kernel.normalize.phone import normalize_phone
from kernel.normalize.resident_id import normalize_id_number
from kernel.normalize.text import clean_code, nfc
from kernel.normalize.timeutil import BEIJING, parse_beijing_time, to_timestamp
from adapters.tianjin import tables as tj
from adapters.tianjin.extensions import BATCH_NAME, ROOT_NAME, Node
from adapters.tianjin.parser import Order
from jjj.case.v1 import case_pb2

_TIME_DIGITS = re.compile(r"[0-9]{14}")
# xs:decimal's lexical form (Python's float() would also take "1_0", "inf", "nan").
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


# ---------------------------------------------------------------- decoding helpers


def _required_attribute(node: Node, name: str) -> str:
    value = clean_code(node.attribute(name) or "")
    if not value:
        raise MappingError(node.attribute_path(name), "required attribute is missing or empty")
    return value


def _required_child(node: Node, name: str) -> Node:
    child = node.child(name)
    if child is None:
        raise MappingError(name if not node.path else f"{node.path}/{name}", "required element is missing")
    return child


def _required_code(node: Node, name: str) -> str:
    value = clean_code(_required_child(node, name).text())
    if not value:
        raise MappingError(name, "required element is empty")
    return value


def _optional_text(node: Node, name: str) -> str:
    child = node.child(name)
    return child.text() if child is not None else ""


def _boolean(node: Node, name: str, *, required: bool = False) -> bool | None:
    raw = clean_code(node.attribute(name) or "")
    if not raw:
        if required:
            raise MappingError(node.attribute_path(name), "required attribute is missing or empty")
        return None
    try:
        return tj.BOOLEANS[raw]
    except KeyError:
        raise MappingError(node.attribute_path(name), f"{raw!r} is not true or false") from None


def _count(node: Node, name: str) -> int:
    raw = clean_code(node.attribute(name) or "")
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise MappingError(node.attribute_path(name), f"{raw!r} is not a non-negative integer")
    return int(raw)


def _time(text: str, field: str) -> Timestamp:
    value = clean_code(text)
    if _TIME_DIGITS.fullmatch(value):
        # Fast path for the one format Tianjin writes (strptime is a fifth of the mapping time);
        # anything datetime() refuses goes to parse_beijing_time for its rejection message.
        try:
            local = datetime(
                int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]),
                int(value[12:14]), tzinfo=BEIJING,
            )
        except ValueError:
            pass
        else:
            return Timestamp(seconds=int(local.timestamp()))
    return to_timestamp(parse_beijing_time(value, tj.TIME_FORMAT, field))


def _degrees(node: Node, name: str, limit: float) -> float:
    raw = clean_code(node.attribute(name) or "")
    if _DECIMAL.fullmatch(raw) is None:
        raise MappingError(node.attribute_path(name), f"{raw!r} is not a number of degrees")
    value = float(raw)
    if not math.isfinite(value) or abs(value) > limit:
        raise MappingError(node.attribute_path(name), f"{raw!r} is outside ±{limit:g} degrees")
    return value


# ---------------------------------------------------------------- decoding


def _order_no(root: Node) -> str:
    value = _required_code(root, "OrderNo")
    if tj.ORDER_NO.fullmatch(value) is None:
        raise MappingError("OrderNo", f"{value!r} is not a Tianjin order number ({tj.ORDER_NO_DESCRIPTION})")
    month, day = int(value[6:8]), int(value[8:10])
    try:
        datetime(2000 + int(value[3:5]), month, day)
    except ValueError:
        raise MappingError("OrderNo", f"{value!r}: MMdd {value[6:10]} is not a date") from None
    return value


def _caller(root: Node, case: case_pb2.Case, flags: list[str]) -> None:
    caller = _required_child(root, "Caller")
    anonymous = _boolean(caller, "anonymous", required=True)
    identity = [caller.child(name) for name in ("Name", "Certificate", "Mobile", "Phone")]
    requester = case.requester
    requester.anonymous = bool(anonymous)
    if anonymous:
        if any(node is not None for node in identity):
            flags.append("requester.anonymous:identity_dropped")
        for node in identity:
            if node is not None:
                node.consume_all()
        return
    name, certificate, mobile, phone = identity
    if name is not None:
        requester.name = name.text()
    if certificate is not None:
        _certificate(certificate, requester, flags)
    if mobile is not None:
        result = normalize_phone(mobile.text())
    elif phone is not None:
        result = normalize_phone(phone.text(), area_code=phone.attribute("area") or "")
        if not result.valid:
            phone.leave_attribute("area")
    else:
        return
    requester.phone = result.value
    if not result.valid:
        flags.append("requester.phone:invalid")


def _certificate(node: Node, requester: case_pb2.Party, flags: list[str]) -> None:
    type_code = clean_code(node.attribute("type") or "")
    if type_code:
        requester.id_type = tj.tables().certificate_type.to_common(type_code)
    if requester.id_type == case_pb2.ID_TYPE_RESIDENT_ID:
        result = normalize_id_number(node.text())
        requester.id_number = result.value
        if not result.checksum_ok:
            flags.append("requester.id_number:checksum")
    else:
        requester.id_number = clean_code(node.text())


def _place(root: Node, case: case_pb2.Case, flags: list[str]) -> None:
    place = _required_child(root, "Place")
    location = case.location
    location.admin_code = _required_attribute(place, "district")
    if not admin.is_known_admin_code(location.admin_code):
        flags.append("location.admin_code:unknown")
    location.street_code = clean_code(place.attribute("street") or "")
    location.address = _optional_text(place, "Address")
    coord = place.child("Coord")
    if coord is None:
        return
    crs = tj.tables().crs.to_common(clean_code(coord.attribute("crs") or "") or tj.DEFAULT_CRS)
    lng, lat = geo.to_wgs84(_degrees(coord, "lng", 180.0), _degrees(coord, "lat", 90.0), crs)
    location.point.longitude, location.point.latitude = lng, lat
    location.source_crs = crs
    if not geo.in_mainland_china(lng, lat):
        flags.append("location.point:outside_mainland")


def _category(root: Node, case: case_pb2.Case, flags: list[str]) -> None:
    node = _required_child(root, "Category")
    code = _required_attribute(node, "code")
    match = taxonomy.map_category(tj.CATEGORY_SCHEME, code)
    case.category.code = match.code
    case.category.source_code = code
    case.category.source_name = node.text()
    case.category.source_scheme = tj.CATEGORY_SCHEME
    if not match.known:
        flags.append("category:unknown_code")


def _handling(root: Node, case: case_pb2.Case) -> None:
    handlers = root.child("Handlers")
    for handler in handlers.children("Handler") if handlers is not None else []:
        case.handlers.add(
            code=clean_code(handler.attribute("code") or ""), name=handler.text(), role=handler.attribute("role") or ""
        )
    trail = root.child("Trail")
    for step in trail.children("Step") if trail is not None else []:
        event = case.history.add(action=step.attribute("action") or "", actor=step.attribute("by") or "", note=step.text())
        at = step.attribute("at")
        if at is not None and at.strip():
            event.at.CopyFrom(_time(at, step.attribute_path("at")))


def _feedback(root: Node, case: case_pb2.Case) -> None:
    node = root.child("Feedback")
    if node is None:
        return
    feedback = case.feedback
    feedback.SetInParent()
    for name in ("contacted", "resolved"):
        value = _boolean(node, name)
        if value is not None:
            setattr(feedback, name, value)
    satisfaction = clean_code(node.attribute("satisfaction") or "")
    if satisfaction:
        feedback.satisfaction = tj.tables().satisfaction.to_common(satisfaction)


def _attachments(root: Node, case: case_pb2.Case) -> None:
    node = root.child("Attachments")
    for file in node.children("File") if node is not None else []:
        case.attachments.add(
            name=file.attribute("name") or "",
            media_type=clean_code(file.attribute("mime") or ""),
            size_bytes=_count(file, "size"),
            sha256=clean_code(file.attribute("sha256") or "").lower(),
            uri=(file.attribute("href") or "").strip(),
        )


def _petition(root: Node, case: case_pb2.Case) -> None:
    if case.kind != case_pb2.CASE_KIND_PETITION:
        if root.has_child("Petition"):
            raise MappingError("Petition", "only a PETITION order (WorkOrder@type) carries a Petition")
        return
    node = _required_child(root, "Petition")
    petition = case.petition
    petition.form = tj.tables().petition_form.to_common(_required_attribute(node, "form"))
    petition.purpose = tj.tables().petition_purpose.to_common(_required_attribute(node, "purpose"))
    petition.participants = min(_count(node, "persons"), 2**31 - 1)
    petition.bypassed_level = bool(_boolean(node, "overLevel"))
    petition.repeat = bool(_boolean(node, "repeat"))
    petition.first_time = bool(_boolean(node, "firstTime"))


def order_to_case(
    order: Element,
    *,
    raw: bytes,
    mapped_at: datetime,
    batch_attributes: Mapping[str, str] | None = None,
    read_paths: set[str] | None = None,
) -> case_pb2.Case:
    """Map one <WorkOrder> (namespace already stripped) to a case; MappingError if it cannot be one.

    `read_paths`, when given, receives the native paths it read (tests keep
    the XSD in step with it).
    """
    tables = tj.tables()
    root = Node(order)
    for nested in (ROOT_NAME, BATCH_NAME):
        if root.has_child(nested):
            raise MappingError(f"{ROOT_NAME}/{nested}", "a work order cannot contain another work order")
    case = case_pb2.Case(origin=case_pb2.JURISDICTION_TIANJIN)
    flags: list[str] = []
    version = _required_attribute(root, "version")
    if version not in tj.VERSIONS:
        raise MappingError("WorkOrder@version", f"{version!r} is not a known version ({', '.join(tj.VERSIONS)})")
    case.kind = tables.kind.to_common(_required_attribute(root, "type"))
    case.native_id = _order_no(root)
    case.case_id = tj.CASE_ID_PREFIX + case.native_id
    case.channel = tables.source.to_common(_required_code(root, "Source"))
    case.request_type = tables.request_type.to_common(_required_code(root, "Kind"))
    _caller(root, case, flags)
    case.title = _optional_text(root, "Subject")
    content = nfc(_required_child(root, "Description").text())
    if not content.strip():
        raise MappingError("Description", "required element is empty")
    case.content = content
    _place(root, case, flags)
    _category(root, case, flags)
    case.urgency = tables.priority.to_common(_required_code(root, "Priority"))
    case.received_at.CopyFrom(_time(_required_child(root, "AcceptedAt").text(), "AcceptedAt"))
    due = _optional_text(root, "DueAt")
    if due.strip():
        case.due_at.CopyFrom(_time(due, "DueAt"))
    case.status = tables.state.to_common(_required_code(root, "State"))
    _handling(root, case)
    _feedback(root, case)
    _attachments(root, case)
    _petition(root, case)

    leftovers: dict[str, str] = {}
    root.leftovers(leftovers)
    for name, value in (batch_attributes or {}).items():
        leftovers[f"{BATCH_NAME}@{name}"] = value
    for path, value in leftovers.items():
        case.extensions[tj.EXTENSION_PREFIX + path] = value
    case.quality_flags.extend(flags)
    case.provenance.source_schema = tj.SOURCE_SCHEMA
    case.provenance.source_version = version
    case.provenance.adapter_version = tj.ADAPTER_VERSION
    case.provenance.document_sha256 = hashlib.sha256(raw).hexdigest()
    case.provenance.mapped_at.FromDatetime(mapped_at)
    if read_paths is not None:
        read_paths.update(root.read_paths())
    return case


def record_to_case(order: Order, mapped_at: datetime) -> case_pb2.Case:
    """The codec's to_common hook: one order of parser.split_orders."""
    return order_to_case(order.element, raw=order.raw, mapped_at=mapped_at, batch_attributes=order.batch_attributes)
