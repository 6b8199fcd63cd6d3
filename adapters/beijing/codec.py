"""BeijingCodec: the Beijing 12345 JSON work order format, both ways.

decode never raises: every record becomes Accepted or Rejected (field + reason,
with the record's raw bytes for quarantine), whatever the bytes are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone

from adapters.beijing import parser, renderer
from adapters.beijing.mapper import map_to_case
from kernel.codec import Accepted, Codec, MappingError, Outcome, Rejected
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BeijingCodec(Codec):
    jurisdiction = case_pb2.JURISDICTION_BEIJING
    document_format = adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON
    extension = "json"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock

    def decode(self, content: bytes) -> Iterator[Outcome]:
        data = content if isinstance(content, bytes) else b""
        try:
            if not isinstance(content, bytes):
                data = bytes(content)  # bytearray, memoryview
            records = parser.parse_document(data)
        except MappingError as error:
            yield Rejected(error.field, error.reason, raw=data)
            return
        except Exception as error:  # noqa: BLE001 - decode must never raise
            yield Rejected(parser.FIELD, f"unreadable document ({type(error).__name__}: {error})", raw=data)
            return
        now = self._clock()
        # Pop as we go: a mapped record's parsed objects are freed at once, which keeps
        # a large batch's live set (and the garbage collector's work) small.
        records.reverse()
        while records:
            yield self._map(records.pop(), now)

    @staticmethod
    def _map(record: parser.Record, now: datetime) -> Outcome:
        try:
            return Accepted(map_to_case(record.value, record.raw, now=now))
        except MappingError as error:
            field, reason = error.field, error.reason
        except (UnicodeError, ValueError, TypeError, OverflowError, RecursionError) as error:
            # e.g. a "\udfff" escape in a key: valid JSON, but not a string protobuf can hold.
            field, reason = parser.FIELD, f"unmappable value ({type(error).__name__}: {error})"
        except Exception as error:  # noqa: BLE001 - decode must never raise
            field, reason = "document", f"internal error ({type(error).__name__}: {error})"
        return Rejected(field, reason, record=record.index, raw=record.raw)

    def encode(self, cases: Sequence[case_pb2.Case]) -> bytes:
        return renderer.render(cases)
