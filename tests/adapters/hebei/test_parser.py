"""Hebei CSV parsing: encodings, header, row numbers, raw bytes, streaming with bounded memory."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from kernel.codec import Accepted, Rejected
from adapters.hebei import parser, renderer
from adapters.hebei.tables import HEADER
from tests.adapters.hebei.support import (
    HOTLINE_ROW,
    PETITION_ROW,
    codec,
    csv_text,
    document,
    row,
    without_provenance,
)


def outcomes_of(data: bytes) -> list:
    return list(codec().decode(data))


def accepted_ids(outcomes) -> list[str]:
    return [o.case.native_id for o in outcomes if isinstance(o, Accepted)]


def rejected_rows(outcomes) -> list[tuple[int, str]]:
    return [(o.row, o.field) for o in outcomes if isinstance(o, Rejected)]


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("gb18030"),
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: "\ufeff".encode("gb18030") + text.encode("gb18030"),  # GB18030's own BOM
    ],
    ids=["gb18030", "utf-8", "utf-8-bom", "gb18030-bom"],
)
def test_every_accepted_encoding_gives_the_same_cases(encode):
    text = csv_text([HOTLINE_ROW, PETITION_ROW])
    reference, _ = codec().decode_all(text.encode("gb18030"))
    cases, rejected = codec().decode_all(encode(text))
    assert rejected == []
    assert [without_provenance(c) for c in cases] == [without_provenance(c) for c in reference]
    assert cases[0].content == HOTLINE_ROW["内容"]


def test_sniffing_looks_at_the_header_line():
    header = ",".join(HEADER)
    assert parser.sniff_encoding(header.encode("gb18030")) == "gb18030"
    assert parser.sniff_encoding(header.encode("utf-8")) == "utf-8"
    assert parser.sniff_encoding(b"\xef\xbb\xbf" + header.encode("utf-8")) == "utf-8-sig"
    assert parser.sniff_encoding(b"a,b,c\r\n") == "gb18030"  # ASCII: the default
    # A UTF-8 header cut in the middle of a character by the sniff limit is still UTF-8.
    assert parser.sniff_encoding(header.encode("utf-8")[:4]) == "utf-8"


def test_a_gb18030_header_is_never_valid_utf8():
    with pytest.raises(UnicodeDecodeError):
        ",".join(HEADER).encode("gb18030").decode("utf-8")


def test_undecodable_bytes_reject_only_their_row_and_keep_the_bytes():
    good = csv_text([HOTLINE_ROW]).encode("gb18030")
    bad_line = renderer.render_row(row(件号="HB1310222026000125", 内容="XX")).encode("gb18030").replace(b"XX", b"\xff\x81,")
    last = renderer.render_row(row(件号="HB1310222026000126")).encode("gb18030")
    outcomes = outcomes_of(good + bad_line + last)
    assert accepted_ids(outcomes) == ["HB1310222026000123", "HB1310222026000126"]
    (bad,) = [o for o in outcomes if isinstance(o, Rejected)]
    assert (bad.row, bad.field) == (3, "encoding")
    assert bad.raw == bad_line


def test_invalid_utf8_in_a_utf8_file_rejects_only_that_row():
    head = csv_text([HOTLINE_ROW]).encode("utf-8")
    bad_line = renderer.render_row(row(件号="HB1310222026000125", 内容="XX")).encode("utf-8").replace(b"XX", b"\xe4\xb8")
    outcomes = outcomes_of(head + bad_line)
    assert rejected_rows(outcomes) == [(3, "encoding")]
    assert [o.raw for o in outcomes if isinstance(o, Rejected)] == [bad_line]


# --- header ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        list(reversed(HEADER)),
        list(HEADER[:-1]),
        [*HEADER, "备注"],
        [HEADER[0] + " ", *HEADER[1:]],
        ["a", "b", "c"],
    ],
    ids=["order", "missing", "extra", "spelling", "foreign"],
)
def test_a_header_not_exactly_the_spec_rejects_the_document(header):
    data = document([HOTLINE_ROW], header=header)
    outcomes = outcomes_of(data)
    assert len(outcomes) == 1
    (rejected,) = outcomes
    assert isinstance(rejected, Rejected)
    assert rejected.field == "header" and rejected.row == 1 and rejected.record == -1
    assert "header" in rejected.message()
    assert rejected.raw == data  # decode() keeps the whole document for quarantine


def test_a_streamed_document_with_a_bad_header_keeps_the_header_row():
    data = document([HOTLINE_ROW], header=["a", "b"])
    (rejected,) = codec().decode_stream(io.BytesIO(data))
    assert rejected.raw == b"a,b\r\n"


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\xef\xbb\xbf"], ids=["empty", "blank-line", "bom-only"])
def test_no_header_rejects_the_document(data):
    (rejected,) = outcomes_of(data)
    assert isinstance(rejected, Rejected) and rejected.field == "header"


def test_a_header_in_another_encoding_is_a_header_problem():
    data = csv_text([HOTLINE_ROW]).encode("utf-16")
    (rejected,) = outcomes_of(data)
    assert rejected.field == "header"


def test_header_only_gives_nothing():
    assert outcomes_of(document([])) == []


# --- rows --------------------------------------------------------------------------------


def test_a_file_mixing_good_and_bad_rows_reports_the_right_row_numbers():
    multi_line = row(件号="HB1310222026000201", 内容="第一行\r\n第二行，有逗号, 和 \"引号\"\r\n第三行")
    rows = [
        row(件号="HB1310222026000200"),  # row 2
        row(件号="HB1310222026000300", 登记时间="2026/2/30 9:05"),  # row 3: impossible date
        multi_line,  # row 4, three physical lines
        row(件号="HB1310222026000301", 来源渠道="电话"),  # row 5: not in the list
        [],  # row 6: a blank line, skipped
        ["HB1310222026000302", "热线工单"],  # row 7: too few columns
        row(件号="BJ2026112400001"),  # row 8: foreign id
        row(PETITION_ROW, 件号="HB1310822026000303", 信访人数=""),  # row 9: petition without 信访人数
        row(件号="HB1310222026000202", 内容="末行\n只有换行"),  # row 10
    ]
    outcomes = outcomes_of(document(rows))
    assert accepted_ids(outcomes) == ["HB1310222026000200", "HB1310222026000201", "HB1310222026000202"]
    assert rejected_rows(outcomes) == [(3, "登记时间"), (5, "来源渠道"), (7, "row"), (8, "件号"), (9, "信访人数")]
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            assert outcome.record == outcome.row - 2
    multi = next(o.case for o in outcomes if isinstance(o, Accepted) and o.case.native_id.endswith("201"))
    assert multi.content == multi_line["内容"]


def test_rejected_rows_carry_their_exact_original_bytes():
    bad = row(件号="HB1310222026000300", 内容="多行\r\n内容", 登记时间="2026-11-24 09:05")
    data = document([HOTLINE_ROW, bad, row(件号="HB1310222026000301")])
    (rejected,) = [o for o in outcomes_of(data) if isinstance(o, Rejected)]
    expected = renderer.render_row(bad).encode("gb18030")
    assert rejected.raw == expected
    assert expected in data
    assert rejected.field == "登记时间" and "yyyy/M/d H:mm" in rejected.reason


def test_a_cell_larger_than_the_csv_limit_rejects_its_row_only():
    huge = row(件号="HB1310222026000300", 内容="长" * 200_000)
    outcomes = outcomes_of(document([HOTLINE_ROW, huge, row(件号="HB1310222026000301")]))
    assert accepted_ids(outcomes) == ["HB1310222026000123", "HB1310222026000301"]
    assert rejected_rows(outcomes) == [(3, "row")]


def test_an_overlong_line_is_cut_and_rejected(monkeypatch):
    monkeypatch.setattr(parser, "MAX_LINE_CHARS", 5_000)
    long_row = row(件号="HB1310222026000300", 内容="长" * 6_000)
    outcomes = outcomes_of(document([HOTLINE_ROW, long_row, row(件号="HB1310222026000301")]))
    assert accepted_ids(outcomes) == ["HB1310222026000123", "HB1310222026000301"]
    (rejected,) = [o for o in outcomes if isinstance(o, Rejected)]
    assert (rejected.row, rejected.field) == (3, "row")
    assert len(rejected.raw.decode("gb18030")) == 5_000


def test_a_truncated_file_loses_only_its_last_row():
    data = document([HOTLINE_ROW, row(件号="HB1310222026000301", 内容="被截断的\r\n内容")])
    truncated = data[: data.rindex("被截断的".encode("gb18030")) + 4]
    outcomes = outcomes_of(truncated)
    assert accepted_ids(outcomes) == ["HB1310222026000123"]
    assert rejected_rows(outcomes) == [(3, "row")]


def test_a_missing_final_line_end_is_fine():
    data = document([HOTLINE_ROW]).rstrip(b"\r\n")
    assert accepted_ids(outcomes_of(data)) == ["HB1310222026000123"]


def test_a_stray_quote_in_an_unquoted_cell_is_read_as_text():
    line = renderer.render_row(HOTLINE_ROW).replace("雨天积水", 'a"b')
    outcomes = outcomes_of(document([]) + line.encode("gb18030"))
    (accepted,) = outcomes
    assert 'a"b' in accepted.case.content


# --- streaming ---------------------------------------------------------------------------


class TrickleReader(io.RawIOBase):
    """A non-seekable source that hands out a few bytes at a time and counts what was read."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._data, self._step, self.consumed = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk = self._data[self.consumed : self.consumed + size]
        self.consumed += len(chunk)
        return chunk


def test_decode_stream_gives_the_same_outcomes_as_decode():
    data = document([HOTLINE_ROW, row(件号="X"), PETITION_ROW])
    streamed = list(codec().decode_stream(TrickleReader(data)))
    whole = outcomes_of(data)
    assert [type(o) for o in streamed] == [type(o) for o in whole]
    assert rejected_rows(streamed) == rejected_rows(whole)
    assert [without_provenance(o.case) for o in streamed if isinstance(o, Accepted)] == [
        without_provenance(o.case) for o in whole if isinstance(o, Accepted)
    ]


def test_decode_stream_is_lazy():
    data = document([row(件号=f"HB131022202600{i:04d}") for i in range(3_000)])
    source = TrickleReader(data, step=4096)
    outcomes = codec().decode_stream(source)
    first = next(outcomes)
    assert isinstance(first, Accepted)
    assert source.consumed < len(data) / 10


class GeneratedCsv(io.RawIOBase):
    """A Hebei CSV of `rows` distinct anonymous work orders (times over a few days), made as it is read:
    the source itself never holds more than one read's worth, so what is measured is the decoder."""

    TEMPLATE = renderer.render_row(row(
        是否匿名="是", 姓名="", 证件类型="", 证件号码="", 联系电话="", 承办单位="", 流转记录="",
        件号="HB131022{serial:010d}", 登记时间="2026/11/{day} {hour}:{minute:02d}",
    ))

    def __init__(self, rows: int) -> None:
        self._serials = iter(range(rows))
        self._pending = document([])
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer) and (serial := next(self._serials, None)) is not None:
            minute = serial // 7
            self._pending += self.TEMPLATE.format(serial=2026_000000 + serial, day=20 + minute // 1440 % 8,
                                                  hour=minute // 60 % 24, minute=minute % 60).encode("gb18030")
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        self.produced += size
        return size


def _decode_generated(rows: int) -> tuple[int, int, int]:
    """(rows accepted, peak traced bytes while decoding, bytes read)."""
    source = GeneratedCsv(rows)
    accepted = 0
    tracemalloc.start()
    try:
        for outcome in codec().decode_stream(source):
            assert isinstance(outcome, Accepted), outcome
            accepted += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return accepted, peak, source.produced


def test_streaming_memory_does_not_grow_with_the_file():
    rows = 1_500
    _decode_generated(200)  # first use fills the codec's bounded caches; not what is measured
    small = _decode_generated(rows)
    large = _decode_generated(4 * rows)
    assert (small[0], large[0]) == (rows, 4 * rows)
    extra_bytes = large[2] - small[2]
    assert extra_bytes > 750_000
    # Three times as many more rows cost (next to) no more memory: under a twentieth of the bytes they add,
    # where holding the file, its text or its cases would cost several times those bytes.
    assert large[1] - small[1] < extra_bytes / 20, f"peak {small[1]:,} -> {large[1]:,} bytes for {extra_bytes:,} more bytes"
    assert large[1] < large[2] / 4, f"peak {large[1]:,} bytes for a {large[2]:,}-byte document"
