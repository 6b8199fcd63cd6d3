"""Fixtures in the style of nats.py's tests: a real server on a free port, then clients.

nats_server -> settings -> adapters (real grpc.aio servers, port 0) -> channels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import os

import grpc
import pytest
from hypothesis import settings as hypothesis_settings

from cli import natsserver
from kernel.config import SecuritySettings, Settings
from kernel.security.keys import init_keys
from jjj.adapter.v1 import adapter_pb2_grpc
from jjj.gateway.v1 import gateway_pb2_grpc

from tests.support.expected import SHARED  # noqa: E402  the given inputs, as copied into the project

# Shared machines are noisy: no per-example deadline. CI runs a fixed sequence of examples
# (a red CI should mean a regression, not a newly drawn example); developers explore.
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[natsserver.NatsServer]:
    server = natsserver.start(tmp_path / "nats")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One signing key per member and the federation, and their registry, for the whole session."""
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory)
    return directory


@pytest.fixture
def settings(nats_server: natsserver.NatsServer, tmp_path: Path, keys_dir: Path) -> Settings:
    return Settings(nats_url=nats_server.url, data_dir=tmp_path / "data", ack_wait_seconds=5.0, log_format="json",
                    security=SecuritySettings(keys_dir=keys_dir))


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

    def gateway_stub(self) -> gateway_pb2_grpc.GatewayQueryServiceStub:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.gateway.port}")
        self.channels.append(channel)
        return gateway_pb2_grpc.GatewayQueryServiceStub(channel)

    async def start(self, *names: str) -> None:
        from adapters.service.app import start_adapter

        for name in names:
            self.running[name] = await start_adapter(name, self.settings, port=0)

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.running[name].port}"

    def stub(self, name: str) -> adapter_pb2_grpc.AdapterServiceStub:
        channel = grpc.aio.insecure_channel(self.address(name))
        self.channels.append(channel)
        return adapter_pb2_grpc.AdapterServiceStub(channel)

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
