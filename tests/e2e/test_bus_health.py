"""An adapter and the gateway answer NOT_SERVING on their health service while the bus is away, SERVING once it is back.

Real adapter and gateway in this process, a real nats-server stopped and started again on its port and store.
"""

from __future__ import annotations

from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli import natsserver
from kernel.security.expiry import HEALTH_SERVICE as CERTIFICATE_HEALTH
from tests.support.relay import eventually

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
ADAPTER_SERVICE, GATEWAY_SERVICE = "jjj.adapter.v1.AdapterService", "jjj.gateway.v1.GatewayQueryService"


def restart(server: natsserver.NatsServer, layout) -> None:
    """The same server again, on its port and JetStream store; the fixture stops it at the end."""
    again = natsserver.start(server.store_dir.parent, layout, host=server.host, port=server.port)
    server.process, server.log_file = again.process, again.log_file


async def test_health_follows_the_bus_connection(federation, nats_server):
    await federation.start("beijing")
    await federation.start_gateway()
    adapter = health_pb2_grpc.HealthStub(federation.channel(federation.address("beijing"), "beijing"))
    gateway = health_pb2_grpc.HealthStub(federation.channel(f"127.0.0.1:{federation.gateway.port}", "beijing"))
    checks = [(adapter, ""), (adapter, ADAPTER_SERVICE), (gateway, ""), (gateway, GATEWAY_SERVICE)]

    async def statuses() -> list[int]:
        return [(await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)).status
                for stub, service in checks]

    assert await statuses() == [SERVING] * len(checks)

    nats_server.stop()
    await eventually(lambda: _all(statuses, NOT_SERVING), timeout=5)
    # The certificate's health is its own: a bus outage does not touch it.
    certificate = await adapter.Check(health_pb2.HealthCheckRequest(service=CERTIFICATE_HEALTH), timeout=2)
    assert certificate.status == SERVING

    restart(nats_server, federation.pki)
    await eventually(lambda: _all(statuses, SERVING), timeout=10)


async def _all(statuses, wanted: int) -> bool:
    return all(status == wanted for status in await statuses())
