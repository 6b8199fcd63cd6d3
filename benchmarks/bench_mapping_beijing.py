"""Beijing decode throughput: work orders mapped to protobuf Cases per second, one core.

The chaoyang sample (a complete hotline order: requester, coordinates, handler,
two history steps) repeated 20,000 times, decoded as one JSON array and as 20,000
single-object documents. Rates are per CPU-second of this process
(time.process_time, best of `repeats`), so other work on the machine does not count
against them. Target: >= 5,000 documents/s each.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from adapters.beijing import BeijingCodec

SAMPLE = (
    Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shared" / "jurisdictions" / "beijing" / "samples" / "valid"
    / "bj_rx_complaint_chaoyang.json"
)
DOCUMENTS = 20_000
TARGET_PER_SECOND = 5_000


def _best_rate(decode, count: int, repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        started = time.process_time()
        accepted = decode()
        elapsed = time.process_time() - started
        if accepted != count:
            raise AssertionError(f"expected {count} accepted cases, got {accepted}")
        best = max(best, count / elapsed)
    return best


def run(documents: int = DOCUMENTS, repeats: int = 3) -> dict:
    """Decode throughput in documents/s (best of `repeats`), batch and single documents."""
    codec = BeijingCodec()
    raw = SAMPLE.read_bytes()
    order = json.loads(raw)
    batch = json.dumps([order] * documents, ensure_ascii=False, indent=2).encode("utf-8")

    def decode_batch() -> int:
        cases, rejected = codec.decode_all(batch)
        return len(cases)

    def decode_singles() -> int:
        accepted = 0
        for _ in range(documents):
            cases, rejected = codec.decode_all(raw)
            accepted += len(cases)
        return accepted

    batch_rate = _best_rate(decode_batch, documents, repeats)
    single_rate = _best_rate(decode_singles, documents, repeats)
    return {
        "name": "mapping_beijing",
        "unit": "documents/s",
        "documents": documents,
        "batch_documents_per_second": round(batch_rate),
        "single_documents_per_second": round(single_rate),
        "target_documents_per_second": TARGET_PER_SECOND,
        "meets_target": min(batch_rate, single_rate) >= TARGET_PER_SECOND,
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run(), indent=2))
