"""kernel.protojson writes what json_format.MessageToJson writes, byte for byte."""

from __future__ import annotations

import io

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hebei import HebeiCodec
from adapters.hebei.synthetic import synthetic_document
from adapters.registry import codec_for
from kernel.codec import Accepted
from kernel.protojson import message_json
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED

Type = FieldDescriptor


def expected(message) -> str:
    return json_format.MessageToJson(message, indent=None, ensure_ascii=False)


def _scalar(field: FieldDescriptor):
    kind = field.type
    if kind == Type.TYPE_STRING:
        return st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    if kind == Type.TYPE_BYTES:
        return st.binary(max_size=12)
    if kind == Type.TYPE_BOOL:
        return st.booleans()
    if kind == Type.TYPE_ENUM:
        numbers = [value.number for value in field.enum_type.values]
        return st.sampled_from(numbers) | st.integers(-5, 500)  # open enums keep unknown numbers
    if kind == Type.TYPE_DOUBLE:
        return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 116.4, 1e300])
    if kind in (Type.TYPE_INT64, Type.TYPE_SINT64, Type.TYPE_SFIXED64):
        return st.integers(-(2**63), 2**63 - 1)
    if kind in (Type.TYPE_UINT64, Type.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if kind in (Type.TYPE_UINT32, Type.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    return st.integers(-(2**31), 2**31 - 1)


@st.composite
def messages(draw, message_class, depth: int = 0):
    """A message of `message_class` with a random choice of its fields set, at any depth (bounded)."""
    message = message_class()
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        message.seconds = draw(st.integers(-62135596800, 253402300799))
        message.nanos = draw(st.sampled_from([0, 1_000_000, 123_000_000, 4_000, 123_456_000, 7, 999_999_999]))
        return message
    for field in descriptor.fields:
        if not draw(st.booleans()):
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key in draw(st.lists(st.text(max_size=6), max_size=3, unique=True)):
                getattr(message, field.name)[key] = draw(_scalar(value_field))
        elif field.message_type is not None:
            if depth >= 3:
                continue
            child_class = type(getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name))
            if field.is_repeated:
                getattr(message, field.name).pop()
                for child in draw(st.lists(messages(child_class, depth + 1), max_size=2)):
                    getattr(message, field.name).add().CopyFrom(child)
            else:
                getattr(message, field.name).CopyFrom(draw(messages(child_class, depth + 1)))
        elif field.is_repeated:
            getattr(message, field.name).extend(draw(st.lists(_scalar(field), max_size=3)))
        else:
            setattr(message, field.name, draw(_scalar(field)))
    return message


@settings(max_examples=300, deadline=None)
@given(messages(case_pb2.Case))
def test_any_case_is_written_as_json_format_writes_it(case):
    assert message_json(case) == expected(case)


@settings(max_examples=100, deadline=None)
@given(messages(envelope_pb2.Envelope))
def test_any_envelope_is_written_as_json_format_writes_it(envelope):
    assert message_json(envelope) == expected(envelope)


def test_every_sample_and_a_synthetic_export_are_written_as_json_format_writes_them():
    cases = []
    for jurisdiction in ("beijing", "tianjin", "hebei"):
        codec = codec_for(jurisdiction)
        for sample in sorted((SHARED / "jurisdictions" / jurisdiction / "samples" / "valid").iterdir()):
            cases += [outcome.case for outcome in codec.decode(sample.read_bytes()) if isinstance(outcome, Accepted)]
    document = b"".join(synthetic_document(500, seed=8))
    cases += [outcome.case for outcome in HebeiCodec().decode_stream(io.BytesIO(document)) if isinstance(outcome, Accepted)]
    assert len(cases) > 500
    assert [message_json(case) for case in cases] == [expected(case) for case in cases]
