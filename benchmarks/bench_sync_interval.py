"""The cost of JetStream's durability setting: publish-with-ack of 2 KB messages on the embedded
nats-server (TLS, file store, encryption at rest) with sync_interval at nats-server's default
(flush every 2 min) and at "always" (flush before each acknowledgement).

Two ways of publishing: one at a time (each waits for its ack: the latency a member's call
sees) and with IN_FLIGHT acks outstanding (the throughput of a busy relay).

    .venv/bin/python -m benchmarks.bench_sync_interval      # numbers in docs/RELIABILITY.md
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from nats.js import api

from cli import certs, natsserver
from kernel.bus import jetstream
from kernel.security import pki
from kernel.security.tls import client_context

MESSAGE_BYTES = 2048
SEQUENTIAL = 1500
PIPELINED = 6000
IN_FLIGHT = 64
ROUNDS = 3
MODES = ("default", "always")


async def _rates(url: str, layout: pki.PkiLayout) -> tuple[float, float]:
    nc = await jetstream.connect(url, name="bench-sync", tls=client_context(certs.operator_files(layout)),
                                 principal=pki.OPERATOR)
    js = nc.jetstream(timeout=30)
    try:
        await js.add_stream(api.StreamConfig(name="BENCH_SYNC", subjects=["bench.sync"], storage=api.StorageType.FILE))
        payload = bytes(MESSAGE_BYTES)
        started = time.perf_counter()
        for _ in range(SEQUENTIAL):
            await js.publish("bench.sync", payload)
        sequential = SEQUENTIAL / (time.perf_counter() - started)

        gate = asyncio.Semaphore(IN_FLIGHT)

        async def publish() -> None:
            async with gate:
                await js.publish("bench.sync", payload)

        started = time.perf_counter()
        await asyncio.gather(*(publish() for _ in range(PIPELINED)))
        pipelined = PIPELINED / (time.perf_counter() - started)
        return sequential, pipelined
    finally:
        await nc.close()


def measure(mode: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pki"
        layout, _ = pki.init_pki(root)
        server = natsserver.start(Path(tmp) / "nats", layout, sync_interval=mode)
        try:
            return asyncio.run(_rates(server.url, layout))
        finally:
            server.stop()


def run() -> dict:
    results: dict[str, dict[str, float]] = {}
    for mode in MODES:
        rounds = [measure(mode) for _ in range(ROUNDS)]
        results[mode] = {"sequential_per_second": round(statistics.median(r[0] for r in rounds), 1),
                         "pipelined_per_second": round(statistics.median(r[1] for r in rounds), 1),
                         "sequential_ms_per_publish": round(1000 / statistics.median(r[0] for r in rounds), 3)}
    return {"name": "bus_sync_interval", "message_bytes": MESSAGE_BYTES, "in_flight": IN_FLIGHT, "rounds": ROUNDS,
            "sequential_messages": SEQUENTIAL, "pipelined_messages": PIPELINED, "results": results}


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run(), indent=2))
