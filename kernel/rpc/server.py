"""A grpc.aio server as every jjj process runs it: one service, health checking, reflection, loopback."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection


@dataclass
class Served:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def serve(service_name: str, add_servicer: Callable[[grpc.aio.Server], None], address: str) -> Served:
    """Start serving `service_name` at host:port (port 0 picks a free one) and report SERVING."""
    server = grpc.aio.server()
    add_servicer(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((service_name, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = server.add_insecure_port(address)
    await server.start()
    for service in ("", service_name):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return Served(server, port, health_servicer)


async def serve_until_signalled(start) -> None:
    """Run a process's servers until SIGINT or SIGTERM, then stop them gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start()
    await stop.wait()
    await running.stop()
