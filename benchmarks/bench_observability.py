"""What observability adds per referral, in CPU: the spans, headers and metrics of one referral's path
(SubmitDocument, publish headers, delivery, acknowledgement with the latency, the gateway's span),
traced to JSON-lines files as the processes do, against the same path with tracing off.

`python -m benchmarks.bench_observability`: CPU microseconds per referral (all threads: the
span export runs in the SDK's batch thread), with and without trace files.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from kernel.observability import metrics, tracing

REFERRALS = 5000
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
METADATA = [("user-agent", "grpc-python"), ("traceparent", TRACEPARENT)]


def one_referral(sent_at: datetime, suffix: str) -> None:
    with tracing.server_span(f"adapter-beijing{suffix}", "SubmitDocument", METADATA, {"rpc.method": "SubmitDocument"}):
        headers = tracing.inject({"Nats-Msg-Id": "jjj:BJ:1/referral/1", "Content-Type": "application/x-protobuf"})
        metrics.record_relayed("published", "referral", "beijing", "hebei")
    attributes = {"jjj.flow": "referral", "jjj.sender": "beijing", "jjj.receiver": "hebei", "jjj.envelope_id": "x"}
    with tracing.message_span(f"adapter-hebei{suffix}", "inbox.deliver", headers, attributes):
        pass
    metrics.record_relayed("delivered", "referral", "beijing", "hebei")
    with tracing.message_span(f"adapter-hebei{suffix}", "inbox.acknowledge", headers, attributes, link_metadata=METADATA):
        pass
    metrics.record_relayed("acknowledged", "referral", "beijing", "hebei")
    metrics.record_latency("referral", "beijing", "hebei", sent_at)
    tracing.trace_id_of_headers(headers)
    with tracing.message_span(f"gateway{suffix}", "gateway.project", headers, attributes):
        pass


def measure(suffix: str, data_dir: Path | None) -> float:
    if data_dir is not None:
        for process in ("adapter-beijing", "adapter-hebei", "gateway"):
            tracing.configure(process + suffix, data_dir)
    sent_at = datetime.now(UTC)
    start = time.process_time()
    for _ in range(REFERRALS):
        one_referral(sent_at, suffix)
    tracing.flush()
    return (time.process_time() - start) / REFERRALS * 1e6


def run() -> dict:
    with tempfile.TemporaryDirectory() as directory:
        measure("-warm", Path(directory))
        traced = measure("-traced", Path(directory))
        untraced = measure("-off", None)
        written = sum(path.stat().st_size for path in Path(directory, "traces").glob("*-traced.jsonl*"))
    return {"benchmark": "observability_per_referral", "referrals": REFERRALS,
            "cpu_us_per_referral_traced": round(traced, 1), "cpu_us_per_referral_tracing_off": round(untraced, 1),
            "trace_bytes_per_referral": round(written / REFERRALS)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
