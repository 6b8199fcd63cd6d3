"""One adapter process: connect to the bus, serve AdapterService with health and reflection."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from nats.aio.client import Client

from adapters.registry import codec_for
from adapters.service.inbox import Inboxes
from adapters.service.quarantine import Quarantine
from adapters.service.relay import AdapterRelay
from adapters.service.sharing import Sharing
from adapters.service.servicer import AdapterServicer
from adapters.service.store import CaseStore, RequestLog
from gateway import jurisdictions
from gateway.bus import jetstream
from gateway.config import Settings
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc

log = structlog.get_logger(__name__)
SERVICE_NAME = adapter_pb2.DESCRIPTOR.services_by_name["AdapterService"].full_name


@dataclass
class RunningAdapter:
    server: grpc.aio.Server
    port: int
    relay: AdapterRelay
    nc: Client
    health: health.aio.HealthServicer

    async def stop(self, grace: float = 2.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        await self.relay.close()
        await self.nc.drain()


async def start_adapter(name: str, settings: Settings, *, port: int | None = None) -> RunningAdapter:
    """Start serving; port 0 picks a free one (tests)."""
    member = jurisdictions.by_name(name)
    nc = await jetstream.connect(settings.nats_url, name=f"jjj-adapter-{member.name}")
    js = nc.jetstream()
    await jetstream.ensure_streams(js, duplicate_window=settings.duplicate_window_seconds)
    relay = AdapterRelay(
        member=member,
        codec=codec_for(member.name),
        nc=nc,
        js=js,
        cases=await CaseStore.open(js, member.token),
        requests=await RequestLog.open(js, member.token),
        quarantine=Quarantine(settings.resolved_quarantine_dir(), member.name),
        sharing=Sharing(member, js, settings.share_secret.get_secret_value().encode()),
    )
    await relay.sharing.start()
    relay.start_state_tracker()
    server = grpc.aio.server()
    adapter_pb2_grpc.add_AdapterServiceServicer_to_server(AdapterServicer(relay, Inboxes(relay, settings.ack_wait_seconds)), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    bound = server.add_insecure_port(f"{settings.host}:{settings.adapter_ports.for_member(member.name) if port is None else port}")
    await server.start()
    for service in ("", SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    log.info("adapter_listening", jurisdiction=member.name, address=f"{settings.host}:{bound}")
    return RunningAdapter(server, bound, relay, nc, health_servicer)


async def serve_until_signalled(start) -> None:
    """Run a server until SIGINT or SIGTERM, then stop it gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start()
    await stop.wait()
    await running.stop()
