"""Helpers shared by the Tianjin codec tests (canonical documents, samples), and their own tests."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timezone
from typing import Any

from adapters.tianjin import TianjinCodec, parser
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS

FIXED_NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)
# Attributes compared as numbers: 8-decimal rendering of a BD-09 value read back.
NUMERIC_ATTRIBUTES = {"lng", "lat"}
DEGREE_DIGITS = 6


def codec() -> TianjinCodec:
    return TianjinCodec(clock=lambda: FIXED_NOW)


def sample_bytes(key: str) -> bytes:
    return (JURISDICTIONS / key).read_bytes()


def canonical(element: Any) -> tuple:
    """A (namespace-stripped) element as a comparable value.

    Ignores what XML tools and Tianjin ignore too: layout whitespace between
    elements, attribute order, and the order of differently named siblings
    (same-named siblings keep their order). Leaf text is compared exactly (NFC),
    coordinates as numbers to 1e-6 degrees.
    """
    attributes = []
    for name, value in element.attrib.items():
        if name in NUMERIC_ATTRIBUTES:
            value = f"{round(float(value), DEGREE_DIGITS):.{DEGREE_DIGITS}f}"
        attributes.append((name, value))
    children = sorted((canonical(child) for child in element), key=lambda item: item[0])
    text = unicodedata.normalize("NFC", element.text or "")
    if children and not text.strip():
        text = ""
    return (element.tag, tuple(sorted(attributes)), text, tuple(children))


def canonical_document(content: bytes) -> tuple:
    document = parser.parse_document(content)
    return (
        document.batch and len(document.records) > 1,
        tuple(sorted(document.batch_attributes.items())),
        tuple(canonical(record.element) for record in document.records),
    )


def without_provenance(case: case_pb2.Case) -> case_pb2.Case:
    copy = case_pb2.Case()
    copy.CopyFrom(case)
    copy.ClearField("provenance")
    return copy


def points_close(a: case_pb2.Case, b: case_pb2.Case, tolerance: float = 1e-7) -> bool:
    pa, pb = a.location.point, b.location.point
    return math.isclose(pa.latitude, pb.latitude, abs_tol=tolerance) and math.isclose(
        pa.longitude, pb.longitude, abs_tol=tolerance
    )


def same_case(a: case_pb2.Case, b: case_pb2.Case) -> bool:
    """Equal apart from provenance, with points equal within 1e-7 degrees (about 1 cm)."""
    if not points_close(a, b):
        return False
    left, right = without_provenance(a), without_provenance(b)
    if left.location.HasField("point") and right.location.HasField("point"):
        right.location.point.CopyFrom(left.location.point)
    return left == right
