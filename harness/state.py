"""Where a running `jjj up` listens: the state file it writes once everything serves.

`jjj up` writes <data_dir>/federation.json atomically (a temporary file renamed over
it) after the gateway and every adapter answered SERVING, rewrites it when a process
is restarted (new pid), and removes it on stop. Everything an engineer's tool or a
test harness needs to reach the federation is in it: the nats URL, each adapter's and
the gateway's address, the CA and each principal's certificate and key, the pids.
A missing file means no federation is running there: `FederationNotRunning`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kernel import jurisdictions
from kernel.errors import JjjError
from kernel.security import pki
from kernel.security.tls import TlsFiles

STATE_FILE_NAME = "federation.json"
FORMAT_VERSION = 1


class FederationNotRunning(JjjError):
    """No state file where one was looked for, or the federation it names does not answer."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Identity:
    """One principal's certificate and key (the CA is the federation's, in FederationState)."""

    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class FederationState:
    data_dir: Path
    nats_url: str
    gateway: Endpoint
    adapters: dict[str, Endpoint]
    ca_file: Path
    # principal (operator, gateway, adapter-<j>, member-<j>) -> its files
    identities: dict[str, Identity]
    # role (supervisor, nats, gateway, <jurisdiction>) -> pid
    pids: dict[str, int] = field(default_factory=dict)
    # nats-server's HTTP monitoring endpoint, when it has one
    nats_monitor_url: str | None = None
    # role (gateway, <jurisdiction>) -> its Prometheus metrics endpoint (loopback, /metrics)
    metrics: dict[str, Endpoint] = field(default_factory=dict)
    path: Path | None = None

    # -- finding and reading ----------------------------------------------------------------

    @staticmethod
    def default_path(data_dir: Path | None = None) -> Path:
        """<data_dir>/federation.json, the data directory as `jjj up` resolves it (JJJ_DATA_DIR, jjj.toml, default)."""
        if data_dir is None:
            from kernel.config import Settings

            data_dir = Settings().data_dir
        return Path(data_dir) / STATE_FILE_NAME

    @classmethod
    def load(cls, path: Path | str | None = None) -> "FederationState":
        """The state of the federation running at `path` (default: `default_path()`)."""
        path = Path(path) if path is not None else cls.default_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FederationNotRunning(
                f"no federation running: {path} does not exist (start one with `jjj up`, or pass --state / set JJJ_DATA_DIR"
                " to where it runs)") from None
        try:
            return cls.from_dict(json.loads(text), path=path)
        except (ValueError, KeyError, TypeError) as error:
            raise FederationNotRunning(f"{path} is not a federation state file: {error}") from None

    @classmethod
    def from_dict(cls, raw: dict, *, path: Path | None = None) -> "FederationState":
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"state file version {raw.get('version')!r}, this jjj reads version {FORMAT_VERSION}")
        return cls(
            data_dir=Path(raw["data_dir"]),
            nats_url=raw["nats_url"],
            gateway=Endpoint(**raw["gateway"]),
            adapters={name: Endpoint(**endpoint) for name, endpoint in raw["adapters"].items()},
            ca_file=Path(raw["ca_file"]),
            identities={name: Identity(Path(files["cert_file"]), Path(files["key_file"]))
                        for name, files in raw["identities"].items()},
            pids={role: int(pid) for role, pid in raw.get("pids", {}).items()},
            nats_monitor_url=raw.get("nats_monitor_url"),
            metrics={role: Endpoint(**endpoint) for role, endpoint in raw.get("metrics", {}).items()},
            path=path,
        )

    def to_dict(self) -> dict:
        return {
            "version": FORMAT_VERSION,
            "data_dir": str(self.data_dir),
            "nats_url": self.nats_url,
            "nats_monitor_url": self.nats_monitor_url,
            "gateway": {"host": self.gateway.host, "port": self.gateway.port},
            "adapters": {name: {"host": e.host, "port": e.port} for name, e in self.adapters.items()},
            "ca_file": str(self.ca_file),
            "identities": {name: {"cert_file": str(i.cert_file), "key_file": str(i.key_file)}
                           for name, i in self.identities.items()},
            "pids": dict(self.pids),
            "metrics": {role: {"host": e.host, "port": e.port} for role, e in self.metrics.items()},
        }

    # -- writing (by `jjj up`) --------------------------------------------------------------

    def write(self, path: Path) -> None:
        """Atomically: a reader sees the old file, the new one, or none; never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump(self.to_dict(), out, indent=2)
                out.write("\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def of_pki(cls, layout: pki.PkiLayout, *, data_dir: Path, nats_url: str, host: str, gateway_port: int,
               adapter_ports: dict[str, int], pids: dict[str, int], nats_monitor_url: str | None = None,
               metrics_ports: dict[str, int] | None = None) -> "FederationState":
        """The state of a federation whose principals all live in one PKI directory (what `jjj up` makes)."""
        identities = {principal.name: Identity(layout.cert(principal.name), layout.key(principal.name))
                      for principal in pki.principals() if principal.client}
        return cls(data_dir=data_dir, nats_url=nats_url, gateway=Endpoint(host, gateway_port),
                   adapters={name: Endpoint(host, port) for name, port in adapter_ports.items()},
                   ca_file=layout.ca_cert, identities=identities, pids=pids, nats_monitor_url=nats_monitor_url,
                   metrics={role: Endpoint(host, port) for role, port in (metrics_ports or {}).items()})

    # -- what a client needs ----------------------------------------------------------------

    def adapter(self, jurisdiction: str) -> Endpoint:
        name = jurisdictions.by_name(jurisdiction).name  # UnknownJurisdiction names the members
        return self.adapters[name]

    def files_of(self, principal: str) -> TlsFiles:
        try:
            identity = self.identities[principal]
        except KeyError:
            raise FederationNotRunning(f"the federation's state names no certificate for {principal!r}") from None
        return TlsFiles(self.ca_file, identity.cert_file, identity.key_file)

    def member_files(self, jurisdiction: str) -> TlsFiles:
        """The member system's client certificate of `jurisdiction` (its adapter admits it)."""
        return self.files_of(pki.member_system_principal(jurisdictions.by_name(jurisdiction).name))

    def operator_files(self) -> TlsFiles:
        return self.files_of(pki.OPERATOR)
