"""A big document split into pieces: each a valid document of the same format, together the whole."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import example, given, strategies as st

from adapters.registry import codec_for
from harness import documents
from jjj.adapter.v1 import adapter_pb2
from tests.conftest import SHARED

SAMPLES = SHARED / "jurisdictions"
HEBEI_FOUR = SAMPLES / "hebei/samples/valid/hb_mixed_four.csv"
TIANJIN_FIVE = SAMPLES / "tianjin/samples/valid/tj_batch_five.xml"


def decoded_ids(member: str, content: bytes) -> list[str]:
    cases, rejected = codec_for(member).decode_all(content)
    assert not rejected, rejected
    return [case.case_id for case in cases]


def test_tianjin_workorders_split_into_valid_documents():
    content = TIANJIN_FIVE.read_bytes()
    pieces = documents.split(content, adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML, 2)
    assert [(piece.first_case, piece.cases) for piece in pieces] == [(0, 2), (2, 2), (4, 1)]
    assert sum((decoded_ids("tianjin", piece.content) for piece in pieces), []) == decoded_ids("tianjin", content)


def test_a_gb18030_csv_keeps_its_header_and_encoding_in_every_piece():
    content = HEBEI_FOUR.read_bytes()
    pieces = documents.split(content, adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV, 3)
    assert [(piece.first_case, piece.cases) for piece in pieces] == [(0, 3), (3, 1)]
    header = content.splitlines(keepends=True)[0]
    assert all(piece.content.startswith(header) for piece in pieces)
    assert sum((decoded_ids("hebei", piece.content) for piece in pieces), []) == decoded_ids("hebei", content)


def test_a_document_within_the_size_is_one_piece_unchanged():
    content = TIANJIN_FIVE.read_bytes()
    assert documents.split(content, adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML, 5) == [documents.Piece(content, 0, 1)]
    assert documents.split(b"{not json", adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, 1) == [documents.Piece(b"{not json", 0, 1)]


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=6)


@given(rows=st.lists(st.lists(cells, min_size=1, max_size=3), min_size=1, max_size=12), size=st.integers(1, 5))
@example(rows=[[""], [""], ["\x0c"]], size=1)  # a form feed is whitespace, not an empty line: the row stays
def test_csv_rows_with_quoted_line_breaks_stay_whole(rows, size):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["a", "b", "c"], *rows])  # a cell with "\n" is quoted
    pieces = documents.split(out.getvalue().encode("utf-8"), adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV, size)
    tables = [list(csv.reader(io.StringIO(piece.content.decode("utf-8")))) for piece in pieces]
    if len(rows) <= size:
        assert len(pieces) == 1
        return
    assert all(table[0] == ["a", "b", "c"] for table in tables)
    assert [row for table in tables for row in table[1:]] == rows
    assert [piece.first_case for piece in pieces] == list(range(0, len(rows), size))


@given(records=st.lists(st.dictionaries(st.sampled_from(["gdbh", "bt"]), st.text(max_size=5)), max_size=9),
       size=st.integers(1, 4))
def test_json_arrays_and_json_lines_split_in_order(records, size):
    array = json.dumps(records, ensure_ascii=False).encode("utf-8")
    pieces = documents.split(array, adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, size)
    if len(records) > size:
        assert sum((json.loads(piece.content) for piece in pieces), []) == records
        assert all(piece.cases <= size for piece in pieces)
    lines = b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)
    pieces = documents.split(lines, adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL, size)
    if len(records) > size:
        assert [json.loads(line) for piece in pieces for line in piece.content.splitlines()] == records


def test_a_rejection_of_a_piece_is_renumbered_in_the_whole_document():
    row = documents.shifted(adapter_pb2.Rejection(row=2, record=-1, field="件号"), 3)
    assert (row.row, row.record) == (5, -1)
    record = documents.shifted(adapter_pb2.Rejection(row=0, record=1, field="gdbh"), 4)
    assert (record.row, record.record) == (0, 5)
