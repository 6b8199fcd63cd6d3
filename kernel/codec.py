"""The contract every jurisdiction's codec fulfils.

A codec turns a native document into a stream of outcomes (an accepted case or a
rejection), and renders common cases back into a native document. It is pure:
no I/O beyond the bytes it is handed, no servers, no clocks except the one passed in.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

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


class Codec(abc.ABC):
    """One jurisdiction's native format."""

    jurisdiction: case_pb2.Jurisdiction.ValueType
    document_format: adapter_pb2.DocumentFormat.ValueType
    # File name extension of a rendered document, without the dot.
    extension: str

    @abc.abstractmethod
    def decode(self, content: bytes) -> Iterator[Outcome]:
        """Map every record of a native document, in document order."""

    @abc.abstractmethod
    def encode(self, cases: Sequence[case_pb2.Case]) -> bytes:
        """Render cases as one native document (a batch when there are several)."""

    def decode_all(self, content: bytes) -> tuple[list[case_pb2.Case], list[Rejected]]:
        return split_outcomes(self.decode(content))


def split_outcomes(outcomes: Iterable[Outcome]) -> tuple[list[case_pb2.Case], list[Rejected]]:
    cases: list[case_pb2.Case] = []
    rejected: list[Rejected] = []
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            cases.append(outcome.case)
        else:
            rejected.append(outcome)
    return cases, rejected
