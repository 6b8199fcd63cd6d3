"""Tianjin decode throughput: XML work orders mapped to protobuf Cases per second, one core.

The heping sample (a complete hotline order: caller with id and mobile, BD-09
coordinates, handler, trail step) decoded as single documents and, repeated, as one
<WorkOrders> batch; the whole pipeline: UTF-8 and namespace checks, expat parsing
guarded by defusedxml (no DTD, entities or external references), byte spans of
batch records, mapping, BD-09 -> WGS-84, phone and id normalisation, provenance
hashing.
Also the way back (cases -> XML bytes). Target: >= 2,000 documents/s decoded.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from adapters.tianjin import TianjinCodec

SAMPLE = (
    Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shared" / "jurisdictions" / "tianjin" / "samples" / "valid"
    / "tj_complaint_heping.xml"
)
DOCUMENTS = 5_000
TARGET_PER_SECOND = 2_000
_NAMESPACE_DECLARATION = ' xmlns="urn:tj12345:workorder:2"'


def _best_seconds(action, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def _batch_of(single: bytes, count: int) -> bytes:
    """`count` copies of the order, each with its own OrderNo, in one <WorkOrders> batch."""
    text = single.decode("utf-8")
    order = text[text.index("<WorkOrder ") :].replace(_NAMESPACE_DECLARATION, "")
    orders = [re.sub(r"TJ-26-1124-\d{6}", f"TJ-26-1124-{n:06d}", order, count=1) for n in range(count)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<WorkOrders' + _NAMESPACE_DECLARATION + ">\n"
            + "".join(orders) + "</WorkOrders>\n").encode("utf-8")


def run(documents: int = DOCUMENTS, repeats: int = 3) -> dict:
    """Documents/s decoded (best of `repeats`) singly and in a batch, and encoded."""
    codec = TianjinCodec()
    single = SAMPLE.read_bytes()
    batch = _batch_of(single, documents)
    cases, rejected = codec.decode_all(batch)
    if len(cases) != documents or rejected:
        raise AssertionError(f"expected {documents} accepted orders, got {len(cases)} and {len(rejected)} rejected")

    def decode_singles() -> None:
        for _ in range(documents):
            codec.decode_all(single)

    single_seconds = _best_seconds(decode_singles, repeats)
    batch_seconds = _best_seconds(lambda: codec.decode_all(batch), repeats)
    encode_seconds = _best_seconds(lambda: codec.encode(cases), repeats)
    single_rate = documents / single_seconds
    batch_rate = documents / batch_seconds
    return {
        "name": "mapping_tianjin",
        "unit": "documents/s",
        "documents": documents,
        "single_documents_per_second": round(single_rate),
        "batch_documents_per_second": round(batch_rate),
        "batch_bytes": len(batch),
        "encode_documents_per_second": round(documents / encode_seconds),
        "target_documents_per_second": TARGET_PER_SECOND,
        "meets_target": min(single_rate, batch_rate) >= TARGET_PER_SECOND,
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run(), indent=2))
