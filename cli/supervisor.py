"""`jjj up`: the local federation on its embedded default, supervised.

Makes a development PKI under the data directory when there is none (`jjj certs
init`), starts nats-server (TLS, one user per certificate, JetStream under the data
directory), provisions the streams and buckets as the operator principal, then the
gateway and the three adapters, each its own process with its own certificate;
prints where each listens and where the member systems' certificates are, and writes
it to <data_dir>/federation.json (harness.state; removed on stop); restarts
a process that dies, nats-server included (on its port, configuration and store; the
others reconnect to it by themselves; the streams and buckets are provisioned again,
so a node that lost its store comes back with them), after a capped exponential
back-off, at most MAX_RESTARTS times within RESTART_WINDOW_SECONDS (cli/restarts.py).
A process that keeps dying is backed off until the window has room and then tried
again, said loudly (log, stderr, and <data_dir>/up-status.json), while every other
process keeps running. `--cluster N` runs N nats-server nodes as a JetStream cluster on
loopback (cli/busnodes.py) with streams and buckets replicated N times. On SIGINT or
SIGTERM it stops everything it started, adapters first and the bus last, leaving no
process behind (children also get SIGTERM if the supervisor itself dies: see
natsserver.dying_with_parent).

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
import nats.errors
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli import busnodes, certs, console, metrics_ports, natsserver
from cli.restarts import RestartPolicy, Restarts
from harness.state import FederationState
from kernel import jurisdictions, logs
from kernel.config import Settings
from kernel.security import pki
from kernel.security.tls import grpc_channel_credentials
from kernel.bus import jetstream
from kernel.errors import BusError, BusUnavailable, JjjError, StartupError
from kernel.security.keys import init_keys

# `jjj up --simulate`: cases per second the simulated members submit (a light load a newcomer can follow).
SIMULATION_RATE = "0.2"
# Read when `jjj up` starts (tests lower them): at most this many restarts of one process within the window.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
STATUS_FILE = "up-status.json"
# Between two attempts at provisioning a bus that came back but does not answer yet.
PROVISION_RETRY_SECONDS = 2.0

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
    restarts: Restarts = field(default_factory=Restarts)
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

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.returncode

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid


@dataclass
class Supervisor:
    settings: Settings
    cluster_size: int = 1
    children: list[Child] = field(default_factory=list)
    bus: list[busnodes.BusNode] = field(default_factory=list)
    layout: pki.PkiLayout | None = None
    stopping: bool = False
    policy: RestartPolicy = field(default_factory=lambda: RestartPolicy(MAX_RESTARTS, RESTART_WINDOW_SECONDS))
    store_key: str | None = None
    provision_at: float | None = None  # set while the bus must be provisioned (again)
    first_password: str | None = None
    # `jjj up --simulate` (`make up`): a light `jjj sim` as one more supervised child, started once all serve
    simulate: bool = False

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    @property
    def nats_url(self) -> str:
        return ",".join(node.url for node in self.bus)

    @property
    def replicas(self) -> int:
        return len(self.bus)

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
            self.bus = busnodes.plan(self.settings, self.cluster_size)
            for node in self.bus:
                self._start_node(node)
            self._provision(patience=60.0)
            self.first_password = console.first_operator(self.settings) if self.settings.console.enabled else None
            # The children write to pipes: they render as our own stdout would have them render.
            env = {**os.environ, "JJJ_NATS_URL": self.nats_url, "JJJ_DATA_DIR": str(self.settings.data_dir),
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
            self._write_status()
            if not self.stopping:
                self._write_state()
                self._print_banner()
            if self.simulate and not self.stopping:
                self._start_simulation(cli, env)
            while not self.stopping:
                for node in self.bus:
                    self._supervise(node.name, node.restarts, node.alive(), node.exit_code,
                                    lambda node=node: self._start_node(node, again=True))
                for child in self.children:
                    self._supervise(child.role, child.restarts, child.alive(), child.exit_code,
                                    lambda child=child: child.start(env, self.layout))
                if self.provision_at is not None and time.monotonic() >= self.provision_at:
                    self._provision(patience=0.0)
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

    def _start_node(self, node: busnodes.BusNode, *, again: bool = False) -> None:
        # The console reads the first node's monitoring endpoints (/healthz, /jsz); one port cannot serve two nodes.
        monitor_port = self.settings.console.nats_monitor_port if node is self.bus[0] else 0
        node.start(self.layout, store_key=self.store_key, sync_interval=self.settings.nats_server.sync_interval,
                   monitor_port=monitor_port)
        if again:  # its store may be gone (a new disk, a restore): declare what is missing
            self.provision_at = time.monotonic()

    def _provision(self, *, patience: float) -> None:
        """Streams and buckets on the bus, idempotently; retried later (or within `patience`) while it does not answer."""
        deadline = time.monotonic() + patience
        while True:
            try:
                declared = asyncio.run(certs.provision_bus(self.nats_url, certs.operator_files(self.layout),
                                                           duplicate_window=self.settings.duplicate_window_seconds,
                                                           replicas=self.replicas))
            except (BusError, nats.errors.Error, OSError, TimeoutError) as error:
                outage = isinstance(error, (BusUnavailable, OSError, *jetstream.OUTAGES))  # not answering (yet)
                if patience and not outage:
                    raise
                if time.monotonic() + PROVISION_RETRY_SECONDS > deadline:
                    if patience:
                        raise StartupError(f"the bus could not be provisioned within {patience:.0f}s: {error}") from error
                    (log.warning if outage else log.error)("bus_provisioning_failed", error=str(error),
                                                           retry_in_seconds=PROVISION_RETRY_SECONDS)
                    self.provision_at = time.monotonic() + PROVISION_RETRY_SECONDS
                    return
                time.sleep(PROVISION_RETRY_SECONDS)
                continue
            self.provision_at = None
            log.info("bus_provisioned", streams_and_buckets=len(declared), replicas=self.replicas)
            return

    def _wait_serving(self, child: Child, timeout: float = 60.0) -> None:
        address = f"{self.settings.host}:{child.port}"
        deadline = time.monotonic() + timeout
        with grpc.secure_channel(address, grpc_channel_credentials(certs.operator_files(self.layout))) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline and not self.stopping:
                if not child.alive():  # supervised from now on like any death: the others start regardless
                    log.error("process_failed_starting", role=child.role, exit_code=child.process.returncode)
                    print(f"jjj up: {child.role} exited with {child.process.returncode} while starting; "
                          "it is restarted with back-off, the others start", file=sys.stderr, flush=True)
                    return
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    time.sleep(0.1)
        if not self.stopping:
            raise StartupError(f"{child.role} not serving on {address} after {timeout}s")

    def _print_banner(self) -> None:
        store = ", ".join(str(node.server.store_dir) for node in self.bus)
        kind = f"a JetStream cluster of {len(self.bus)}, R{len(self.bus)}" if len(self.bus) > 1 else "JetStream"
        lines = ["jjj-exchange local federation is up:",
                 f"  nats      {self.nats_url}  (TLS, client certificates; {kind} store {store})"]
        for child in self.children:
            service = "jjj.gateway.v1.GatewayQueryService" if child.role == "gateway" else "jjj.adapter.v1.AdapterService"
            lines.append(f"  {child.role:<9} {self.settings.host}:{child.port}  {service}")
        lines.extend(metrics_ports.banner_lines(self.settings.host, self.metrics_ports()))
        lines.extend(console.banner_lines(self.settings, self.first_password))
        lines.extend(certs.member_system_lines(self.layout))
        lines.append(f"  state     {self.state_file}  (jjj status | submit | inbox | step | case read it)")
        lines.append(f"Process states: {self.settings.data_dir / STATUS_FILE}")
        lines.append("Ctrl-C stops everything.")
        print("\n".join(lines), file=sys.stderr, flush=True)
        log.info("federation_up", nats=self.nats_url,
                 **{child.role: f"{self.settings.host}:{child.port}" for child in self.children})

    def _supervise(self, role: str, restarts: Restarts, alive: bool, exit_code: int | None, start) -> None:
        """One look at one process: plan the restart of a dead one, or start it when its time has come."""
        if alive or self.stopping:
            return
        now = time.monotonic()
        if restarts.due_at is None:
            self._plan_restart(role, restarts, exit_code, now)
            return
        if now < restarts.due_at:
            return
        restarts.due_at = None
        restarts.at[:] = [*self.policy.recent(restarts.at, now), now]
        try:
            start()
        except (StartupError, OSError) as error:  # counts as one more death: planned again at the next look
            log.error("process_restart_failed", role=role, error=str(error))
            print(f"jjj up: {role} did not start again: {error}", file=sys.stderr, flush=True)
            return
        restarts.state = "running"
        self._write_status()
        self._write_state()
        log.info("process_restarted", role=role, restart=len(restarts.at))

    def _plan_restart(self, role: str, restarts: Restarts, exit_code: int | None, now: float) -> None:
        decision = self.policy.decide(restarts.at, now)
        restarts.due_at = now + decision.delay_seconds
        restarts.exit_code = exit_code
        window = self.policy.window_seconds
        restarts.state = "backing_off" if decision.backing_off else "restarting"
        # The status file first: whoever reads the announcement (an operator, a test) finds it already there.
        self._write_status()
        if decision.backing_off:
            log.error("process_backing_off", role=role, exit_code=exit_code, restarts=len(self.policy.recent(restarts.at, now)),
                      within_seconds=window, retry_in_seconds=round(decision.delay_seconds, 1))
            print(f"jjj up: {role} keeps dying (exit {exit_code}): {self.policy.limit} restarts within {window:.0f}s; "
                  f"backing off, next try in {decision.delay_seconds:.0f}s; the other processes keep running",
                  file=sys.stderr, flush=True)
        else:
            log.warning("process_restarting", role=role, exit_code=exit_code, restart=decision.restart_number,
                        within_seconds=window, in_seconds=decision.delay_seconds)
            print(f"jjj up: {role} exited with {exit_code}; restarting ({decision.restart_number}/{self.policy.limit})",
                  file=sys.stderr, flush=True)

    def metrics_ports(self) -> dict[str, int]:
        return {child.role: child.metrics_port for child in self.children if child.metrics_port}

    @property
    def state_file(self) -> Path:
        return FederationState.default_path(self.settings.data_dir)

    def _write_state(self) -> None:
        """Where everything listens, for `jjj status|submit|inbox...` and test harnesses (harness.state)."""
        pids = {"supervisor": os.getpid(), **{node.name: node.pid for node in self.bus if node.pid is not None},
                **{child.role: child.process.pid for child in self.children if child.process is not None}}
        FederationState.of_pki(self.layout, data_dir=self.settings.data_dir, nats_url=self.nats_url, host=self.settings.host,
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

    def _write_status(self) -> None:
        """Each process's state for an operator (and a monitoring probe): <data_dir>/up-status.json."""
        now = time.monotonic()
        processes = {}
        for role, restarts, pid, alive in ([(node.name, node.restarts, node.pid, node.alive()) for node in self.bus]
                                           + [(c.role, c.restarts, c.pid, c.alive()) for c in self.children]):
            processes[role] = {
                "state": "running" if alive else "stopped" if self.stopping else restarts.state,
                "pid": pid if alive else None,
                "restarts_in_window": len(self.policy.recent(restarts.at, now)),
                "last_exit_code": restarts.exit_code,
                "next_start_in_seconds": None if restarts.due_at is None else round(max(0.0, restarts.due_at - now), 1),
            }
        target = self.settings.data_dir / STATUS_FILE
        staged = target.with_suffix(".tmp")
        staged.write_text(json.dumps({"updated_at": time.time(), "window_seconds": self.policy.window_seconds,
                                      "processes": processes}, indent=2), encoding="utf-8")
        staged.replace(target)

    def shutdown(self) -> None:
        self.stopping = True
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
        for node in self.bus:
            node.stop()
        if self.children:
            self._write_status()
        log.info("federation_stopped")
        print("jjj up: stopped", file=sys.stderr, flush=True)


def up(settings: Settings, *, simulate: bool = False, cluster_size: int = 1) -> int:
    return Supervisor(settings, cluster_size=cluster_size, simulate=simulate).run()
