"""A local federation for a test session: `jjj up` as a subprocess, its own data directory, free ports.

`LocalFederation.start(data_dir)` picks free loopback ports for nats-server, the gateway
and each adapter, starts `jjj up` with them (JJJ_* variables), and waits until the state
file (harness.state) appears: everything serves then. `stop()` sends SIGINT, as Ctrl-C,
and waits; `jjj up` stops all it started. Its merged output is kept (`output()`) for a
failure message.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.state import FederationNotRunning, FederationState
from kernel import jurisdictions
from kernel.ports import free_ports

PROCESSES = ("nats", "gateway", *jurisdictions.names(), "console", "nats_monitor")
START_TIMEOUT = 120.0


def up_environment(data_dir: Path, base: dict[str, str] | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """Free loopback ports for every process of a local federation, and the environment that puts it there."""
    ports = dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True))
    env = {
        **(os.environ if base is None else base),
        "JJJ_NATS_URL": f"nats://127.0.0.1:{ports['nats']}",
        "JJJ_GATEWAY_PORT": str(ports["gateway"]),
        **{f"JJJ_ADAPTER_PORTS__{name.upper()}": str(ports[name]) for name in jurisdictions.names()},
        "JJJ_DATA_DIR": str(data_dir),
        "JJJ_CONSOLE__PORT": str(ports["console"]),
        "JJJ_CONSOLE__NATS_MONITOR_PORT": str(ports["nats_monitor"]),
        "JJJ_OBSERVABILITY__METRICS_FREE_PORTS": "true",  # several federations on one machine: never fixed ports
    }
    return ports, env


def jjj_command() -> list[str]:
    """`jjj` of this environment: the console script beside our interpreter, else the module."""
    script = Path(sys.executable).with_name("jjj")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


@dataclass
class LocalFederation:
    process: subprocess.Popen
    data_dir: Path
    ports: dict[str, int]
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None
    state: FederationState | None = None

    @classmethod
    def start(cls, data_dir: Path, *, extra_env: dict[str, str] | None = None, timeout: float = START_TIMEOUT,
              wait: bool = True) -> "LocalFederation":
        ports, env = up_environment(Path(data_dir))
        env |= extra_env or {}
        process = subprocess.Popen([*jjj_command(), "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True, errors="replace")
        federation = cls(process, Path(data_dir), ports, env)
        federation.reader = threading.Thread(target=lambda: federation.lines.extend(process.stdout), daemon=True)
        federation.reader.start()
        if wait:
            try:
                federation.wait_up(timeout)
            except BaseException:
                federation.stop()
                raise
        return federation

    @property
    def state_file(self) -> Path:
        return FederationState.default_path(self.data_dir)

    def output(self, last: int = 60) -> str:
        return "".join(self.lines[-last:])

    def wait_up(self, timeout: float = START_TIMEOUT) -> FederationState:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise FederationNotRunning(f"jjj up exited with {self.process.returncode}:\n{self.output()}")
            if self.state_file.exists():
                self.state = FederationState.load(self.state_file)
                return self.state
            if time.monotonic() > deadline:
                raise FederationNotRunning(f"jjj up not up after {timeout}s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C, then the exit code; killed when it does not stop within `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.reader is not None:
            self.reader.join(5)
        return self.process.returncode

    def remove(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
