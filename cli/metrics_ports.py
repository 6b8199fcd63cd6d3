"""Which loopback port each process of `jjj up` serves its Prometheus metrics on.

Fixed by default (the gateway on JJJ_OBSERVABILITY__METRICS_PORT_BASE, the adapters on the
next ports in the order of schemas/jurisdictions.yaml), free ports with
JJJ_OBSERVABILITY__METRICS_FREE_PORTS (several federations on one machine), none with a
base of 0. A restarted process keeps its port.
"""

from __future__ import annotations

from kernel.config import Settings
from kernel.ports import free_ports

ENV = "JJJ_OBSERVABILITY__METRICS_PORT"
ALL_ENV = "JJJ_OBSERVABILITY__METRICS_PORTS"


def assign(settings: Settings, roles: list[str]) -> dict[str, int]:
    observability = settings.observability
    if not observability.metrics_port_base:
        return {}
    if observability.metrics_free_ports:
        # Not one of the federation's own ports: whoever chose those (a test, the harness) may have
        # chosen them a moment ago, before the processes that will listen on them are up.
        return dict(zip(roles, free_ports(len(roles), settings.host, avoid=federation_ports(settings)), strict=True))
    return {role: observability.metrics_port_base + index for index, role in enumerate(roles)}


def banner_lines(host: str, ports: dict[str, int]) -> list[str]:
    if not ports:
        return ["  metrics   off (JJJ_OBSERVABILITY__METRICS_PORT_BASE=0)"]
    listed = ", ".join(f"{role} {host}:{port}" for role, port in ports.items())
    return [f"  metrics   {listed}  (Prometheus, /metrics)"]


def federation_ports(settings: Settings) -> set[int]:
    """The ports the federation's processes are configured to listen on."""
    ports = {settings.gateway_port, *settings.adapter_ports.values(), settings.console.port,
             settings.console.nats_monitor_port, *settings.nats_server.cluster_ports, *settings.nats_server.route_ports}
    ports.update(int(url.rsplit(":", 1)[1]) for url in settings.nats_urls() if url.rsplit(":", 1)[1].isdigit())
    return ports - {0}
