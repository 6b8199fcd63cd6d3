"""`jjj up` as an operator runs it: everything starts, says where it listens, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.processes import cmdline, descendants, still_running
from tests.support.relay import free_port

pytestmark = pytest.mark.slow


def serving(port: int) -> bool:
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
            return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def test_up_starts_everything_and_sigint_leaves_no_process(tmp_path):
    ports = {name: free_port() for name in ("nats", "gateway", "beijing", "tianjin", "hebei")}
    env = {
        **os.environ,
        "JJJ_NATS_URL": f"nats://127.0.0.1:{ports['nats']}",
        "JJJ_GATEWAY_PORT": str(ports["gateway"]),
        "JJJ_ADAPTER_PORTS__BEIJING": str(ports["beijing"]),
        "JJJ_ADAPTER_PORTS__TIANJIN": str(ports["tianjin"]),
        "JJJ_ADAPTER_PORTS__HEBEI": str(ports["hebei"]),
        "JJJ_DATA_DIR": str(tmp_path / "var"),
    }
    up = subprocess.Popen([sys.executable, "-m", "cli.main", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(up.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert up.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        banner = "".join(lines)
        assert f"nats://127.0.0.1:{ports['nats']}" in banner
        for name in ("gateway", "beijing", "tianjin", "hebei"):
            assert re.search(rf"{name}\s+127\.0\.0\.1:{ports[name]}", banner), banner
            with grpc.insecure_channel(f"127.0.0.1:{ports[name]}") as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        started = descendants(up.pid)
        assert len(started) >= 5, f"expected nats-server, gateway and three adapters, got {started}"
        assert any("nats-server" in cmdline(pid) for pid in started)

        # Supervised: an adapter killed with -9 is started again on its port.
        (beijing,) = [pid for pid in started if "adapter\0beijing" in cmdline(pid)]
        os.kill(beijing, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            replacement = [pid for pid in descendants(up.pid) if "adapter\0beijing" in cmdline(pid) and pid != beijing]
            if replacement and serving(ports["beijing"]):
                break
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        started = descendants(up.pid)

        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=30) == 0
        assert still_running(started) == []
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
