"""The contract every jurisdiction's codec fulfils, and the loop they all share.

A codec turns a native document into a stream of outcomes (an accepted case or a
rejection), and renders common cases back into a native document. It is pure:
no I/O beyond the bytes it is handed, no servers, no clock but its own `clock`.

Shaped like an OpenTelemetry exporter: this base class owns the record loop, the
clock and the guarantee that decoding never raises; each format supplies small
hooks (split a document into native records, map one record to a case, map a case
to a native record, render native records as a document).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, NamedTuple, Protocol

from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


from kernel.errors import MappingError  # noqa: F401  the codec contract names it; defined with every other error


@dataclass(frozen=True, slots=True)
class Rejected:
    """One document, record or row that could not be a case."""

    field: str
    reason: str
    # Row number for row formats (header = row 1), 0 otherwise.
    row: int = 0
    # 0-based index in a batch, -1 when the document itself failed.
    record: int = -1
    # The raw bytes of the rejected unit, kept for quarantine.
    raw: bytes = b""

    def message(self, filename: str = "") -> str:
        where = [filename] if filename else []
        if self.row:
            where.append(f"row {self.row}")
        elif self.record >= 0:
            where.append(f"record {self.record}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.field}: {self.reason}" if prefix else f"{self.field}: {self.reason}"

    def to_proto(self, quarantine_id: str = "") -> adapter_pb2.Rejection:
        return adapter_pb2.Rejection(
            row=self.row, record=self.record, field=self.field, reason=self.reason, quarantine_id=quarantine_id
        )


@dataclass(frozen=True, slots=True)
class Accepted:
    case: case_pb2.Case


Outcome = Accepted | Rejected


class NativeRecord(Protocol):
    """One record of a native document as its split hook gives it: whatever the
    format's to_common hook reads, plus where it is, for a rejection."""

    @property
    def raw(self) -> bytes:
        """The record's own bytes (kept for quarantine)."""

    @property
    def index(self) -> int:
        """0-based position in a batch, -1 when the document is the record."""

    @property
    def row(self) -> int:
        """Row number for row formats (header = row 1), 0 otherwise."""


class Record(NamedTuple):
    """A NativeRecord for formats whose records need nothing more than a value."""

    value: Any
    raw: bytes
    index: int = -1
    row: int = 0


# A split hook: a document (bytes, or a binary file for split_stream) -> its records.
Split = Callable[[Any], Iterable[NativeRecord | Rejected]]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Codec(abc.ABC):
    """One jurisdiction's native format: class attributes and four hooks.

    decode(document) = split(document) -> to_common(record, mapped_at) per record;
    encode(cases) = render(from_common(case) per case). The hooks raise MappingError
    (field, reason) for what the format refuses; whatever else they raise is caught
    here too, so decode never raises: every failure is a Rejected.
    """

    jurisdiction: case_pb2.Jurisdiction.ValueType
    document_format: adapter_pb2.DocumentFormat.ValueType
    # File name extension of a rendered document, without the dot.
    extension: str
    # The field a rejection names when a hook fails for a reason it did not word
    # (an exception other than MappingError): for the whole document, for one record.
    document_field = "document"
    record_field = "record"

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        # provenance.mapped_at: read once per document, so every record of it has the same time.
        self.clock = clock

    # ------------------------------------------------------------------ hooks

    @abc.abstractmethod
    def split(self, content: bytes) -> Iterable[NativeRecord | Rejected]:
        """A document -> its records in order (lazily, if it likes). A record the
        format itself refuses may come as a Rejected; MappingError when the document
        as a whole is unusable."""

    # A format that can split a document while reading it (memory bounded by a
    # record, not by the file) sets this to a method like split over a binary file;
    # None: decode_stream reads the whole file and decodes it.
    split_stream: Split | None = None

    @abc.abstractmethod
    def to_common(self, record: Any, mapped_at: datetime) -> case_pb2.Case:
        """One native record (from split) -> a case; MappingError if it cannot be one."""

    @abc.abstractmethod
    def from_common(self, case: case_pb2.Case) -> Any:
        """One case -> one native record; MappingError names the common field it lacks."""

    @abc.abstractmethod
    def render(self, records: Iterable[Any]) -> bytes:
        """Native records (from from_common) -> one document."""

    # ------------------------------------------------------------------ the template

    def decode(self, content: bytes) -> Iterator[Outcome]:
        """Map every record of a native document, in document order. Never raises."""
        return self._outcomes(self.split, content, content)

    def decode_stream(self, source: BinaryIO) -> Iterator[Outcome]:
        """decode, reading a binary file object. Never raises (a failing read rejects the document)."""
        split_stream = self.split_stream
        if split_stream is None:
            return self._decode_read(source)
        return self._outcomes(split_stream, source, b"")

    def encode(self, cases: Iterable[case_pb2.Case]) -> bytes:
        """Render cases as one native document (a batch when there are several).
        MappingError when a case lacks what the format must have."""
        return self.render(map(self.from_common, cases))

    def decode_all(self, content: bytes) -> tuple[list[case_pb2.Case], list[Rejected]]:
        return split_outcomes(self.decode(content))

    def _decode_read(self, source: BinaryIO) -> Iterator[Outcome]:
        try:
            content = source.read()
        except Exception as error:  # noqa: BLE001 - decoding never raises
            yield self._document_rejected(error, b"")
            return
        yield from self.decode(content)

    def _outcomes(self, split: Split, source: Any, document: Any) -> Iterator[Outcome]:
        """The one loop: records from `split(source)`, each mapped on its own. `document`
        is what a document-level rejection keeps as raw (the bytes, or b"" for a stream)."""
        try:
            if document.__class__ is not bytes:
                document = source = bytes(document)  # a bytearray or memoryview; anything else fails here
            mapped_at = self.clock()
            to_common = self.to_common
            for record in split(source):
                if record.__class__ is Rejected:
                    yield record
                    continue
                try:
                    case = to_common(record, mapped_at)
                except Exception as error:  # noqa: BLE001 - one bad record never spoils the rest
                    yield self._record_rejected(record, error)
                    continue
                yield Accepted(case)
        except Exception as error:  # noqa: BLE001 - decoding never raises
            yield self._document_rejected(error, document)

    def _record_rejected(self, record: NativeRecord, error: Exception) -> Rejected:
        if isinstance(error, MappingError):
            field, reason = error.field, error.reason
        else:
            # e.g. a "\udfff" escape in a JSON key: valid JSON, but not a string protobuf can hold.
            field, reason = self.record_field, f"unmappable record ({type(error).__name__}: {error})"
        return Rejected(field, reason, row=record.row, record=record.index, raw=record.raw)

    def _document_rejected(self, error: Exception, document: Any) -> Rejected:
        raw = document if isinstance(document, bytes) else b""
        if isinstance(error, MappingError):
            return Rejected(error.field, error.reason, raw=raw)
        return Rejected(self.document_field, f"unreadable document ({type(error).__name__}: {error})", raw=raw)


def split_outcomes(outcomes: Iterable[Outcome]) -> tuple[list[case_pb2.Case], list[Rejected]]:
    cases: list[case_pb2.Case] = []
    rejected: list[Rejected] = []
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            cases.append(outcome.case)
        else:
            rejected.append(outcome)
    return cases, rejected
