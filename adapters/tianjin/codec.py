"""The Tianjin codec: parser -> mapper -> outcomes, and mapper -> renderer.

Shaped like an OpenTelemetry exporter: the parser only knows XML, the mapper only
elements and cases, the renderer only bytes; this class wires them and turns
MappingErrors into Rejected outcomes (one per failing order of a batch, so one bad
order never spoils the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone

from kernel.codec import Accepted, Codec, MappingError, Outcome, Rejected
from adapters.tianjin import mapper, parser, renderer
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TianjinCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_TIANJIN
    document_format = adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML
    extension = "xml"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        # The only clock the codec uses (provenance.mapped_at); tests pass a fixed one.
        self._clock = clock

    def decode(self, content: bytes) -> Iterator[Outcome]:
        try:
            document = parser.parse_document(content)
        except MappingError as error:
            yield Rejected(error.field, error.reason, raw=content)
            return
        mapped_at = self._clock()
        for index, record in enumerate(document.records):
            where = index if document.batch else -1
            if record.error is not None:
                yield Rejected(record.error.field, record.error.reason, record=where, raw=record.raw)
                continue
            try:
                case = mapper.order_to_case(
                    record.element,
                    raw=record.raw,
                    mapped_at=mapped_at,
                    batch_attributes=document.batch_attributes,
                )
            except MappingError as error:
                yield Rejected(error.field, error.reason, record=where, raw=record.raw)
            else:
                yield Accepted(case)

    def encode(self, cases: Sequence[case_pb2.Case]) -> bytes:
        return renderer.render(cases)
