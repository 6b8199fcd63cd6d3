"""Hebei CSV bytes -> one record per row (or a Rejected for a row that is not one), streamed.

Encoding: GB18030 unless the document is UTF-8, which it says by a BOM or by a
header line that decodes as UTF-8 (the header is Chinese, and GB18030-encoded
Chinese is never valid UTF-8). The rest is decoded incrementally, so memory stays
bounded by the longest row, never by the file. Bytes that do not decode are not
fatal: they are carried through as lone surrogates (errors="surrogateescape") and
only their row is rejected, with its original bytes.

Rows are counted as CSV records, header = row 1: a quoted cell spanning several
lines is still one row. A blank line is a row too (it is skipped, not rejected), so
row numbers match what an operator counts in the file.

Each row carries its decoded text: re-encoded in the document's encoding it gives
back the row's original bytes (its raw, for quarantine, computed only when a
rejection asks), and its UTF-8 form is what provenance.document_sha256 hashes, so
the same row hashes the same whether the file was GB18030 or UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from itertools import chain
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from kernel.codec import MappingError, Rejected
from adapters.hebei.tables import HEADER, check_header

DEFAULT_ENCODING = "gb18030"
UTF8_BOM = codecs.BOM_UTF8
# The header line decides the encoding; read at most this much to find it.
SNIFF_LIMIT = 64 * 1024
# A physical line longer than this is cut: its row is rejected and memory stays bounded.
# (csv's own limit of 131,072 characters per cell rejects a longer cell first.)
MAX_LINE_CHARS = 4 * 1024 * 1024
_READ_SIZE = 64 * 1024
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_COLUMN_COUNT = len(HEADER)
# Records read ahead before they are mapped (see _split).
_BATCH_ROWS = 64


class Row(NamedTuple):
    """One CSV record (a kernel.codec.NativeRecord): to_common.record_to_case checks and maps it."""

    row: int
    cells: list[str]
    # The row as decoded, line end included; undecodable bytes as lone surrogates.
    text: str
    # The encoding that turns `text` back into the document's bytes.
    encoding: str

    @property
    def index(self) -> int:
        return self.row - 2

    @property
    def raw(self) -> bytes:
        return self.text.encode(self.encoding, "surrogateescape")


class _PrefixedReader(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the source."""

    def __init__(self, prefix: bytes, source: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._source.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        return count


class _Lines:
    """Physical lines for csv.reader, remembering those of the record being read.

    A line longer than MAX_LINE_CHARS is cut: the rest of it is skipped, `overlong`
    is set, and the iterator hands csv a non-string, which makes csv.reader raise
    csv.Error for this record and start afresh on the next line.
    """

    def __init__(self, text: io.TextIOBase) -> None:
        self.taken: list[str] = []
        self.overlong = False
        self._text = text
        self.iterator = self._lines()

    def _lines(self) -> Iterator[str | None]:
        readline = self._text.readline
        while True:
            line = readline(MAX_LINE_CHARS)
            if not line:
                return
            self.taken.append(line)
            if len(line) == MAX_LINE_CHARS and line[-1] not in "\r\n":
                self.overlong = True
                while line and line[-1] not in "\r\n":
                    line = readline(MAX_LINE_CHARS)
                yield None
                continue
            yield line


def sniff_encoding(head: bytes) -> str:
    """The codec for a document starting with `head` (at least its first line, when it has one)."""
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    first_line = head.split(b"\n", 1)[0]
    try:
        # final=False: a sniff cut in the middle of a character is still clean so far.
        text = codecs.getincrementaldecoder("utf-8")().decode(first_line, final=False)
    except UnicodeDecodeError:
        return DEFAULT_ENCODING
    return "utf-8" if not text.isascii() else DEFAULT_ENCODING


def _read_head(source: BinaryIO) -> bytes:
    head = b""
    while len(head) < SNIFF_LIMIT and b"\n" not in head:
        chunk = source.read(SNIFF_LIMIT - len(head))
        if not chunk:
            break
        head += chunk
    return head


def split_rows(content: bytes) -> Iterator[Row | Rejected]:
    """The codec's split hook: every row of a Hebei CSV in memory, in file order.

    A wrong or missing header rejects the document (field "header", row 1, all of
    `content` as raw) and nothing else is read. Every other problem rejects one row only.
    """
    return chain.from_iterable(_batches(io.BytesIO(content), document=content))


def split_stream(source: BinaryIO) -> Iterator[Row | Rejected]:
    """split_rows over a binary file object, read as the rows are taken (memory bounded
    by a row, not the file); a rejected header keeps the header lines as raw."""
    return chain.from_iterable(_batches(source, document=None))


def _batches(source: BinaryIO, document: bytes | None) -> Iterator[list[Row | Rejected]]:
    """The rows a few dozen at a time (chained by the split functions: one generator
    step per batch, not per row)."""
    head = _read_head(source)
    encoding = sniff_encoding(head)
    raw_encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # rows carry no BOM
    buffered = io.BufferedReader(_PrefixedReader(head, source), buffer_size=_READ_SIZE)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines.iterator, strict=False)

    def raw_of(text: str) -> bytes:
        return text.encode(raw_encoding, "surrogateescape")

    def header_rejected(reason: str) -> list[Rejected]:
        raw = raw_of("".join(lines.taken)) if document is None else document
        return [Rejected(field="header", reason=reason, row=1, raw=raw)]

    try:
        header = next(reader)
    except StopIteration:
        yield header_rejected("empty document: no header row")
        return
    except csv.Error as error:
        yield header_rejected(f"header row is not readable CSV ({error})")
        return
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]  # a GB18030 BOM (84 31 95 33) decodes to U+FEFF
    try:
        check_header(header)
    except MappingError as error:
        undecodable = _UNDECODABLE.search("".join(lines.taken))
        yield header_rejected(f"header is not valid {encoding} text; {error.reason}" if undecodable else error.reason)
        return

    taken = lines.taken
    new_row = functools.partial(tuple.__new__, Row)  # Row(...) without its Python-level __new__
    row_number = 1
    exhausted = False
    while not exhausted:
        # Read a small batch of records, then hand them on to be mapped: keeping CSV
        # reading and mapping apart is ~10% faster (each keeps its working set in the
        # CPU caches), and memory stays bounded by the batch.
        batch: list[Row | Rejected] = []
        while len(batch) < _BATCH_ROWS:
            taken.clear()  # the lines of the record about to be read
            row_number += 1
            try:
                record = next(reader)
            except StopIteration:
                exhausted = True
                break
            except csv.Error as error:
                if lines.overlong:
                    lines.overlong = False
                    problem = f"line longer than {MAX_LINE_CHARS} characters (raw kept truncated)"
                else:
                    problem = f"not readable CSV ({error})"
                batch.append(_reject(row_number, "row", problem, raw_of("".join(taken))))
                continue
            if not record:  # a blank line counts as a row but holds no case
                continue
            batch.append(new_row((row_number, record, "".join(taken), raw_encoding)))
        yield batch


def _reject(row_number: int, field: str, reason: str, raw: bytes) -> Rejected:
    return Rejected(field=field, reason=reason, row=row_number, record=row_number - 2, raw=raw)
