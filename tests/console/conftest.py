"""The console's fixtures: a nats-server with its monitoring port, a federation whose gateway serves the console."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli import certs, natsserver
from kernel.config import ConsoleSettings, SecuritySettings, Settings, TlsSettings
from kernel.security import pki as pki_module
from tests.support.relay import free_port

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "console"


@pytest.fixture
def monitor_port() -> int:
    return free_port()


@pytest.fixture
def nats_server(tmp_path: Path, pki_layout: pki_module.PkiLayout, monitor_port: int) -> Iterator[natsserver.NatsServer]:
    server = natsserver.start(tmp_path / "nats", pki_layout, monitor_port=monitor_port)
    asyncio.run(certs.provision_bus(server.url, certs.operator_files(pki_layout), duplicate_window=7 * 24 * 3600))
    yield server
    server.stop()


@pytest.fixture
def settings(nats_server: natsserver.NatsServer, tmp_path: Path, pki_layout: pki_module.PkiLayout, registry_file: Path,
             keys_dir: Path, monitor_port: int) -> Settings:
    console = ConsoleSettings(port=0, nats_monitor_port=monitor_port, refresh_seconds=0.5, lockout_seconds=60)
    return Settings(nats_url=nats_server.url, data_dir=tmp_path / "data", ack_wait_seconds=5.0, log_format="json",
                    tls=TlsSettings(pki_dir=pki_layout.root, registry_file=registry_file),
                    security=SecuritySettings(keys_dir=keys_dir, max_retries=2, retry_delay_seconds=0.05), console=console)


@pytest.fixture
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
