"""Common case -> Beijing work order (a JSON object as a dict). Pure functions.

The canonical order for the case (canonical.py), then the case's `beijing.*`
extensions applied (residue.py), which give back whatever the original order had.
"""

from __future__ import annotations

from typing import Any

from adapters.beijing import residue
from adapters.beijing.canonical import canonical_native
from kernel.codec import MappingError
from jjj.case.v1 import case_pb2


def case_to_native(case: case_pb2.Case) -> dict[str, Any]:
    """Common case -> Beijing work order dict (keys in SPEC.md order, unknown fields last).

    MappingError names the common field when the case lacks what every Beijing order
    must have (native id, content, received_at).
    """
    if not case.native_id:
        raise MappingError("native_id", "a Beijing order needs gdbh")
    if not case.content.strip():
        raise MappingError("content", "a Beijing order needs sqnr")
    if not case.HasField("received_at"):
        raise MappingError("received_at", "a Beijing order needs slsj")
    try:
        order = canonical_native(case)
    except (OverflowError, ValueError) as error:  # e.g. a Timestamp beyond year 9999
        if isinstance(error, MappingError):
            raise
        raise MappingError("case", f"cannot be written as a Beijing order: {error}") from None
    return residue.apply(order, case.extensions)
