"""Batch ingest: a synthetic GB18030 Hebei export of `rows` rows streamed to the Hebei adapter's
IngestDocument in 1 MiB pieces (generated while sent: the bench holds a piece, not the file).

Measured: rows/s from the first piece sent to the answer (every accepted row durable on the bus,
in chunks on the ingest stream), the CPU of every process meanwhile per row, the Hebei adapter's
RSS sampled during the call (its peak, and its growth over what it held before); then how long the
adapter takes to send every case on from the ingest stream (referrals to Beijing, counted on the
bus), as cases/s. Measured once the federation has settled from the phases before it (what the
history load left to do, e.g. the gateway's projection, ran during the call in the first runs).
"""

from __future__ import annotations

import asyncio
import time

from adapters.hebei.synthetic import synthetic_document
from benchmarks.load import Meter, Members, settled
from harness.state import FederationState
from kernel.bus import jetstream, subjects
from kernel.jurisdictions import by_name
from kernel.security import pki
from kernel.security.tls import client_context
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2

PIECE_BYTES = 1024 * 1024
TARGET_ROWS_PER_SECOND = 10_000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pieces(rows: int, *, request_id: str, seed: int):
    """The export as IngestDocument messages of about PIECE_BYTES, the header in the first."""
    buffered = bytearray()
    first = True
    for part in synthetic_document(rows, seed=seed):
        buffered += part
        while len(buffered) >= PIECE_BYTES or (first and buffered):
            piece, buffered = bytes(buffered[:PIECE_BYTES]), buffered[PIECE_BYTES:]
            if first:
                first = False
                yield adapter_pb2.IngestDocumentRequest(request_id=request_id, format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV,
                                                        filename=f"bench-{rows}.csv", destination=case_pb2.JURISDICTION_BEIJING,
                                                        content=piece)
            else:
                yield adapter_pb2.IngestDocumentRequest(content=piece)
    if buffered:
        yield adapter_pb2.IngestDocumentRequest(content=bytes(buffered))


async def _referrals_to_beijing(js) -> int:
    subject = subjects.subject(1, by_name("beijing"), by_name("hebei"))
    info = await js.stream_info(subjects.route_of(1).stream, subjects_filter=subject)
    return (info.state.subjects or {}).get(subject, 0)


async def measure(state: FederationState, members: Members, meter: Meter, *, rows: int, send_timeout: float = 900.0) -> dict:
    nc = await jetstream.connect(state.nats_url, name="bench-ingest", tls=client_context(state.operator_files()),
                                 principal=pki.OPERATOR)
    js = nc.jetstream()
    hebei_pid = state.pids["hebei"]
    settling = await settled(dict(state.pids))
    try:
        before_sent = await _referrals_to_beijing(js)
        rss_before = rss_mb(hebei_pid)
        samples: list[float] = []

        async def sample() -> None:
            while True:
                samples.append(rss_mb(hebei_pid))
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        meter.start()
        started = time.perf_counter()
        answer = await members.receiver.IngestDocument(pieces(rows, request_id=f"bench-ingest-{time.time_ns()}", seed=rows),
                                                       timeout=send_timeout)
        answered = time.perf_counter() - started
        cost = meter.stop(answer.rows)
        meter.start()
        while await _referrals_to_beijing(js) - before_sent < answer.accepted:
            if time.perf_counter() - started > send_timeout:
                break
            await asyncio.sleep(0.5)
        sent_seconds = time.perf_counter() - started - answered
        sent = await _referrals_to_beijing(js) - before_sent
        sending_cost = meter.stop(max(sent, 1))
        sampler.cancel()
    finally:
        await nc.close()
    return {
        "settled_first_seconds": settling,
        "rows": answer.rows, "accepted": answer.accepted, "rejected": answer.rejected, "chunks": answer.chunks,
        "document_bytes": answer.document_bytes,
        "durable_on_bus_seconds": round(answered, 2),
        "rows_per_second": round(answer.rows / answered, 1),
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "cpu_ms_per_row": cost["cpu_ms_per_referral"], "cpu_ms_per_row_total": cost["cpu_ms_per_referral_total"],
        "hebei_rss_mb_before": round(rss_before, 1), "hebei_rss_mb_peak_during": round(max(samples or [0.0]), 1),
        "sent": sent, "sent_seconds_after_answer": round(sent_seconds, 1),
        "sent_per_second": round(sent / max(sent_seconds, 0.001), 1),
        "sending_cpu_ms_per_case_total": sending_cost["cpu_ms_per_referral_total"],
    }
