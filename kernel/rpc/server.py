"""A grpc.aio server as every jjj process runs it: one service, health checking, reflection, mutual TLS.

There is no plaintext port: the server presents its certificate and requires a
client certificate signed by the federation's CA. Interceptors (the member-system
gate) decide who may call. The certificate-expiry watch reports through the
health service `jjj.tls.certificate` (kernel.security.expiry).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kernel.errors import StartupError
from kernel.heap import HeapKeeper, HeapSettings
from kernel.security import expiry
from kernel.security.tls import TlsFiles, grpc_server_credentials

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True, slots=True)
class ExpiryWatch:
    window_days: float = 30.0
    interval_seconds: float = 6 * 3600.0


@dataclass
class Served:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    tasks: list[asyncio.Task] = field(default_factory=list)
    service_name: str = ""

    async def report_serving(self, serving: bool) -> None:
        """The process as a whole ("") and its service: SERVING or NOT_SERVING (e.g. while the bus is away).
        The certificate's own health service (jjj.tls.certificate) is the expiry watch's alone."""
        for service in ("", self.service_name):
            await self.health.set(service, SERVING if serving else NOT_SERVING)

    async def stop(self, grace: float) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


# Calls that arrived and that the event loop has not taken up yet. gRPC's core keeps 1,000 and cancels the
# ones beyond (the member sees CANCELLED, no detail) as soon as a burst outruns the loop: 3,000 submissions
# at 1,000/s lost a sixth of them. A burst of this size waits its turn instead (each holds its request,
# a few KB); a longer overload is the federation's capacity (docs/PERFORMANCE.md), not a queue to grow.
PENDING_CALLS = [("grpc.server.max_pending_requests", 10_000), ("grpc.server.max_pending_requests_hard_limit", 20_000)]

# gRPC binds with SO_REUSEPORT by default: a second server on the same port (an adapter started twice, or
# another process given the same "free" port) binds too, and the kernel splits the connections between
# them. One port, one server: the second start fails and says so.
NO_SHARED_PORT = [("grpc.so_reuseport", 0)]


async def serve(service_name: str, add_servicer: Callable[[grpc.aio.Server], None], address: str, *, tls: TlsFiles,
                interceptors: Sequence[grpc.aio.ServerInterceptor] = (), watch: ExpiryWatch = ExpiryWatch(),
                max_message_bytes: int | None = None) -> Served:
    """Start serving `service_name` at host:port (port 0 picks a free one) over mTLS and report SERVING."""
    # gRPC refuses a larger request itself (RESOURCE_EXHAUSTED) before any of our code reads it.
    options = [("grpc.max_receive_message_length", max_message_bytes)] if max_message_bytes else []
    options += PENDING_CALLS + NO_SHARED_PORT
    server = grpc.aio.server(interceptors=list(interceptors), options=options)
    add_servicer(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((service_name, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        port = server.add_secure_port(address, grpc_server_credentials(tls))
    except RuntimeError as error:  # grpc says only "Failed to bind to address"
        raise StartupError(f"cannot listen on {address} for {service_name}: the port is in use or not this "
                           f"machine's ({error})") from error
    await server.start()
    for service in ("", service_name):
        await health_servicer.set(service, SERVING)
    certificates = [tls.cert_file, tls.ca_file]

    async def on_report(current: expiry.ExpiryReport) -> None:
        await health_servicer.set(expiry.HEALTH_SERVICE, SERVING if current.healthy else NOT_SERVING)

    await expiry.check(certificates, window_days=watch.window_days, on_report=on_report)
    watcher = asyncio.create_task(expiry.watch(certificates, window_days=watch.window_days,
                                               interval_seconds=watch.interval_seconds, on_report=on_report),
                                  name="certificate-expiry")
    return Served(server, port, health_servicer, [watcher], service_name)


async def serve_until_signalled(start, *, heap: HeapSettings | None = None) -> None:
    """Run a process's servers until SIGINT or SIGTERM, then stop them gracefully; meanwhile what the
    process holds is kept out of the collector's full passes (kernel.heap)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start()
    keeper = asyncio.create_task(HeapKeeper(heap or HeapSettings()).run(), name="heap-keeper")
    try:
        await stop.wait()
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
    await running.stop()
