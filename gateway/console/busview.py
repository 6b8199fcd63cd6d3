"""What the console asks the running federation: nats-server's monitoring endpoints, each process's
gRPC health, the members' inbox consumers and the dead letters (as the operator principal)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.aio.client import Client

from kernel import jurisdictions
from kernel.bus import subjects
from kernel.bus.deadletters import DeadLetters, Letter
from kernel.security import pki
from kernel.security.tls import TlsFiles, grpc_channel_credentials

GREEN, YELLOW, RED = "green", "yellow", "red"
CERTIFICATE_SERVICE = "jjj.tls.certificate"
# Inbox samples kept for the consumer-lag chart: a day at one sample per LAG_SAMPLE_SECONDS.
LAG_SAMPLE_SECONDS = 30.0


@dataclass
class Endpoints:
    host: str
    gateway_port: int
    adapter_ports: dict[str, int]
    nats_monitor_port: int


def _http_json(url: str, timeout: float = 1.5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # loopback only: our own nats-server
        return json.loads(answer.read().decode())


@dataclass
class BusView:
    nc: Client  # the operator's connection
    endpoints: Endpoints
    operator_files: TlsFiles
    dead_letters: DeadLetters
    lag_samples: dict[str, deque] = field(default_factory=dict)
    _last_sample: float = 0.0

    async def nats_health(self) -> dict:
        port = self.endpoints.nats_monitor_port
        if not port:
            state = GREEN if self.nc.is_connected else RED
            return {"name": "nats", "state": state, "reason": "connected (monitoring port not enabled)" if self.nc.is_connected
                    else "the console's connection is down"}
        base = f"http://127.0.0.1:{port}"
        try:
            health = await asyncio.to_thread(_http_json, f"{base}/healthz")
            jsz = await asyncio.to_thread(_http_json, f"{base}/jsz")
        except Exception as error:
            return {"name": "nats", "state": RED, "reason": f"monitoring endpoint not answering: {type(error).__name__}"}
        if health.get("status") != "ok":
            return {"name": "nats", "state": RED, "reason": health.get("error") or str(health)}
        streams, consumers = jsz.get("streams", 0), jsz.get("consumers", 0)
        reason = f"JetStream: {streams} streams, {consumers} consumers, {jsz.get('messages', 0)} messages"
        state = YELLOW if jsz.get("disabled") else GREEN
        return {"name": "nats", "state": state, "reason": reason}

    async def grpc_health(self, name: str, port: int) -> dict:
        address = f"{self.endpoints.host}:{port}"
        try:
            async with grpc.aio.secure_channel(address, grpc_channel_credentials(self.operator_files)) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                overall = (await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.5)).status
                certificate = (await stub.Check(health_pb2.HealthCheckRequest(service=CERTIFICATE_SERVICE), timeout=1.5)).status
        except grpc.RpcError as error:
            return {"name": name, "state": RED, "reason": f"not answering on {address} ({error.code().name})"}
        serving = health_pb2.HealthCheckResponse.SERVING
        if overall != serving:
            return {"name": name, "state": RED, "reason": "NOT_SERVING: its bus connection is away"}
        if certificate != serving:
            return {"name": name, "state": YELLOW, "reason": "its certificate expires soon"}
        return {"name": name, "state": GREEN, "reason": f"SERVING on {address}"}

    async def health(self) -> list[dict]:
        checks = [self.nats_health(), self.grpc_health("gateway", self.endpoints.gateway_port)]
        checks += [self.grpc_health(name, port) for name, port in self.endpoints.adapter_ports.items()]
        return list(await asyncio.gather(*checks))

    async def inbox(self, member: jurisdictions.Member, now: datetime) -> dict:
        js = self.nc.jetstream()
        pending = ack_pending = waiting = 0
        last_ack: datetime | None = None
        last_delivery: datetime | None = None
        oldest: datetime | None = None
        found = 0
        for route in subjects.MEMBER_ROUTES:
            durable = subjects.durable_name(subjects.INBOX_PURPOSE, member.token, route.flow)
            try:
                info = await js.consumer_info(route.stream, durable, timeout=1.5)
            except Exception:  # never opened yet, or the bus is away
                continue
            found += 1
            pending += info.num_pending or 0
            ack_pending += info.num_ack_pending or 0
            waiting += info.num_waiting or 0
            if info.ack_floor and info.ack_floor.last_active:
                last_ack = max(filter(None, (last_ack, info.ack_floor.last_active)))
            if info.delivered and info.delivered.last_active:
                last_delivery = max(filter(None, (last_delivery, info.delivered.last_active)))
            if (info.num_pending or 0) + (info.num_ack_pending or 0):
                first = await self._first_unacknowledged(route.stream, subjects.inbox_filter(route.flow, member),
                                                         info.ack_floor.stream_seq if info.ack_floor else 0)
                if first is not None:
                    oldest = min(filter(None, (oldest, first)))
        connected = waiting > 0 or (last_delivery is not None and (now - last_delivery).total_seconds() < 5)
        return {"member": member.name, "consumers": found, "connected": connected, "pending": pending + ack_pending,
                "unacknowledged": ack_pending, "oldest_pending_seconds": round((now - oldest).total_seconds()) if oldest else 0,
                "last_ack_at": last_ack.isoformat() if last_ack else None}

    async def _first_unacknowledged(self, stream: str, filter_subject: str, ack_floor: int) -> datetime | None:
        try:
            raw = await self.nc.jetstream().get_msg(stream, seq=ack_floor + 1, subject=filter_subject, next=True)
        except Exception:
            return None
        return raw.time.astimezone(UTC) if raw.time else None

    async def inboxes(self, now: datetime) -> list[dict]:
        result = list(await asyncio.gather(*(self.inbox(member, now) for member in jurisdictions.members())))
        if time.monotonic() - self._last_sample >= LAG_SAMPLE_SECONDS or not self.lag_samples:
            self._last_sample = time.monotonic()
            for item in result:
                series = self.lag_samples.setdefault(item["member"], deque(maxlen=int(86400 / LAG_SAMPLE_SECONDS)))
                series.append((now.isoformat(), item["pending"]))
        return result

    async def letters(self) -> list[Letter]:
        try:
            return await self.dead_letters.list()
        except Exception:
            return []


def certificates(layout: pki.PkiLayout, now: datetime) -> list[dict]:
    """Days left on each certificate of the PKI directory (principals, the CA)."""
    result = []
    for principal in pki.principals():
        path = layout.cert(principal.name)
        if not path.is_file():
            continue
        expires = pki.load_certificate(path).not_valid_after_utc
        result.append({"principal": principal.name, "expires_at": expires.isoformat(),
                       "days_left": round((expires - now).total_seconds() / 86400, 1)})
    return result
