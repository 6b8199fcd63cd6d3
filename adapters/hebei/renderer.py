"""Hebei rows (column -> cell, from_common.to_row) -> one Hebei CSV: GB18030, the spec's header, CRLF, double-quote quoting.

GB18030 maps every Unicode code point, and protobuf strings are valid Unicode, so
encoding cannot fail. Cells are quoted only when they need it (a comma, a quote or
a line break inside), as Hebei's own exports do, so a row read from a Hebei file
renders back byte for byte.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from adapters.hebei.tables import HEADER

ENCODING = "gb18030"
LINE_END = "\r\n"
# Rows buffered per encoded chunk when streaming.
_ROWS_PER_CHUNK = 512


def _writer(buffer: io.StringIO):
    return csv.writer(
        buffer, delimiter=",", quotechar='"', doublequote=True, quoting=csv.QUOTE_MINIMAL, lineterminator=LINE_END
    )


def render_chunks(rows: Iterable[dict[str, str]]) -> Iterator[bytes]:
    """The document in encoded chunks (header first), for writing large files without holding them."""
    encoder = codecs.getincrementalencoder(ENCODING)()
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow(HEADER)
    pending = 1
    for row in rows:
        writer.writerow(row.values())
        pending += 1
        if pending >= _ROWS_PER_CHUNK:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield encoder.encode(buffer.getvalue(), final=True)


def render(rows: Iterable[dict[str, str]]) -> bytes:
    return b"".join(render_chunks(rows))


def render_to(rows: Iterable[dict[str, str]], target: BinaryIO) -> None:
    for chunk in render_chunks(rows):
        target.write(chunk)


def render_row(row: dict[str, str]) -> str:
    """One row as CSV text with its line end (no header), e.g. for tests and quarantine views."""
    buffer = io.StringIO()
    _writer(buffer).writerow(row[name] for name in HEADER)
    return buffer.getvalue()
