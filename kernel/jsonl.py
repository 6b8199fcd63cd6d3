"""The common model itself as a document: canonical protobuf JSON of Case, one per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from google.protobuf import json_format

from kernel.codec import Codec, MappingError, Record
from jjj.adapter.v1 import adapter_pb2
from kernel import protojson
from jjj.case.v1 import case_pb2


def case_json(case: case_pb2.Case) -> str:
    return protojson.message_json(case)


def split_lines(content: bytes) -> Iterator[Record]:
    """A JSONL document -> one record per non-blank line (row = line number)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MappingError("document", f"not UTF-8: {error}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield Record(line, line.encode(), row=number)


def line_to_case(record: Record, mapped_at: datetime) -> case_pb2.Case:
    """A line is a case already: mapped_at is the one its provenance says."""
    try:
        case = json_format.Parse(record.value, case_pb2.Case())
    except json_format.ParseError as error:
        raise MappingError("case", f"not a canonical JSON Case: {error}") from None
    if not case.case_id:
        raise MappingError("case_id", "missing")
    return case


def render_lines(lines: Iterable[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


class CommonJsonlCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_UNSPECIFIED
    document_format = adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL
    extension = "jsonl"
    record_field = "case"

    split = staticmethod(split_lines)
    to_common = staticmethod(line_to_case)
    from_common = staticmethod(case_json)
    render = staticmethod(render_lines)


CODEC = CommonJsonlCodec()
