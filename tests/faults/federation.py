"""A federation started by `jjj up` for fault injection: its ports, certificates, and the pids to kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from jjj.adapter.v1 import adapter_pb2_grpc
from jjj.gateway.v1 import gateway_pb2_grpc
from kernel.security import pki
from tests.support.processes import RunningUp, cmdline, descendants, start_up, still_running, up_environment
from tests.support.relay import free_port
from tests.support.secure import health_status, member_channel

SERVING = health_pb2.HealthCheckResponse.SERVING


def up_supports_cluster() -> bool:
    """Whether this checkout's `jjj up` knows `--cluster N` (the three-node bus)."""
    answer = subprocess.run([sys.executable, "-m", "cli.main", "up", "--help"], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    return "--cluster" in answer.stdout + answer.stderr


@dataclass
class UpFederation:
    """`jjj up` in its own data directory; every process the faults touch is one of its descendants."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    arguments: tuple[str, ...] = ()
    ports: dict[str, int] = field(default_factory=dict)
    running: RunningUp | None = None

    @property
    def layout(self) -> pki.PkiLayout:
        return pki.PkiLayout(self.root / "var" / "pki")

    @property
    def lines(self) -> list[str]:
        return self.running.lines if self.running else []

    def start(self, *, timeout: float = 120.0) -> None:
        self.ports, env = up_environment(self.root / "var")
        env.update(self.extra_env)
        if "--cluster" in self.arguments:  # every node its own client and route port (the first: JJJ_NATS_URL's)
            nodes = int(self.arguments[self.arguments.index("--cluster") + 1])
            clients = [self.ports["nats"], *(free_port() for _ in range(nodes - 1))]
            env |= {"JJJ_NATS_SERVER__CLUSTER_PORTS": str(clients),
                    "JJJ_NATS_SERVER__ROUTE_PORTS": str([free_port() for _ in range(nodes)])}
        self.running = start_up(env, [sys.executable, "-m", "cli.main", "up", *self.arguments])
        deadline = time.monotonic() + timeout
        while not self.running.banner_shown():
            if self.running.process.poll() is not None:
                raise AssertionError("jjj up exited while starting:\n" + self.log_tail())
            if time.monotonic() > deadline:
                raise AssertionError(f"jjj up not up within {timeout}s:\n" + self.log_tail())
            time.sleep(0.1)

    def stop(self) -> None:
        if self.running is None:
            return
        process = self.running.process
        started = descendants(process.pid)
        for pid in started:  # a stopped (SIGSTOP) nats-server would not hear SIGTERM
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in still_running(started, within=10):
            os.kill(pid, signal.SIGKILL)

    def log_tail(self, count: int = 30) -> str:
        return "".join(line if len(line) < 400 else line[:400] + "...\n" for line in self.lines[-count:])

    # -- the processes -----------------------------------------------------

    def pids(self, role: str) -> list[int]:
        """Running pids of a role: "nats" (every nats-server), "gateway" or an adapter's jurisdiction."""
        if self.running is None:
            return []
        found = []
        for pid in descendants(self.running.process.pid):
            argv = cmdline(pid).rstrip("\0").split("\0")
            if role == "nats" and argv[0].endswith("nats-server"):
                found.append(pid)
            elif "cli.main" in argv and (argv[-1:] == [role] == ["gateway"] or argv[-2:] == ["adapter", role]):
                found.append(pid)
        return sorted(found)

    def pid(self, role: str, *, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while not (found := self.pids(role)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no running {role} process:\n" + self.log_tail())
            time.sleep(0.1)
        return found[0]

    def kill(self, role: str) -> int:
        pid = self.pid(role)
        os.kill(pid, signal.SIGKILL)
        return pid

    def serving(self, name: str) -> bool:
        return health_status(self.layout, self.ports[name], timeout=1) == SERVING

    def restarts_said(self, role: str) -> int:
        return sum(1 for line in self.lines if f"jjj up: {role} exited with" in line)

    # -- member systems ----------------------------------------------------

    def member_channel(self, jurisdiction: str) -> grpc.aio.Channel:
        return member_channel(self.layout, jurisdiction, f"127.0.0.1:{self.ports[jurisdiction]}")

    def adapter_stub(self, channel: grpc.aio.Channel) -> adapter_pb2_grpc.AdapterServiceStub:
        return adapter_pb2_grpc.AdapterServiceStub(channel)

    def gateway_stub(self, channel: grpc.aio.Channel) -> gateway_pb2_grpc.GatewayQueryServiceStub:
        return gateway_pb2_grpc.GatewayQueryServiceStub(channel)

    def rss_kib(self, role: str) -> int:
        """The resident set of a role's process (VmRSS in /proc/<pid>/status), in KiB."""
        for line in Path(f"/proc/{self.pid(role)}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS for {role}")
