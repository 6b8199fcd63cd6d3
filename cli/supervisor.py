"""`jjj up`: the local federation on its embedded default, supervised.

Starts nats-server (JetStream under the data directory), the gateway and the three
adapters, each its own process; prints where each listens; restarts a process that
dies; and on SIGINT or SIGTERM stops everything it started, adapters first and the
bus last, leaving no process behind (children also get SIGTERM if the supervisor
itself dies: see natsserver.dying_with_parent).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli import natsserver
from kernel import jurisdictions
from kernel.config import Settings
from kernel.security.keys import init_keys

MAX_RESTARTS = 5


@dataclass
class Child:
    role: str
    command: list[str]
    port: int
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(natsserver.dying_with_parent(self.command), env=env, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    settings: Settings
    children: list[Child] = field(default_factory=list)
    nats: natsserver.NatsServer | None = None
    stopping: bool = False

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            created = init_keys(self.settings.keys_dir())
            if created:
                print(f"jjj up: created signing keys for {', '.join(created)} in {self.settings.keys_dir()}", flush=True)
            self.nats = natsserver.start(self.settings.data_dir / "nats", host=self.settings.host, port=self.settings.nats_port)
            env = {**os.environ, "JJJ_NATS_URL": self.nats.url, "JJJ_DATA_DIR": str(self.settings.data_dir),
                   "JJJ_SECURITY__KEYS_DIR": str(self.settings.keys_dir())}
            cli = [sys.executable, "-m", "cli.main"]
            self.children = [Child("gateway", [*cli, "gateway"], self.settings.gateway_port)] + [
                Child(name, [*cli, "adapter", name], self.settings.adapter_port(name))
                for name in jurisdictions.names()
            ]
            for child in self.children:
                child.start(env)
            for child in self.children:
                if not self.stopping:
                    self._wait_serving(child)
            if not self.stopping:
                self._print_banner()
            while not self.stopping:
                self._restart_dead(env)
                time.sleep(0.2)
            return 0
        except Exception as error:  # a start-up failure is reported plainly, then everything is stopped
            print(f"jjj up: {error}", file=sys.stderr, flush=True)
            return 1
        finally:
            self.shutdown()

    def _wait_serving(self, child: Child, timeout: float = 60.0) -> None:
        address = f"{self.settings.host}:{child.port}"
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline and not self.stopping:
                if not child.alive():
                    raise RuntimeError(f"{child.role} exited with {child.process.returncode} while starting")
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    time.sleep(0.1)
        if not self.stopping:
            raise RuntimeError(f"{child.role} not serving on {address} after {timeout}s")

    def _print_banner(self) -> None:
        lines = ["jjj-exchange local federation is up:",
                 f"  nats      {self.nats.url}  (JetStream store {self.nats.store_dir})"]
        for child in self.children:
            service = "jjj.gateway.v1.GatewayQueryService" if child.role == "gateway" else "jjj.adapter.v1.AdapterService"
            lines.append(f"  {child.role:<9} {self.settings.host}:{child.port}  {service}")
        lines.append("Ctrl-C stops everything.")
        print("\n".join(lines), flush=True)

    def _restart_dead(self, env: dict[str, str]) -> None:
        for child in self.children:
            if child.alive() or self.stopping:
                continue
            if child.restarts >= MAX_RESTARTS:
                raise RuntimeError(f"{child.role} keeps dying (exit {child.process.returncode}); giving up")
            child.restarts += 1
            print(f"jjj up: {child.role} exited with {child.process.returncode}; restarting ({child.restarts}/{MAX_RESTARTS})",
                  file=sys.stderr, flush=True)
            time.sleep(min(5.0, 0.5 * 2 ** child.restarts))
            child.start(env)

    def shutdown(self) -> None:
        for child in self.children:
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if self.nats is not None:
            self.nats.stop()
        print("jjj up: stopped", flush=True)


def up(settings: Settings) -> int:
    return Supervisor(settings).run()
