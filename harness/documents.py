"""Native documents as a member system sends them: the format of a file, and a big one split into pieces.

A document of many cases can be sent in several SubmitDocument calls (each below the
adapter's limits, each its own progress step). Splitting keeps each piece a valid document
of the same format and encoding: a Beijing JSON array in smaller arrays, Tianjin
WorkOrders in smaller WorkOrders (the bytes of each WorkOrder untouched), a Hebei CSV as
its header line (BOM included) followed by some of its rows, JSON Lines by lines. Each
piece remembers the index of its first case so that rejections name rows and records of
the whole document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kernel import jurisdictions
from jjj.adapter.v1 import adapter_pb2

FORMAT_OF_SUFFIX = {".json": adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, ".xml": adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML,
                    ".csv": adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV, ".jsonl": adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL}
WORK_ORDER = re.compile(rb"<WorkOrder[\s>].*?</WorkOrder>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Piece:
    content: bytes
    first_case: int  # 0-based index in the whole document of the piece's first case
    cases: int


def format_for(jurisdiction: str, filename: str = "") -> int:
    """Common JSON Lines for a .jsonl file, else the jurisdiction's own format."""
    if Path(filename).suffix.lower() == ".jsonl":
        return adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL
    return jurisdictions.by_name(jurisdiction).document_format


def split(content: bytes, document_format: int, cases_per_piece: int) -> list[Piece]:
    """The document in pieces of at most `cases_per_piece` cases; one piece when it cannot be split."""
    splitter = {adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON: _json_pieces, adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML: _xml_pieces,
                adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV: _csv_pieces,
                adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL: _jsonl_pieces}.get(document_format)
    pieces = list(splitter(content, max(1, cases_per_piece))) if splitter else []
    return pieces or [Piece(content, 0, 1)]


def _chunks(count: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, size):
        yield start, min(count, start + size)


def _json_pieces(content: bytes, size: int) -> Iterator[Piece]:
    try:
        records = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return  # the adapter names what is wrong with it
    if not isinstance(records, list) or len(records) <= size:
        return
    for start, end in _chunks(len(records), size):
        yield Piece(json.dumps(records[start:end], ensure_ascii=False, indent=1).encode("utf-8"), start, end - start)


def _xml_pieces(content: bytes, size: int) -> Iterator[Piece]:
    orders = list(WORK_ORDER.finditer(content))
    if len(orders) <= size:
        return
    head, tail = content[:orders[0].start()], content[orders[-1].end():]
    for start, end in _chunks(len(orders), size):
        body = b"\n".join(match.group(0) for match in orders[start:end])
        yield Piece(head + body + tail, start, end - start)


def _csv_records(lines: list[bytes]) -> list[bytes]:
    """Physical lines joined into CSV records: a quoted field may hold a line break."""
    records, pending = [], b""
    for line in lines:
        pending += line
        if pending.count(b'"') % 2 == 0:
            records.append(pending)
            pending = b""
    if pending:
        records.append(pending)
    return records


def _csv_pieces(content: bytes, size: int) -> Iterator[Piece]:
    # GB18030 and UTF-8 both keep '"', CR and LF as the single bytes they are in ASCII.
    lines = content.splitlines(keepends=True)
    if not lines:
        return
    # Only empty lines are dropped: a row of spaces or a form feed goes to the codec, which names it if wrong.
    header, rows = lines[0], [row for row in _csv_records(lines[1:]) if row.strip(b"\r\n")]
    if len(rows) <= size:
        return
    for start, end in _chunks(len(rows), size):
        yield Piece(header + b"".join(rows[start:end]), start, end - start)


def _jsonl_pieces(content: bytes, size: int) -> Iterator[Piece]:
    lines = [line for line in content.splitlines(keepends=True) if line.strip()]
    if len(lines) <= size:
        return
    for start, end in _chunks(len(lines), size):
        yield Piece(b"".join(lines[start:end]), start, end - start)


def shifted(rejection: adapter_pb2.Rejection, first_case: int) -> adapter_pb2.Rejection:
    """A piece's rejection renumbered as a row (header = row 1) or record of the whole document."""
    moved = adapter_pb2.Rejection()
    moved.CopyFrom(rejection)
    if first_case and moved.row > 0:
        moved.row += first_case
    if first_case and moved.record >= 0:
        moved.record += first_case
    return moved


def rejected_piece(violations, document_format: int) -> adapter_pb2.SubmitDocumentResponse:
    """A piece the adapter refused whole (DOCUMENT_REJECTED), as the response it would have given: one
    rejection per violation, in the piece's order (the adapter lists them so), numbered within the piece."""
    rows = document_format == adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    return adapter_pb2.SubmitDocumentResponse(rejections=[
        adapter_pb2.Rejection(row=index + 2 if rows else 0, record=-1 if rows else index, field=violation.field,
                              reason=violation.description)
        for index, violation in enumerate(violations)])
