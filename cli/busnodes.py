"""The nats-server processes `jjj up` runs: one node, or a JetStream cluster of N on loopback.

Each node has its own data directory (configuration, log, JetStream store), its client
port and, in a cluster, its route port; every node is told every other's route. The
supervisor starts, watches and restarts each node as it does its other children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cli import natsserver
from cli.restarts import Restarts
from kernel.config import Settings
from kernel.errors import StartupError
from kernel.security import pki

CLUSTER_NAME = "jjj"
FIRST_ROUTE_PORT = 6222
SINGLE_NODE = "nats"


@dataclass
class BusNode:
    name: str
    data_dir: Path
    host: str
    port: int
    cluster: natsserver.ClusterRoutes | None = None
    server: natsserver.NatsServer | None = None
    restarts: Restarts = field(default_factory=Restarts)

    @property
    def url(self) -> str:
        return f"tls://{self.host}:{self.port}"

    @property
    def server_name(self) -> str:
        return "jjj-local" if self.cluster is None else f"jjj-local-{self.name}"

    def start(self, layout: pki.PkiLayout, *, store_key: str | None, sync_interval: str, monitor_port: int = 0) -> None:
        self.server = natsserver.start(self.data_dir, layout, host=self.host, port=self.port, store_key=store_key,
                                       server_name=self.server_name, sync_interval=sync_interval, cluster=self.cluster,
                                       monitor_port=monitor_port)
        self.port = self.server.port

    def alive(self) -> bool:
        return self.server is not None and self.server.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self.server is None else self.server.process.returncode

    @property
    def pid(self) -> int | None:
        return None if self.server is None else self.server.process.pid

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def plan(settings: Settings, cluster_size: int = 1) -> list[BusNode]:
    """The nodes for `jjj up` (`--cluster N`): ports from the settings, one data directory each."""
    root = settings.data_dir / "nats"
    if cluster_size <= 1:
        return [BusNode(SINGLE_NODE, root, settings.host, settings.nats_port)]
    client_ports = settings.nats_server.cluster_ports or [settings.nats_port + index for index in range(cluster_size)]
    route_ports = settings.nats_server.route_ports or [FIRST_ROUTE_PORT + index for index in range(cluster_size)]
    if len(client_ports) != cluster_size or len(route_ports) != cluster_size:
        raise StartupError(f"a cluster of {cluster_size} needs {cluster_size} client and route ports "
                           f"(nats_server.cluster_ports, nats_server.route_ports); got {client_ports}, {route_ports}")
    return [BusNode(f"nats-{index + 1}", root / f"node-{index + 1}", settings.host, client_ports[index],
                    natsserver.ClusterRoutes(CLUSTER_NAME, route_ports[index], tuple(route_ports)))
            for index in range(cluster_size)]
