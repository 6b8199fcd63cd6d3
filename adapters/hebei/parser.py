"""Hebei CSV bytes -> one outcome per row, streamed.

Encoding: GB18030 unless the document is UTF-8, which it says by a BOM or by a
header line that decodes as UTF-8 (the header is Chinese, and GB18030-encoded
Chinese is never valid UTF-8). The rest is decoded incrementally, so memory stays
bounded by the longest row, never by the file. Bytes that do not decode are not
fatal: they are carried through as lone surrogates (errors="surrogateescape") and
only their row is rejected, with its original bytes.

Rows are counted as CSV records, header = row 1: a quoted cell spanning several
lines is still one row. A blank line is a row too (it is skipped, not rejected), so
row numbers match what an operator counts in the file.

Each rejection carries the row's raw bytes (its decoded text re-encoded in the
document's encoding, which gives back the original bytes) for quarantine. Each
accepted case's provenance.document_sha256 is the sha256 of the row as decoded
(its UTF-8 text, line end excluded), so the same row hashes the same whether the
file was GB18030 or UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import Accepted, MappingError, Outcome, Rejected
from adapters.hebei import mapper
from adapters.hebei.schema import HEADER, check_header

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
# Records read ahead before mapping them (see _decode).
_BATCH_ROWS = 64


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


def decode_stream(source: BinaryIO, *, mapped_at: Timestamp | None = None) -> Iterator[Outcome]:
    """Map every row of a Hebei CSV read from a binary file object, in file order.

    A wrong or missing header rejects the document (field "header", row 1, the
    header row as raw) and nothing else is read. Every other problem rejects one row only.
    """
    return _decode(source, mapped_at, document=None)


def decode(content: bytes, *, mapped_at: Timestamp | None = None) -> Iterator[Outcome]:
    """decode_stream over bytes in memory; a rejected document keeps all of `content` as raw."""
    return _decode(io.BytesIO(content), mapped_at, document=content)


def _decode(source: BinaryIO, mapped_at: Timestamp | None, document: bytes | None) -> Iterator[Outcome]:
    provenance = mapper.provenance_template(mapped_at)
    head = _read_head(source)
    encoding = sniff_encoding(head)
    raw_encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # rows carry no BOM
    buffered = io.BufferedReader(_PrefixedReader(head, source), buffer_size=_READ_SIZE)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines.iterator, strict=False)

    def raw_of(text: str) -> bytes:
        return text.encode(raw_encoding, "surrogateescape")

    def header_rejected(reason: str) -> Rejected:
        raw = raw_of("".join(lines.taken)) if document is None else document
        return Rejected(field="header", reason=reason, row=1, raw=raw)

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

    text_encoding = encoding.removesuffix("-sig")
    to_case, sha256, header_names = mapper.to_case, hashlib.sha256, HEADER
    taken = lines.taken
    batch: list[tuple[int, list[str] | None, str, str]] = []  # (row, record or None, text, csv problem)
    row_number = 1
    exhausted = False
    while not exhausted:
        # Read a small batch of records, then map them: keeping CSV reading and mapping
        # apart is ~10% faster (each keeps its working set in the CPU caches), and
        # memory stays bounded by the batch.
        batch.clear()
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
                batch.append((row_number, None, "".join(taken), problem))
                continue
            if record:  # a blank line counts as a row but holds no case
                batch.append((row_number, record, "".join(taken), ""))
        for number, record, text, problem in batch:
            if record is None:
                yield _reject(number, "row", problem, raw_of(text))
                continue
            try:
                # Bytes that did not decode are lone surrogates, which UTF-8 refuses.
                text_bytes = text.rstrip("\r\n").encode("utf-8")
            except UnicodeEncodeError:
                yield _reject(number, "encoding", f"row is not valid {text_encoding} text", raw_of(text))
                continue
            if len(record) != _COLUMN_COUNT:
                yield _reject(number, "row", f"{len(record)} columns instead of {_COLUMN_COUNT}", raw_of(text))
                continue
            try:
                row = dict(zip(header_names, record))
                case = to_case(row, document_sha256=sha256(text_bytes).hexdigest(), provenance=provenance)
            except MappingError as error:
                yield _reject(number, error.field, error.reason, raw_of(text))
                continue
            except Exception as error:  # noqa: BLE001 - a mapper bug must not lose the rest of the file
                yield _reject(number, "row", f"unexpected error {type(error).__name__}: {error}", raw_of(text))
                continue
            yield Accepted(case)


def _reject(row_number: int, field: str, reason: str, raw: bytes) -> Rejected:
    return Rejected(field=field, reason=reason, row=row_number, record=row_number - 2, raw=raw)
