"""A refused envelope shown to an operator: as JSON, with the citizen's name, id number and phone masked. Pure."""

from __future__ import annotations

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from kernel.domain import privacy
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2


def _parties(message: Message) -> list[case_pb2.Party]:
    found = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        values = [value] if isinstance(value, Message) else list(value)  # a repeated field (a map yields its keys)
        for item in values:
            if not isinstance(item, Message):
                continue
            if isinstance(item, case_pb2.Party):
                found.append(item)
            else:
                found.extend(_parties(item))
    return found


IDENTIFIER_SUFFIXES = ("_id", "_code", "_at", "_seq")


def _redact(value, parties: list[case_pb2.Party]):
    if isinstance(value, dict):
        # Identifiers, codes and times are ours, not a citizen's: digit runs in them stay readable.
        return {key: item if key.endswith(IDENTIFIER_SUFFIXES) else _redact(item, parties) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, parties) for item in value]
    if isinstance(value, str):
        for party in parties:
            value = privacy.redact_text(value, party)
        return value if parties else privacy.redact_text(value, case_pb2.Party())
    return value


def envelope_view(data: bytes, *, personal_data: bool = False) -> dict:
    """The envelope as JSON; masked unless the viewer's role may see personal data."""
    try:
        envelope = envelope_pb2.Envelope.FromString(data)
    except DecodeError:
        return {"unreadable": True, "bytes": len(data)}
    envelope.ClearField("signature")
    as_json = json_format.MessageToDict(envelope, preserving_proto_field_name=True)
    if personal_data:
        return as_json
    parties = [case_pb2.Party(name=p.name, id_number=p.id_number, phone=p.phone) for p in _parties(envelope)]
    for party in _parties(envelope):
        party.name = privacy.mask_name(party.name)
        party.phone = privacy.mask_phone(party.phone)
        party.id_number = privacy._mask_digits(party.id_number) if party.id_number else ""
    masked = json_format.MessageToDict(envelope, preserving_proto_field_name=True)
    return _redact(masked, parties)
