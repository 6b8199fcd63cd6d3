"""The canonical Beijing work order for a common case (extensions not yet applied).

"Canonical" is how the renderer writes a case when nothing says otherwise: every
field of SPEC.md in spec order, Beijing's codes, Beijing time, GCJ-02 coordinates.
For a case that came from Beijing, from_common.case_to_native then applies the case's
`beijing.*` extensions (residue.py), which give back whatever the original order
had that this canonical form does not (unknown fields, kzzd, raw spellings ...).

A case from Tianjin or Hebei is rendered as a valid Beijing order in Beijing's own
codes (closest code where Beijing has none, see schemas/beijing/codes.yaml), its
category crosswalked to Beijing's scheme, with two deliberate exceptions:
- gdbh is the case's own native id (a Tianjin or Hebei number, so it does not match
  Beijing's BJ pattern; the Beijing decoder would reject it as foreign): the id is
  not Beijing's to renumber, and the federation case_id travels with it in
  kzzd["jjj_case_id"] (format.yaml foreign_case_id_key);
- the origin's own extensions (tianjin.*, hebei.*) are not written: Beijing's
  system has no place for them, the common case in the bus envelope keeps them.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from adapters.beijing.hotpath import format_beijing_seconds, render_lxdh
from adapters.beijing.tables import format_facts, tables
from kernel.normalize.geo import from_wgs84
from kernel.normalize.taxonomy import BEIJING_SCHEME, OTHER_CODE, source_code_for
from jjj.case.v1 import case_pb2

_HOME = (case_pb2.JURISDICTION_BEIJING, case_pb2.JURISDICTION_UNSPECIFIED)
_LEVEL_NAMES = ("yj", "ej", "sj")
_LEVEL_LENGTHS = (2, 4, 6)


def format_time(ts: Timestamp) -> str:
    """Timestamp -> "yyyy-MM-dd HH:mm:ss" Beijing time (sub-seconds dropped)."""
    return format_beijing_seconds(ts.seconds)


def is_foreign(case: case_pb2.Case) -> bool:
    return case.origin not in _HOME


def category_levels(code: str) -> dict[str, str]:
    """A Beijing category code -> its fl levels: codes are prefix-hierarchical (01 > 0101 > 010101)."""
    if code.isascii() and code.isdigit() and len(code) in _LEVEL_LENGTHS:
        return {name: code[:length] for name, length in zip(_LEVEL_NAMES, _LEVEL_LENGTHS) if length <= len(code)}
    return {"yj": code}


def _category_code(category: case_pb2.Category) -> str:
    if category.source_scheme == BEIJING_SCHEME and category.source_code:
        return category.source_code
    return source_code_for(BEIJING_SCHEME, category.code or OTHER_CODE) or ""


def _requester(party: case_pb2.Party) -> dict[str, Any]:
    codes = tables()
    if party.anonymous:
        # An anonymous requester's identity never leaves the gateway, whatever the case holds.
        name = id_type = id_number = phone = ""
    else:
        # Phones as Beijing writes them: 13800138000, 0316-2345678, +852 9123 4567;
        # an invalid number kept raw stays as it was.
        name, id_number, phone = party.name, party.id_number, render_lxdh(party.phone)
        id_type = codes.id_type.to_native(party.id_type)
    return {
        "xm": name,
        "zjlx": id_type,
        "zjhm": id_number,
        "lxdh": phone,
        "xb": format_facts().render_gender,
        "sfnm": party.anonymous,
    }


def _place(case: case_pb2.Case) -> dict[str, Any]:
    facts = format_facts()
    location = case.location
    provinces = facts.province_admin_code
    admin_code = location.admin_code or provinces.get(case.origin) or provinces[case_pb2.JURISDICTION_BEIJING]
    place: dict[str, Any] = {"xzqh": admin_code}
    if location.street_code:
        place["jdxz"] = location.street_code
    place["dz"] = location.address
    if location.HasField("point"):
        # A Beijing order that named another coordinate system gets it back; all else GCJ-02.
        crs = location.source_crs if not is_foreign(case) and location.source_crs else facts.render_crs
        point = location.point
        lng, lat = from_wgs84(point.longitude, point.latitude, crs)
        digits = facts.coordinate_decimals
        place["zb"] = {"lng": round(lng, digits), "lat": round(lat, digits), "zbx": tables().crs.to_native(crs)}
    return place


def _deadline(case: case_pb2.Case, urgency_code: str) -> str | None:
    if case.HasField("due_at"):
        return format_time(case.due_at)
    hours = format_facts().urgent_deadline_hours.get(urgency_code)
    if hours is None or not case.HasField("received_at"):
        return None
    # Beijing's rule: an urgent order carries blsx. A case without a deadline gets the
    # urgent-request practice (format.yaml) so the order is valid in Beijing.
    return format_beijing_seconds(case.received_at.seconds + hours * 3600)


def _feedback(feedback: case_pb2.Feedback) -> dict[str, Any]:
    follow_up: dict[str, Any] = {}
    if feedback.HasField("contacted"):
        follow_up["sflx"] = feedback.contacted
    if feedback.HasField("resolved"):
        follow_up["sfjj"] = feedback.resolved
    if feedback.satisfaction:
        follow_up["myd"] = tables().satisfaction.to_native(feedback.satisfaction)
    return follow_up


def _petition(petition: case_pb2.PetitionDetails) -> dict[str, Any]:
    codes = tables()
    details: dict[str, Any] = {}
    if petition.form:
        details["xfxs"] = codes.petition_form.to_native(petition.form)
    details["rs"] = petition.participants
    details["sfyj"] = petition.bypassed_level
    details["sfcf"] = petition.repeat
    details["scxf"] = petition.first_time
    if petition.purpose:
        details["xfmd"] = codes.petition_purpose.to_native(petition.purpose)
    return details


def _wants_petition_block(case: case_pb2.Case, version: str) -> bool:
    if case.HasField("petition"):
        return True
    return case.kind == case_pb2.CASE_KIND_PETITION and version not in format_facts().versions_without_xfxx


def canonical_native(case: case_pb2.Case) -> dict[str, Any]:
    """Common case -> Beijing work order dict, keys in SPEC.md order, extensions not applied."""
    codes = tables()
    facts = format_facts()
    foreign = is_foreign(case)
    version = facts.render_version if foreign else (case.provenance.source_version or facts.render_version)
    urgency = codes.urgency.to_native(case.urgency)
    order: dict[str, Any] = {
        "gdbh": case.native_id,
        "bbh": version,
        "ywlx": codes.kind.to_native(case.kind),
        "qdly": codes.channel.to_native(case.channel),
        "sqlx": codes.request_type.to_native(case.request_type),
        "bt": case.title,
        "sqnr": case.content,
        "sqr": _requester(case.requester),
        "sfdd": _place(case),
        "fl": category_levels(_category_code(case.category)),
        "jjcd": urgency,
        "slsj": format_time(case.received_at),
    }
    deadline = _deadline(case, urgency)
    if deadline is not None:
        order["blsx"] = deadline
    order["zt"] = codes.status.to_native(case.status)
    if case.handlers:
        order["cbdw"] = [{"dwbm": unit.code, "dwmc": unit.name} for unit in case.handlers]
    if case.history:
        order["lz"] = [
            {
                "dz": event.action,
                "sj": format_beijing_seconds(event.at.seconds) if event.HasField("at") else "",
                "czr": event.actor,
                "yj": event.note,
            }
            for event in case.history
        ]
    if case.HasField("feedback"):
        order["hf"] = _feedback(case.feedback)
    if case.attachments:
        order["fj"] = [
            {"wjm": a.name, "lx": a.media_type, "dx": a.size_bytes, "sha256": a.sha256, "url": a.uri}
            for a in case.attachments
        ]
    if _wants_petition_block(case, version):
        order["xfxx"] = _petition(case.petition)
    if foreign:
        order["kzzd"] = {facts.foreign_case_id_key: case.case_id}
    return order
