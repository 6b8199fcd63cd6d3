"""Enum values by the names an engineer types: `STATUS_RECEIVED`, `received`, `signed` (签收) alike."""

from __future__ import annotations

from kernel import jurisdictions
from kernel.errors import InvalidRequest, UnknownJurisdiction
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

# The words of the domain (docs and the hotline staff) for the common statuses.
STATUS_ALIASES = {
    "signed": "STATUS_RECEIVED",  # 签收
    "sign": "STATUS_RECEIVED",
    "refused": "STATUS_NOT_ACCEPTED",  # 不予受理
    "handling": "STATUS_IN_PROGRESS",
    "taken_back": "STATUS_REGISTERED",  # 撤回
    "takeback": "STATUS_REGISTERED",
}


def _value(enum, prefix: str, name: str, aliases: dict[str, str], what: str) -> int:
    key = name.strip().replace("-", "_")
    full = aliases.get(key.lower()) or (key.upper() if key.upper().startswith(prefix) else f"{prefix}{key.upper()}")
    if full in enum.keys() and enum.Value(full) != 0:
        return enum.Value(full)
    known = ", ".join(n.removeprefix(prefix).lower() for n in enum.keys() if enum.Value(n) != 0)
    raise InvalidRequest(f"unknown {what} {name!r}; one of {known}", violations=[(what, f"one of {known}")])


def status(name: str) -> int:
    return _value(case_pb2.Status, "STATUS_", name, STATUS_ALIASES, "status")


def return_reason(name: str) -> int:
    """`not_ours`, `wrong_place`, `incomplete`, `duplicate`, `other` (退单 codes, schemas/lifecycle.yaml)."""
    return _value(case_pb2.ReturnReason, "RETURN_REASON_", name, {}, "return_reason")


def closing(name: str) -> int:
    """`handled`, `withdrawn` (撤回), `merged` (并单), `informed` (告知性办结), `false_or_malicious`."""
    return _value(case_pb2.Closing, "CLOSING_", name, {"malicious": "CLOSING_FALSE_OR_MALICIOUS"}, "closing")


def event_type(name: str) -> int:
    """`note`, `urging` (催办), `supervision` (督办), `extension` (延期), `reply_delivered`, `hearing_started`, ..."""
    return _value(case_pb2.EventType, "EVENT_TYPE_", name, {"urge": "EVENT_TYPE_URGING", "supervise": "EVENT_TYPE_SUPERVISION",
                                                          "extend": "EVENT_TYPE_EXTENSION"}, "event_type")


def satisfaction(name: str) -> int:
    return _value(case_pb2.Satisfaction, "SATISFACTION_", name, {"basically": "SATISFACTION_BASICALLY_SATISFIED"},
                  "satisfaction")


def share_topic(name: str) -> int:
    return _value(envelope_pb2.ShareTopic, "SHARE_TOPIC_", name, {"digest": "SHARE_TOPIC_CASE_DIGEST"}, "topic")


def classification(name: str) -> int:
    return _value(envelope_pb2.Classification, "CLASSIFICATION_", name, {}, "classification")


def flow(name: str) -> int:
    return _value(envelope_pb2.Flow, "FLOW_", name, {"transfer": "FLOW_HOTLINE_TRANSFER", "status": "FLOW_STATUS_UPDATE",
                                                   "share": "FLOW_INFORMATION_SHARE"}, "flow")


def jurisdiction(name: str) -> int:
    """A member's enum value, by its name (`hebei`), short code (`HE`) or enum name (`JURISDICTION_HEBEI`)."""
    text = name.strip()
    for member in jurisdictions.members():
        if text.lower() in (member.name, member.short.lower(), member.enum_name.lower()):
            return member.enum
    return jurisdictions.by_name(text).enum  # raises UnknownJurisdiction naming the members


def member_name(value: int) -> str:
    return jurisdictions.by_enum(value).name


def status_name(value: int) -> str:
    return case_pb2.Status.Name(value) if value in case_pb2.Status.values() else str(value)


def flow_name(value: int) -> str:
    return envelope_pb2.Flow.Name(value) if value in envelope_pb2.Flow.values() else str(value)


def jurisdiction_name(value: int) -> str:
    return case_pb2.Jurisdiction.Name(value) if value in case_pb2.Jurisdiction.values() else str(value)


def member_label(value: int) -> str:
    """`beijing`, `federation` for what the federation itself sends, else the enum's name."""
    try:
        return jurisdictions.display_name(value)
    except UnknownJurisdiction:
        return jurisdiction_name(value)
