"""The Hebei codec: provincial case CSV (GB18030, or UTF-8) <-> common cases.

Split like an OpenTelemetry exporter: parser (bytes -> rows, streamed), mapper
(row <-> case, pure), renderer (cases -> bytes); this class only wires them to the
Codec contract and supplies the clock for provenance.mapped_at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import BinaryIO

from google.protobuf.timestamp_pb2 import Timestamp

from kernel.codec import Codec, Outcome
from adapters.hebei import parser, renderer
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class HebeiCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_HEBEI
    document_format = adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV
    extension = "csv"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock

    def _mapped_at(self) -> Timestamp:
        # One time per document: every row of a file is mapped in the same pass.
        timestamp = Timestamp()
        timestamp.FromDatetime(self._clock())
        return timestamp

    def decode(self, content: bytes) -> Iterator[Outcome]:
        return parser.decode(content, mapped_at=self._mapped_at())

    def decode_stream(self, source: BinaryIO) -> Iterator[Outcome]:
        """Like decode, reading a binary file object row by row (memory independent of file size)."""
        return parser.decode_stream(source, mapped_at=self._mapped_at())

    def encode(self, cases: Sequence[case_pb2.Case]) -> bytes:
        return renderer.render(cases)

    def encode_to(self, cases: Iterable[case_pb2.Case], target: BinaryIO) -> None:
        """Like encode, writing to a binary file object chunk by chunk."""
        renderer.render_to(cases, target)
