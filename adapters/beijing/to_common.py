"""Beijing work order (parsed JSON object) -> common case. Pure functions.

map_to_case: check the order (schema.py), map every field the model has a place
for, flag doubtful data, and keep everything else in extensions (residue.py) so
the order can be rendered back unchanged (from_common.case_to_native).

Decisions (SPEC.md, COMMON_MODEL.md):
- jjcd 2 or 3 without blsx is rejected naming blsx: "must have blsx" is Beijing's
  own rule, and an order breaking its sender's rules is rejected like a missing
  required field (the order is quarantined, not lost). Likewise xfxx for ywlx XF,
  except in bbh 3.1, which predates xfxx.
- An empty blsx or lz[].sj ("") means no time; a malformed or impossible one rejects.
- Anonymous (sqr.sfnm true): requester.anonymous and nothing else. If such an order
  still names a person, the name, id and phone are dropped, not kept anywhere
  (flag requester.anonymous:identity_dropped): the citizen asked for anonymity.
- The category is the most specific fl level present; the other levels, sqr.xb and
  sfdd.zb.zbx are always kept in extensions (beijing.fl.yj, beijing.sqr.xb ...).
- Coordinates: zbx absent means GCJ02 (SPEC: always GCJ02); an unknown zbx keeps the
  raw coordinates in extensions without a point (flag location.point:unknown_crs).
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timezone
from typing import Any

from adapters.beijing import residue, schema
from adapters.beijing.canonical import canonical_native
from adapters.beijing.hotpath import beijing_time_seconds, normalize_lxdh
from adapters.beijing.schema import Classification, FollowUp, Petition, Place, Requester, WorkOrder
from adapters.beijing.tables import format_facts, tables
from kernel.codec import MappingError, Record
from kernel.normalize.admin import is_known_admin_code
from kernel.normalize.geo import in_mainland_china, to_wgs84
from kernel.normalize.resident_id import normalize_id_number
from kernel.normalize.taxonomy import BEIJING_SCHEME, map_category, source_name_for
from kernel.normalize.text import clean_code, nfc
from jjj.case.v1 import case_pb2

SOURCE_SCHEMA = "beijing-json"
ADAPTER_VERSION = "0.1.0"
ORIGIN_SHORT = "BJ"
_IDENTITY_FIELDS = ("xm", "zjlx", "zjhm", "lxdh")
_URGENT = (case_pb2.URGENCY_URGENT, case_pb2.URGENCY_CRITICAL)
_LEVEL_KEYS = {name: residue.key_for(("fl", name)) for name in ("yj", "ej", "sj")}
_GENDER_KEY = residue.key_for(("sqr", "xb"))
_CRS_KEY = residue.key_for(("sfdd", "zb", "zbx"))


@functools.lru_cache(maxsize=1)  # a batch is mapped at one `now`
def _timestamp_parts(moment: datetime) -> tuple[int, int]:
    return int(moment.timestamp()), moment.microsecond * 1000


def case_id_for(gdbh: str) -> str:
    return f"jjj:{ORIGIN_SHORT}:{gdbh}"


def _check_rules(order: WorkOrder, kind: int, urgency: int) -> None:
    if urgency in _URGENT and not order.get("blsx"):
        raise MappingError("blsx", f"required when jjcd is {order['jjcd']} (Beijing: an urgent order has a deadline)")
    if (
        kind == case_pb2.CASE_KIND_PETITION
        and order.get("xfxx") is None
        and order["bbh"] not in format_facts().versions_without_xfxx
    ):
        raise MappingError("xfxx", f"required when ywlx is XF (schema version {order['bbh']})")


def _requester(person: Requester, party: case_pb2.Party, flags: list[str]) -> None:
    party.SetInParent()
    if person.get("sfnm"):
        party.anonymous = True
        if any(person.get(field) for field in _IDENTITY_FIELDS):
            flags.append("requester.anonymous:identity_dropped")
        return
    party.name = person.get("xm") or ""
    party.id_type = tables().id_type.to_common(person.get("zjlx") or "")
    id_number = person.get("zjhm")
    if id_number:
        number = normalize_id_number(id_number)
        party.id_number = number.value
        if party.id_type == case_pb2.ID_TYPE_RESIDENT_ID and not number.checksum_ok:
            flags.append("requester.id_number:checksum")
    phone_number = person.get("lxdh")
    if phone_number:
        phone = normalize_lxdh(phone_number)
        party.phone = phone.value
        if not phone.valid:
            flags.append("requester.phone:invalid")


def _location(place: Place, location: case_pb2.Location, flags: list[str]) -> None:
    admin_code = place["xzqh"]
    location.admin_code = admin_code
    if not is_known_admin_code(admin_code):
        flags.append("location.admin_code:unknown")
    location.street_code = place.get("jdxz") or ""
    location.address = place.get("dz") or ""
    coordinates = place.get("zb")
    if coordinates is None:
        return
    crs_name = coordinates.get("zbx")
    if crs_name is None:
        crs = format_facts().render_crs  # SPEC: always GCJ02
    else:
        try:
            crs = tables().crs.to_common(clean_code(crs_name).upper())
        except MappingError:
            flags.append("location.point:unknown_crs")
            return
    lng, lat = to_wgs84(coordinates["lng"], coordinates["lat"], crs)
    location.source_crs = crs
    point = location.point
    point.longitude = lng
    point.latitude = lat
    if not in_mainland_china(lng, lat):
        flags.append("location.point:outside_mainland")


def _levels_present(levels: Classification) -> list[tuple[str, str]]:
    return [(name, code) for name in ("yj", "ej", "sj") if (code := levels.get(name))]


def _category(levels: list[tuple[str, str]], category: case_pb2.Category, flags: list[str]) -> None:
    """The most specific fl level present is the case's source category."""
    _, source_code = levels[-1]
    match = map_category(BEIJING_SCHEME, source_code)
    category.code = match.code
    category.source_code = source_code
    category.source_name = source_name_for(BEIJING_SCHEME, source_code) or ""
    category.source_scheme = BEIJING_SCHEME
    if not match.known:
        flags.append("category:unknown_code")


def _lists(order: WorkOrder, case: case_pb2.Case) -> None:
    for unit in order.get("cbdw") or ():
        case.handlers.add(code=unit.get("dwbm") or "", name=unit.get("dwmc") or "")
    for index, step in enumerate(order.get("lz") or ()):
        event = case.history.add(action=step.get("dz") or "", actor=step.get("czr") or "", note=step.get("yj") or "")
        if step.get("sj"):
            event.at.seconds = beijing_time_seconds(step["sj"], f"lz[{index}].sj")
    for item in order.get("fj") or ():
        case.attachments.add(
            name=item.get("wjm") or "",
            media_type=item.get("lx") or "",
            size_bytes=item.get("dx") or 0,
            sha256=(item.get("sha256") or "").lower(),
            uri=item.get("url") or "",
        )


def _follow_up(follow_up: FollowUp | None, case: case_pb2.Case) -> None:
    if follow_up is None:
        return
    feedback = case.feedback
    feedback.SetInParent()
    if follow_up.get("sflx") is not None:
        feedback.contacted = follow_up["sflx"]
    if follow_up.get("sfjj") is not None:
        feedback.resolved = follow_up["sfjj"]
    if follow_up.get("myd") is not None:
        feedback.satisfaction = tables().satisfaction.to_common(follow_up["myd"])


def _petition(details: Petition | None, case: case_pb2.Case) -> None:
    if details is None:
        return
    codes = tables()
    petition = case.petition
    petition.SetInParent()
    if details.get("xfxs") is not None:
        petition.form = codes.petition_form.to_common(details["xfxs"])
    petition.participants = details.get("rs") or 0
    petition.bypassed_level = bool(details.get("sfyj"))
    petition.repeat = bool(details.get("sfcf"))
    petition.first_time = bool(details.get("scxf"))
    if details.get("xfmd") is not None:
        petition.purpose = codes.petition_purpose.to_common(details["xfmd"])


def _always_kept(obj: dict[str, Any], levels: list[tuple[str, str]]) -> dict[str, str]:
    """Native values kept in extensions even when the canonical rendering gives them back,
    so readers of the case see them: the fl levels above the source category, sqr.xb,
    sfdd.zb.zbx. Raw values (not folded): extensions render the order back. Strings only;
    anything else is in the residue already."""
    kept: dict[str, str] = {}
    for name, _ in levels[:-1]:
        kept[_LEVEL_KEYS[name]] = obj["fl"][name]
    gender = obj["sqr"].get("xb")
    if type(gender) is str:
        kept[_GENDER_KEY] = gender
    coordinates = obj["sfdd"].get("zb")
    if type(coordinates) is dict and type(coordinates.get("zbx")) is str:
        kept[_CRS_KEY] = coordinates["zbx"]
    return kept


def _without_dropped_identity(obj: dict[str, Any], anonymous: bool) -> dict[str, Any]:
    """The object as the residue may see it: an anonymous requester's identity is not kept."""
    if not anonymous:
        return obj
    person = dict(obj["sqr"])
    for field in _IDENTITY_FIELDS:
        if isinstance(person.get(field), str) and person[field]:
            person[field] = ""
    return {**obj, "sqr": person}


def map_to_case(obj: Any, raw: bytes, *, now: datetime | None = None) -> case_pb2.Case:
    """One parsed Beijing work order -> Case; MappingError (field, reason) if it cannot be one.

    `raw` is the order's own bytes (its sha256 goes to provenance); `now` is the
    mapping time (default: the current UTC time).
    """
    order = schema.validate(obj)
    codes = tables()
    flags: list[str] = []
    case = case_pb2.Case(
        case_id=case_id_for(order["gdbh"]),
        origin=case_pb2.JURISDICTION_BEIJING,
        native_id=order["gdbh"],
        kind=codes.kind.to_common(order["ywlx"]),
        channel=codes.channel.to_common(order["qdly"]),
        request_type=codes.request_type.to_common(order["sqlx"]),
        title=order.get("bt") or "",
        content=nfc(order["sqnr"]),
        urgency=codes.urgency.to_common(order["jjcd"]),
        status=codes.status.to_common(order["zt"]),
    )
    _check_rules(order, case.kind, case.urgency)
    case.received_at.seconds = beijing_time_seconds(order["slsj"], "slsj")
    if order.get("blsx"):
        case.due_at.seconds = beijing_time_seconds(order["blsx"], "blsx")
    _requester(order["sqr"], case.requester, flags)
    _location(order["sfdd"], case.location, flags)
    levels = _levels_present(order["fl"])
    _category(levels, case.category, flags)
    _lists(order, case)
    _follow_up(order.get("hf"), case)
    _petition(order.get("xfxx"), case)
    case.quality_flags.extend(flags)
    provenance = case.provenance
    provenance.source_schema = SOURCE_SCHEMA
    provenance.source_version = order["bbh"]
    provenance.adapter_version = ADAPTER_VERSION
    provenance.document_sha256 = hashlib.sha256(raw).hexdigest()
    provenance.mapped_at.seconds, provenance.mapped_at.nanos = _timestamp_parts(now or datetime.now(timezone.utc))

    # Whatever the canonical rendering of the new case does not give back is kept.
    native = _without_dropped_identity(obj, case.requester.anonymous)
    extensions = residue.diff(native, canonical_native(case))
    extensions.update(_always_kept(obj, levels))
    case.extensions.update(extensions)
    return case


def record_to_case(record: Record, mapped_at: datetime) -> case_pb2.Case:
    """The codec's to_common hook: one record of parser.split_orders."""
    return map_to_case(record.value, record.raw, now=mapped_at)
