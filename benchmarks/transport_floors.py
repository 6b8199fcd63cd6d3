"""The floors the end-to-end numbers are compared with, measured in the same run on the same machine.

- gRPC unary floor: a bare grpc.aio echo server (its own process, mutual TLS with the
  federation's certificates, as the adapters serve) answering a request of the size of a
  SubmitDocument, `in_flight` calls outstanding.
- JetStream floor: bare publish (publish_async, acks awaited in windows of `in_flight`) and
  pull fetch + ack of messages of an envelope's size, on the federation's own nats-server,
  as the operator.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time

import grpc

from benchmarks.load import cpu_seconds
from harness.client import secure_channel
from harness.state import FederationState
from kernel.bus import jetstream
from kernel.security import pki
from kernel.security.tls import TlsFiles, client_context, grpc_server_credentials

ECHO_METHOD = "/bench.Echo/Echo"


def _serve_echo(port_out, cert_files) -> None:  # pragma: no cover - runs in a child process
    async def serve() -> None:
        server = grpc.aio.server()
        handler = grpc.unary_unary_rpc_method_handler(_echo)
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bench.Echo", {"Echo": handler})])
        port = server.add_secure_port("127.0.0.1:0", grpc_server_credentials(cert_files))
        await server.start()
        port_out.send(port)
        await server.wait_for_termination()

    asyncio.run(serve())


async def _echo(request: bytes, context) -> bytes:
    return request


async def grpc_floor(state: FederationState, *, size: int, in_flight: int, calls: int) -> dict:
    """Echo calls per second, `in_flight` outstanding; the server in a process of its own."""
    layout = pki.PkiLayout(state.ca_file.parent)
    principal = pki.adapter_principal("beijing")
    server_files = TlsFiles(layout.ca_cert, layout.cert(principal), layout.key(principal))
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=_serve_echo, args=(sender, server_files), daemon=True)
    process.start()
    try:
        port = receiver.recv()
        async with secure_channel(f"localhost:{port}", state.member_files("beijing")) as channel:
            echo = channel.unary_unary(ECHO_METHOD)
            payload = os.urandom(size)
            await echo(payload)
            queue = iter(range(calls))

            async def worker() -> None:
                for _ in queue:
                    await echo(payload)

            started, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(process.pid), time.process_time()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            elapsed = time.perf_counter() - started
            server_cpu, client_cpu = cpu_seconds(process.pid) - server_cpu, time.process_time() - client_cpu
    finally:
        process.terminate()
        process.join(5)
    # CPU per call moves less with the machine's load than calls/s: what an adapter's gRPC costs it at least.
    return {"in_flight": in_flight, "bytes": size, "calls_per_second": round(calls / elapsed, 1),
            "server_cpu_ms_per_call": round(server_cpu * 1000 / calls, 3),
            "client_cpu_ms_per_call": round(client_cpu * 1000 / calls, 3)}


async def jetstream_floor(state: FederationState, *, size: int, in_flight: int, messages: int) -> dict:
    """Messages per second published (acks awaited per window) and fetched + acknowledged concurrently."""
    nc = await jetstream.connect(state.nats_url, name="bench-floor", tls=client_context(state.operator_files()),
                                 principal=pki.OPERATOR)
    js = nc.jetstream()
    stream = f"BENCHFLOOR{os.getpid()}"
    subject = f"benchfloor.{os.getpid()}"
    await js.add_stream(name=stream, subjects=[subject])
    subscription = await js.pull_subscribe(subject, durable="floor", stream=stream)
    payload = os.urandom(size)

    async def send() -> None:
        for start in range(0, messages, in_flight):
            futures = [await js.publish_async(subject, payload, headers={"Nats-Msg-Id": f"floor-{n}"})
                       for n in range(start, min(messages, start + in_flight))]
            await asyncio.gather(*futures)

    async def receive() -> None:
        received = 0
        while received < messages:
            try:
                batch = await subscription.fetch(batch=in_flight, timeout=1)
            except (TimeoutError, asyncio.TimeoutError):
                continue
            for message in batch:
                await message.ack()
            received += len(batch)

    started = time.perf_counter()
    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - started
    await js.delete_stream(stream)
    await nc.close()
    return {"in_flight": in_flight, "bytes": size, "messages_per_second": round(messages / elapsed, 1)}


async def measure(state: FederationState, *, submit_bytes: int, envelope_bytes: int, count: int) -> dict:
    return {
        "grpc_unary_echo": await grpc_floor(state, size=submit_bytes, in_flight=64, calls=count),
        "jetstream_publish_fetch_ack": await jetstream_floor(state, size=envelope_bytes, in_flight=64, messages=count),
    }
