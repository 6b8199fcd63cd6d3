"""Fixtures in the style of nats.py's tests: a real server on a free port, then clients.

pki (one per session, made by the code of `jjj certs init`) -> nats_server (the
configuration `jjj up` generates: TLS, one user per certificate, streams and
buckets provisioned by the operator) -> settings -> adapters (real grpc.aio
servers over mutual TLS, port 0) -> channels as each jurisdiction's member system.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import os

import grpc
import pytest
from hypothesis import settings as hypothesis_settings

from cli import certs, natsserver
from kernel import logs
from kernel.config import ConsoleSettings, SecuritySettings, Settings, TlsSettings
from kernel.security import pki as pki_module
from kernel.security.keys import init_keys
from tests.support import bus
from tests.support.secure import member_channel
from jjj.adapter.v1 import adapter_pb2_grpc
from jjj.gateway.v1 import gateway_pb2_grpc

from tests.support.expected import SHARED  # noqa: E402  the given inputs, as copied into the project

# Shared machines are noisy: no per-example deadline. CI runs a fixed sequence of examples
# (a red CI should mean a regression, not a newly drawn example); developers explore.
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Ports for the federations tests start come from a range of this worker's own, below the kernel's ephemeral
# range: the other worker's federations and every connection's source port are elsewhere (kernel/ports.py).
TEST_PORTS = range(10_000, 32_000)


def worker_port_range(worker: str | None, workers: str | None) -> str:
    index, count = (int(worker.removeprefix("gw")), int(workers)) if worker and workers else (0, 1)
    size = len(TEST_PORTS) // count
    low = TEST_PORTS.start + index * size
    return f"{low}-{low + size - 1}"


os.environ.setdefault("JJJ_PORT_RANGE", worker_port_range(os.environ.get("PYTEST_XDIST_WORKER"),
                                                          os.environ.get("PYTEST_XDIST_WORKER_COUNT")))

# In-process servers log as the processes do (JSON off a TTY, personal data masked), not structlog's defaults.
logs.configure("auto")


@pytest.fixture(scope="session")
def pki_layout(tmp_path_factory) -> pki_module.PkiLayout:
    """The development PKI, as `jjj certs init` makes it (with its registry of the three member systems)."""
    root = tmp_path_factory.mktemp("pki")
    layout, _ = certs.init(root, registry_file=root / "registry.yaml", audit_file=root / "audit.jsonl")
    bus.use_pki(layout)
    return layout


@pytest.fixture
def nats_server(tmp_path: Path, pki_layout: pki_module.PkiLayout) -> Iterator[natsserver.NatsServer]:
    server = natsserver.start(tmp_path / "nats", pki_layout)
    asyncio.run(certs.provision_bus(server.url, certs.operator_files(pki_layout), duplicate_window=7 * 24 * 3600))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One signing key per member and the federation, and their registry, for the whole session."""
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


@pytest.fixture
def registry_file(tmp_path: Path, pki_layout: pki_module.PkiLayout) -> Path:
    """This test's own copy of the registry, so that a test may register and revoke."""
    copy = tmp_path / "registry.yaml"
    shutil.copyfile(pki_layout.registry, copy)
    return copy


@pytest.fixture
def settings(nats_server: natsserver.NatsServer, tmp_path: Path, pki_layout: pki_module.PkiLayout, registry_file: Path,
             keys_dir: Path) -> Settings:
    return Settings(nats_url=nats_server.url, data_dir=tmp_path / "data", ack_wait_seconds=5.0, log_format="json",
                    tls=TlsSettings(pki_dir=pki_layout.root, registry_file=registry_file),
                    security=SecuritySettings(keys_dir=keys_dir), console=ConsoleSettings(enabled=False))


class Federation:
    """Adapters running in this process on free ports, and stubs to call them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: dict = {}
        self.channels: list[grpc.aio.Channel] = []
        self.gateway = None

    async def start_gateway(self, clock=None) -> None:
        from gateway.app import start_gateway

        kwargs = {"clock": clock} if clock else {}
        self.gateway = await start_gateway(self.settings, port=0, **kwargs)

    @property
    def pki(self) -> pki_module.PkiLayout:
        return self.settings.pki()

    def channel(self, address: str, jurisdiction: str) -> grpc.aio.Channel:
        """A channel as `jurisdiction`'s member system (closed with the federation)."""
        channel = member_channel(self.pki, jurisdiction, address)
        self.channels.append(channel)
        return channel

    def gateway_stub(self, jurisdiction: str = "beijing") -> gateway_pb2_grpc.GatewayQueryServiceStub:
        channel = member_channel(self.pki, jurisdiction, f"127.0.0.1:{self.gateway.port}")
        self.channels.append(channel)
        return gateway_pb2_grpc.GatewayQueryServiceStub(channel)

    async def start(self, *names: str) -> None:
        from adapters.service.app import start_adapter

        for name in names:
            self.running[name] = await start_adapter(name, self.settings, port=0)

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.running[name].port}"

    def stub(self, name: str, *, as_member: str | None = None) -> adapter_pb2_grpc.AdapterServiceStub:
        """A stub of `name`'s adapter as its own member system calls it (or as another's)."""
        return adapter_pb2_grpc.AdapterServiceStub(self.channel(self.address(name), as_member or name))

    async def stop(self, name: str) -> None:
        await self.running.pop(name).stop(grace=0.5)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
        for name in list(self.running):
            await self.stop(name)
        if self.gateway is not None:
            await self.gateway.stop(grace=0.5)


@pytest.fixture
async def federation(settings: Settings) -> AsyncIterator[Federation]:
    fed = Federation(settings)
    yield fed
    await fed.close()


@pytest.fixture
def shared() -> Path:
    return SHARED


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs two workers, a file each at a time) the files that start
    processes go first: left to the end, the fault and cluster files kept one worker busy for minutes
    while the other had nothing left. Without xdist the order is pytest's."""
    if not hasattr(config, "workerinput"):
        return
    starts_processes = {"faults", "e2e"}

    def late(item) -> bool:
        folder = item.path.relative_to(config.rootpath).parts[1:2]
        return not (item.get_closest_marker("slow") or set(folder) & starts_processes)
    items.sort(key=late)
