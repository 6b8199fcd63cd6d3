"""`jjj up`: the local federation on its embedded default, supervised.

Makes a development PKI under the data directory when there is none (`jjj certs
init`), starts nats-server (TLS, one user per certificate, JetStream under the data
directory), provisions the streams and buckets as the operator principal, then the
gateway and the three adapters, each its own process with its own certificate;
prints where each listens and where the member systems' certificates are, and writes
it to <data_dir>/federation.json (harness.state; removed on stop); restarts
a process that dies, nats-server included (on its port, configuration and store; the
others reconnect to it by themselves), at most MAX_RESTARTS times within
RESTART_WINDOW_SECONDS (cli/restarts.py); and on SIGINT or SIGTERM stops everything it started, adapters
first and the bus last, leaving no process behind (children also get SIGTERM if the
supervisor itself dies: see natsserver.dying_with_parent).

Standard output is the federation's log stream: each child writes to a pipe of its
own and the supervisor copies whole lines to its stdout, one write per line, so the
records of five processes never run together whatever their size (a pipe shared by
several writers keeps only writes up to PIPE_BUF, 4 KiB, whole). What is said to the
operator (where everything listens, restarts, stopped) goes to stderr, and as log
records to stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli import certs, console, metrics_ports, natsserver
from cli.restarts import RestartPolicy
from harness.state import FederationState
from kernel import jurisdictions, logs
from kernel.config import Settings
from kernel.security import pki
from kernel.security.tls import grpc_channel_credentials
from kernel.errors import JjjError, StartupError
from kernel.security.keys import init_keys

# `jjj up --simulate`: cases per second the simulated members submit (a light load a newcomer can follow).
SIMULATION_RATE = "0.2"
# Read when `jjj up` starts (tests lower them): at most this many restarts of one process within the window.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
NATS = "nats"

log = structlog.get_logger(__name__)


def relay_lines(source: IO[bytes]) -> None:
    """Copies a child's output to our stdout a whole line at a time, until the child closes it."""
    with source:
        for line in iter(source.readline, b""):
            try:
                logs.write_line(line)
            except OSError:  # our stdout is gone: keep reading so that the child never blocks on a full pipe
                pass


@dataclass
class Child:
    role: str
    command: list[str]
    port: int
    principal: str
    process: subprocess.Popen | None = None
    relay: threading.Thread | None = None
    restarts: list[float] = field(default_factory=list)
    started_at: float = 0.0
    metrics_port: int = 0

    def start(self, env: dict[str, str], layout: pki.PkiLayout) -> None:
        # Each process its own identity: the certificate of its principal, nobody else's.
        identity = {"JJJ_TLS__CA_FILE": str(layout.ca_cert), "JJJ_TLS__CERT_FILE": str(layout.cert(self.principal)),
                    "JJJ_TLS__KEY_FILE": str(layout.key(self.principal)), metrics_ports.ENV: str(self.metrics_port)}
        self.process = subprocess.Popen(natsserver.dying_with_parent(self.command), env={**env, **identity},
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True)
        self.relay = threading.Thread(target=relay_lines, args=(self.process.stdout,), name=f"relay-{self.role}", daemon=True)
        self.relay.start()
        self.started_at = time.monotonic()

    def drain(self, timeout: float) -> None:
        """Waits for the last lines of a child that has exited."""
        if self.relay is not None:
            self.relay.join(timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    settings: Settings
    children: list[Child] = field(default_factory=list)
    nats: natsserver.NatsServer | None = None
    layout: pki.PkiLayout | None = None
    stopping: bool = False
    policy: RestartPolicy = field(default_factory=lambda: RestartPolicy(MAX_RESTARTS, RESTART_WINDOW_SECONDS))
    nats_restarts: list[float] = field(default_factory=list)
    store_key: str | None = None
    first_password: str | None = None
    # `jjj up --simulate` (`make up`): a light `jjj sim` as one more supervised child, started once all serve
    simulate: bool = False

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self.layout = self._ensure_pki()
            created = init_keys(self.settings.keys_dir())
            if created:
                print(f"jjj up: created signing keys for {', '.join(created)} in {self.settings.keys_dir()}",
                      file=sys.stderr, flush=True)
            self.store_key = self.settings.bus_store_key.get_secret_value() if self.settings.bus_store_key else None
            self.nats = natsserver.start(self.settings.data_dir / "nats", self.layout, host=self.settings.host,
                                         port=self.settings.nats_port, store_key=self.store_key,
                                         monitor_port=self.settings.console.nats_monitor_port)
            self.first_password = console.first_operator(self.settings) if self.settings.console.enabled else None
            asyncio.run(certs.provision_bus(self.nats.url, certs.operator_files(self.layout),
                                            duplicate_window=self.settings.duplicate_window_seconds))
            # The children write to pipes: they render as our own stdout would have them render.
            env = {**os.environ, "JJJ_NATS_URL": self.nats.url, "JJJ_DATA_DIR": str(self.settings.data_dir),
                   "JJJ_TLS__PKI_DIR": str(self.layout.root), "JJJ_LOG_FORMAT": logs.resolved_format(self.settings.log_format),
                   "JJJ_SECURITY__KEYS_DIR": str(self.settings.keys_dir())}
            cli = [sys.executable, "-m", "cli.main"]
            self.children = [Child("gateway", [*cli, "gateway"], self.settings.gateway_port, pki.GATEWAY)] + [
                Child(name, [*cli, "adapter", name], self.settings.adapter_port(name), pki.adapter_principal(name))
                for name in jurisdictions.names()
            ]
            for child, port in zip(self.children, metrics_ports.assign(self.settings, [c.role for c in self.children]).values()):
                child.metrics_port = port
            env[metrics_ports.ALL_ENV] = json.dumps(self.metrics_ports())  # the console scrapes them all
            for child in self.children:
                child.start(env, self.layout)
            for child in self.children:
                if not self.stopping:
                    self._wait_serving(child)
            if not self.stopping:
                self._write_state()
                self._print_banner()
            if self.simulate and not self.stopping:
                self._start_simulation(cli, env)
            while not self.stopping:
                restarted = self._restart_nats_if_dead() + self._restart_dead(env)
                if restarted and not self.stopping:
                    self._write_state()
                time.sleep(0.2)
            return 0
        except Exception as error:  # a start-up failure is reported plainly, then everything is stopped
            log.error("federation_failed", error=str(error))
            print(f"jjj up: {error}", file=sys.stderr, flush=True)
            return 1
        finally:
            self.shutdown()

    def _start_simulation(self, cli: list[str], env: dict[str, str]) -> None:
        # Its member-system identities come from the state file (harness.state), like any member system's;
        # the environment's identity is the Beijing member system's, never a process principal's.
        sim = Child("sim", [*cli, "sim", "--rate", SIMULATION_RATE, "--wait", "30"], 0,
                    pki.member_system_principal(jurisdictions.names()[0]))
        print(f"jjj up: SIMULATED member systems running (jjj sim, {SIMULATION_RATE} cases/s; every case marked 【模拟】)",
              file=sys.stderr, flush=True)
        sim.start(env, self.layout)
        self.children.append(sim)

    def _ensure_pki(self) -> pki.PkiLayout:
        """The development PKI when there is none yet, so `make up` works on a fresh machine."""
        layout = self.settings.pki()
        if not layout.exists():
            layout, made = certs.init_for(self.settings)
            print(f"jjj up: made a development PKI in {layout.root} ({len(made)} certificates)", file=sys.stderr, flush=True)
        return layout

    def _wait_serving(self, child: Child, timeout: float = 60.0) -> None:
        address = f"{self.settings.host}:{child.port}"
        deadline = time.monotonic() + timeout
        with grpc.secure_channel(address, grpc_channel_credentials(certs.operator_files(self.layout))) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline and not self.stopping:
                if not child.alive():
                    raise StartupError(f"{child.role} exited with {child.process.returncode} while starting")
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    time.sleep(0.1)
        if not self.stopping:
            raise StartupError(f"{child.role} not serving on {address} after {timeout}s")

    def _print_banner(self) -> None:
        lines = ["jjj-exchange local federation is up:",
                 f"  nats      {self.nats.url}  (TLS, client certificates; JetStream store {self.nats.store_dir})"]
        for child in self.children:
            service = "jjj.gateway.v1.GatewayQueryService" if child.role == "gateway" else "jjj.adapter.v1.AdapterService"
            lines.append(f"  {child.role:<9} {self.settings.host}:{child.port}  {service}")
        lines.extend(metrics_ports.banner_lines(self.settings.host, self.metrics_ports()))
        lines.extend(console.banner_lines(self.settings, self.first_password))
        lines.extend(certs.member_system_lines(self.layout))
        lines.append(f"  state     {self.state_file}  (jjj status | submit | inbox | step | case read it)")
        lines.append("Ctrl-C stops everything.")
        print("\n".join(lines), file=sys.stderr, flush=True)
        log.info("federation_up", nats=self.nats.url,
                 **{child.role: f"{self.settings.host}:{child.port}" for child in self.children})

    def metrics_ports(self) -> dict[str, int]:
        return {child.role: child.metrics_port for child in self.children if child.metrics_port}

    @property
    def state_file(self) -> Path:
        return FederationState.default_path(self.settings.data_dir)

    def _write_state(self) -> None:
        """Where everything listens, for `jjj status|submit|inbox...` and test harnesses (harness.state)."""
        pids = {"supervisor": os.getpid(), NATS: self.nats.process.pid,
                **{child.role: child.process.pid for child in self.children if child.process is not None}}
        FederationState.of_pki(self.layout, data_dir=self.settings.data_dir, nats_url=self.nats.url, host=self.settings.host,
                               gateway_port=self.settings.gateway_port,
                               adapter_ports={name: self.settings.adapter_port(name) for name in jurisdictions.names()},
                               pids=pids, metrics_ports=self.metrics_ports()).write(self.state_file)

    def _remove_state(self) -> None:
        """Only our own: a second `jjj up` that failed to start must not hide the running one."""
        try:
            if FederationState.load(self.state_file).pids.get("supervisor") == os.getpid():
                self.state_file.unlink(missing_ok=True)
        except JjjError:
            pass

    def _restart_dead(self, env: dict[str, str]) -> int:
        restarted = 0
        for child in self.children:
            if child.alive() or self.stopping:
                continue
            self._before_restart(child.role, child.process.returncode, child.restarts)
            child.start(env, self.layout)
            restarted += 1
        return restarted

    def _restart_nats_if_dead(self) -> int:
        """nats-server again on its port, configuration and store; poll() has reaped the one that died."""
        restarted = 0
        while not self.stopping and self.nats.process.poll() is not None:
            self._before_restart(NATS, self.nats.process.returncode, self.nats_restarts)
            try:
                self.nats = natsserver.start(self.nats.store_dir.parent, self.layout, host=self.nats.host,
                                             port=self.nats.port, store_key=self.store_key,
                                             monitor_port=self.settings.console.nats_monitor_port)
                restarted += 1
            except natsserver.NatsServerError as error:  # counts as one more death: the loop tries again or gives up
                log.error("process_restart_failed", role=NATS, error=str(error))
        return restarted

    def _before_restart(self, role: str, exit_code: int, restarts: list[float]) -> None:
        """Says so, records the restart and waits its back-off; raises when `role` keeps dying."""
        now = time.monotonic()
        restarts[:] = self.policy.recent(restarts, now)
        if not self.policy.allows(restarts, now):
            raise StartupError(f"{role} keeps dying (exit {exit_code}); giving up")
        restarts.append(now)
        count = len(restarts)
        log.warning("process_restarting", role=role, exit_code=exit_code, restart=count,
                    within_seconds=self.policy.window_seconds)
        print(f"jjj up: {role} exited with {exit_code}; restarting ({count}/{self.policy.limit})",
              file=sys.stderr, flush=True)
        time.sleep(self.policy.backoff_seconds(count))

    def shutdown(self) -> None:
        self._remove_state()
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
        for child in self.children:
            child.drain(max(0.1, deadline - time.monotonic()))
        if self.nats is not None:
            self.nats.stop()
        log.info("federation_stopped")
        print("jjj up: stopped", file=sys.stderr, flush=True)


def up(settings: Settings, *, simulate: bool = False) -> int:
    return Supervisor(settings, simulate=simulate).run()
