"""Bytes -> Beijing JSON records: one object, or an array of objects (a batch).

Strict UTF-8 (a leading BOM is tolerated), strict JSON: NaN/Infinity and trailing
data are refused. Every failure is a MappingError whose field is "json", so the
rejection always says what kind of problem it was. Records keep their own raw
bytes (the exact slice of the document), for their provenance sha256 and for
quarantine when one record of a batch is rejected. A record's value is the parsed
JSON (any JSON value: to_common checks it is a work order).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from kernel.codec import MappingError, Record

FIELD = "json"
_UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _decode_text(content: bytes) -> str:
    if content.startswith(_UTF8_BOM):
        content = content[len(_UTF8_BOM) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MappingError(
            FIELD, f"document is not UTF-8 JSON (byte 0x{content[error.start]:02x} at offset {error.start})"
        ) from None


def _value_at(text: str, position: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise MappingError(FIELD, f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (ValueError, RecursionError) as error:  # NaN, huge integers, absurd nesting
        raise MappingError(FIELD, f"invalid JSON: {error}") from None


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line} column {column}"


def _batch(text: str, start: int) -> tuple[list[Record], int]:
    """The records of an array opened just before `start`, each with its own bytes,
    and the position after the closing "]"."""
    records: list[Record] = []
    position = _WHITESPACE.match(text, start).end()
    if text.startswith("]", position):
        return records, position + 1
    while True:
        value, end = _value_at(text, position)
        records.append(Record(value, text[position:end].encode("utf-8"), len(records)))
        position = _WHITESPACE.match(text, end).end()
        if text.startswith(",", position):
            position = _WHITESPACE.match(text, position + 1).end()
        elif text.startswith("]", position):
            return records, position + 1
        elif position >= len(text):
            raise MappingError(FIELD, f"invalid JSON: unterminated array at {_where(text, position)}")
        else:
            raise MappingError(FIELD, f"invalid JSON: expected ',' or ']' at {_where(text, position)}")


def parse_document(content: bytes) -> list[Record]:
    """A Beijing document -> its records in order. MappingError("json", ...) if it is not JSON."""
    text = _decode_text(content)
    start = _WHITESPACE.match(text).end()
    if start == len(text):
        raise MappingError(FIELD, "empty document, expected a JSON object or array")
    if text.startswith("[", start):
        records, end = _batch(text, start + 1)
    else:
        value, end = _value_at(text, start)
        records = [Record(value, content)]
    if _WHITESPACE.match(text, end).end() != len(text):
        raise MappingError(FIELD, f"invalid JSON: extra data after the document at {_where(text, end)}")
    return records



def split_orders(content: bytes) -> Iterator[Record]:
    """The codec's split hook: parse_document, handing each record on as it is mapped."""
    records = parse_document(content)
    # Pop as we go: a mapped record's parsed objects are freed at once, which keeps
    # a large batch's live set (and the garbage collector's work) small.
    records.reverse()
    while records:
        yield records.pop()
