"""Canonical protobuf JSON of a message, written by converters made once per field.

`json_format.MessageToJson` decides what to do with every field of every message it meets
(about 60 us a case: more than mapping the case from its native row took). This writes the
same text, byte for byte (a property test compares them), from converters built once per
field descriptor. What it does not know (well-known types other than Timestamp, extensions,
a closed enum holding an unknown number) goes to json_format for the whole message.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from collections.abc import Callable

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from kernel.errors import JjjError

_KNOWN_TYPES = {"google.protobuf.Timestamp"}
_INT64 = {FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64}


class _Unsupported(JjjError):  # noqa: N818 - internal, never leaves message_json: "let json_format write it"
    def __init__(self) -> None:
        super().__init__("not written here: json_format writes it")


Converter = Callable[[object], object]
# Per message type: field -> (JSON name, converter of a value, SCALAR/REPEATED/MAP); TIMESTAMP; or None
# (json_format's to write).
_PLANS: dict[Descriptor, dict | str | None] = {}
SCALAR, REPEATED, MAP = 0, 1, 2
TIMESTAMP = "timestamp"


_EPOCH = datetime.datetime(1970, 1, 1)
# Timestamp's own range (json_format refuses what is outside it; so does the fallback here).
_MIN_SECONDS, _MAX_SECONDS = -62135596800, 253402300799


def _timestamp(stamp) -> str:
    """Timestamp.ToJsonString, without its float arithmetic: RFC 3339, Z, 3, 6 or 9 fractional digits."""
    seconds, nanos = stamp.seconds, stamp.nanos
    if not (_MIN_SECONDS <= seconds <= _MAX_SECONDS and 0 <= nanos < 1_000_000_000):
        raise _Unsupported
    text = (_EPOCH + datetime.timedelta(seconds=seconds)).isoformat()
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _double(value: float) -> object:
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    if math.isnan(value):
        return "NaN"
    return value


def _enum(field: FieldDescriptor) -> Converter:
    names = {number: value.name for number, value in field.enum_type.values_by_number.items()}
    if field.enum_type.full_name == "google.protobuf.NullValue" or any(
            value.GetOptions().ListFields() for value in field.enum_type.values):
        raise _Unsupported  # json_name options on enum values, NullValue: json_format's to write
    closed = field.enum_type.is_closed

    def convert(value):
        name = names.get(value)
        if name is not None:
            return name
        if closed:
            raise _Unsupported
        return value
    return convert


def _converter(field: FieldDescriptor) -> Converter:
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_MESSAGE:
        return _object
    if kind == FieldDescriptor.CPPTYPE_ENUM:
        return _enum(field)
    if kind == FieldDescriptor.CPPTYPE_STRING:
        if field.type == FieldDescriptor.TYPE_BYTES:
            return lambda value: base64.b64encode(value).decode("utf-8")
        return str
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return bool
    if kind in _INT64:
        return str
    if kind == FieldDescriptor.CPPTYPE_DOUBLE:
        return _double
    if kind == FieldDescriptor.CPPTYPE_FLOAT:
        raise _Unsupported  # shortest-float formatting: json_format's
    return lambda value: value  # int32, uint32


def _plan(descriptor: Descriptor) -> dict | str | None:
    if descriptor.full_name == "google.protobuf.Timestamp":
        return TIMESTAMP
    if descriptor.full_name.startswith("google.protobuf."):
        return None
    fields = {}
    try:
        for field in descriptor.fields:
            is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
            target = field.message_type.fields_by_name["value"] if is_map else field
            mode = MAP if is_map else REPEATED if field.is_repeated else SCALAR
            fields[field] = (field.json_name, _converter(target), mode)
    except _Unsupported:
        return None
    return fields


def _object(message: Message) -> object:
    descriptor = message.DESCRIPTOR
    try:
        plan = _PLANS[descriptor]
    except KeyError:
        plan = _PLANS[descriptor] = _plan(descriptor)
    if plan is TIMESTAMP:
        return _timestamp(message)
    if plan is None:
        raise _Unsupported
    result: dict[str, object] = {}
    for field, value in message.ListFields():
        known = plan.get(field)
        if known is None:  # an extension
            raise _Unsupported
        name, convert, mode = known
        if mode == SCALAR:
            result[name] = convert(value)
        elif mode == REPEATED:
            result[name] = [convert(item) for item in value]
        else:
            result[name] = {("true" if key else "false") if isinstance(key, bool) else str(key): convert(value[key])
                            for key in value}
    return result


def message_json(message: Message) -> str:
    """What `json_format.MessageToJson(message, indent=None, ensure_ascii=False)` writes."""
    try:
        value = _object(message)
    except _Unsupported:
        return json_format.MessageToJson(message, indent=None, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)
