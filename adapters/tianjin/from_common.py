"""A common case -> a Tianjin <WorkOrder> element (local names; the renderer adds the namespace).

The SPEC's element order first, then the case's "tianjin." extensions grafted
back (extensions.graft). Any case renders, including one from Beijing or Hebei:
enum values Tianjin lacks use the render overrides and fallbacks of codes.yaml.
The decisions the SPEC leaves open are listed in __init__.py.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.normalize import geo, taxonomy
from kernel.normalize.phone import to_cn_mobile_or_landline
from kernel.normalize.timeutil import format_beijing_time
from adapters.tianjin import tables as tj
from adapters.tianjin.extensions import BATCH_NAME, ROOT_NAME, graft, is_xml_name
from jjj.case.v1 import case_pb2

# 8 decimals (about 1 mm), trailing zeros removed: a source's BD-09 value survives the round trip.
COORD_DECIMALS = 8


def _text_element(parent: Element, name: str, text: str) -> Element:
    element = SubElement(parent, name)
    element.text = text
    return element


def _degrees_text(value: float) -> str:
    return f"{value:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")


def _boolean_text(value: bool) -> str:
    return "true" if value else "false"


def _time_text(ts: Timestamp) -> str:
    return format_beijing_time(ts, tj.TIME_FORMAT)


def _version_for(case: case_pb2.Case) -> str:
    version = case.provenance.source_version
    if case.provenance.source_schema != tj.SOURCE_SCHEMA or version not in tj.VERSIONS:
        return tj.VERSIONS[0]
    if version == tj.VERSION_WITHOUT_ATTACHMENTS and case.attachments:
        return tj.VERSIONS[0]
    return version


def _render_caller(order: Element, case: case_pb2.Case) -> None:
    requester = case.requester
    caller = SubElement(order, "Caller", anonymous=_boolean_text(requester.anonymous))
    if requester.anonymous:
        return
    if requester.name:
        _text_element(caller, "Name", requester.name)
    if requester.id_number or requester.id_type:
        certificate = _text_element(caller, "Certificate", requester.id_number)
        if requester.id_type:
            certificate.set("type", tj.tables().certificate_type.to_native(requester.id_type))
    if not requester.phone:
        return
    if not requester.phone.startswith("+"):
        # An invalid number kept as typed goes back where it came from (see __init__.py);
        # a "Caller/Phone" text extension means a second, unread Phone: the value was a Mobile.
        extensions = case.extensions
        came_from_phone = (
            tj.EXTENSION_PREFIX + "Caller/Phone@area" in extensions and tj.EXTENSION_PREFIX + "Caller/Phone" not in extensions
        )
        _text_element(caller, "Phone" if came_from_phone else "Mobile", requester.phone)
        return
    area, local = to_cn_mobile_or_landline(requester.phone)
    if not area and len(local) == 11 and local.startswith("1"):
        _text_element(caller, "Mobile", local)
    elif area:
        _text_element(caller, "Phone", local).set("area", area)
    else:
        _text_element(caller, "Phone", local)


def _render_place(order: Element, case: case_pb2.Case) -> None:
    location = case.location
    place = SubElement(order, "Place", district=location.admin_code)
    if location.street_code:
        place.set("street", location.street_code)
    if location.address:
        _text_element(place, "Address", location.address)
    if location.HasField("point"):
        # Tianjin's maps are Baidu's: whatever the source used, render BD-09.
        lng, lat = geo.from_wgs84(location.point.longitude, location.point.latitude, case_pb2.CRS_BD09)
        crs = tj.tables().crs.to_native(case_pb2.CRS_BD09)
        SubElement(place, "Coord", crs=crs, lng=_degrees_text(lng), lat=_degrees_text(lat))


def _render_category(order: Element, case: case_pb2.Case) -> None:
    category = case.category
    if category.source_scheme == tj.CATEGORY_SCHEME and category.source_code:
        code, name = category.source_code, category.source_name
    else:
        code = taxonomy.source_code_for(tj.CATEGORY_SCHEME, category.code) or taxonomy.other_source_code(
            tj.CATEGORY_SCHEME
        )
        name = taxonomy.source_name_for(tj.CATEGORY_SCHEME, code) or ""
    _text_element(order, "Category", name).set("code", code)


def _render_lists(order: Element, case: case_pb2.Case) -> None:
    if case.handlers:
        handlers = SubElement(order, "Handlers")
        for unit in case.handlers:
            handler = _text_element(handlers, "Handler", unit.name)
            if unit.code:
                handler.set("code", unit.code)
            if unit.role:
                handler.set("role", unit.role)
    if case.history:
        trail = SubElement(order, "Trail")
        for event in case.history:
            step = _text_element(trail, "Step", event.note)
            if event.HasField("at"):
                step.set("at", _time_text(event.at))
            if event.action:
                step.set("action", event.action)
            if event.actor:
                step.set("by", event.actor)


def _render_feedback(order: Element, case: case_pb2.Case) -> None:
    if not case.HasField("feedback"):
        return
    feedback = SubElement(order, "Feedback")
    if case.feedback.HasField("contacted"):
        feedback.set("contacted", _boolean_text(case.feedback.contacted))
    if case.feedback.HasField("resolved"):
        feedback.set("resolved", _boolean_text(case.feedback.resolved))
    if case.feedback.satisfaction:
        feedback.set("satisfaction", tj.tables().satisfaction.to_native(case.feedback.satisfaction))


def _render_attachments(order: Element, case: case_pb2.Case) -> None:
    if not case.attachments:
        return
    attachments = SubElement(order, "Attachments")
    for attachment in case.attachments:
        file = SubElement(attachments, "File")
        for name, value in (
            ("name", attachment.name),
            ("mime", attachment.media_type),
            ("size", str(attachment.size_bytes)),
            ("sha256", attachment.sha256),
            ("href", attachment.uri),
        ):
            if value:
                file.set(name, value)


def _render_petition(order: Element, case: case_pb2.Case) -> None:
    if case.kind != case_pb2.CASE_KIND_PETITION:
        return
    tables, petition = tj.tables(), case.petition
    element = SubElement(order, "Petition", form=tables.petition_form.to_native(petition.form))
    if petition.participants > 0:
        element.set("persons", str(petition.participants))
    element.set("overLevel", _boolean_text(petition.bypassed_level))
    element.set("repeat", _boolean_text(petition.repeat))
    element.set("firstTime", _boolean_text(petition.first_time))
    element.set("purpose", tables.petition_purpose.to_native(petition.purpose))


def case_to_order(case: case_pb2.Case) -> Element:
    """Render one case as a <WorkOrder> element (local names; the renderer adds the namespace)."""
    tables = tj.tables()
    order = Element(ROOT_NAME, version=_version_for(case), type=tables.kind.to_native(case.kind))
    _text_element(order, "OrderNo", case.native_id)
    _text_element(order, "Source", tables.source.to_native(case.channel))
    _text_element(order, "Kind", tables.request_type.to_native(case.request_type))
    _render_caller(order, case)
    _text_element(order, "Subject", case.title)
    _text_element(order, "Description", case.content)
    _render_place(order, case)
    _render_category(order, case)
    _text_element(order, "Priority", tables.priority.to_native(case.urgency))
    if case.HasField("received_at"):
        _text_element(order, "AcceptedAt", _time_text(case.received_at))
    if case.HasField("due_at"):
        _text_element(order, "DueAt", _time_text(case.due_at))
    _text_element(order, "State", tables.state.to_native(case.status))
    _render_lists(order, case)
    _render_feedback(order, case)
    _render_attachments(order, case)
    _render_petition(order, case)
    for key in sorted(case.extensions):
        if key.startswith(tj.EXTENSION_PREFIX):
            graft(order, key[len(tj.EXTENSION_PREFIX) :], case.extensions[key])
    return order


def batch_attributes_of(case: case_pb2.Case) -> dict[str, str]:
    """The <WorkOrders> root attributes a case carries (from a batch it came in)."""
    prefix = f"{tj.EXTENSION_PREFIX}{BATCH_NAME}@"
    return {
        key[len(prefix) :]: value
        for key, value in case.extensions.items()
        if key.startswith(prefix) and is_xml_name(key[len(prefix) :])
    }


def case_to_record(case: case_pb2.Case) -> tuple[Element, dict[str, str]]:
    """The codec's from_common hook: the order and the batch-root attributes it asks for."""
    return case_to_order(case), batch_attributes_of(case)
