"""Settings from JJJ_* environment variables and an optional TOML file.

The defaults serve `make up` on one machine: everything on loopback, JetStream
storing under var/ in the project. JJJ_CONFIG names a TOML file (default
./jjj.toml when present); environment variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from kernel import jurisdictions
from kernel.heap import HeapSettings
from kernel.security.pki import PkiLayout
from kernel.security.tls import TlsFiles

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """var/ of the checkout when run from one (`make up`); else var/ in the current directory,
    never inside an installed package's site-packages."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    return Path.cwd() / "var"


FIRST_ADAPTER_PORT = 50061


def default_adapter_ports() -> dict[str, int]:
    """One port per member, from 50061 in the order of schemas/jurisdictions.yaml."""
    return {name: FIRST_ADAPTER_PORT + index for index, name in enumerate(jurisdictions.names())}


class InboxSettings(BaseModel):
    """How an adapter pulls a member's inbox from the bus."""

    # Messages fetched from a flow's consumer per request (never more than the window has room for).
    fetch_batch: int = Field(default=64, ge=1)
    # Items one inbox session holds at most, fetched or shown and not yet acknowledged: the rest wait on the bus.
    # 64 rather than 16: at volume a session of 16 showed ~5 items a message, each message costing a kept
    # transaction, a stream write and an acknowledgement call (docs/PERFORMANCE.md, twelfth pass).
    window: int = Field(default=64, ge=1)
    # Items that come within this long of the session's last message wait out the rest of it and go together
    # (one message, one kept transaction, one acknowledgement call for many). An idle inbox shows an item at once;
    # a member that asks for one item a message (items_per_message 0 or 1) gets each at once.
    gather_seconds: float = Field(default=0.005, ge=0, le=1.0)
    # Unacknowledged messages JetStream lets one inbox consumer have out at once.
    max_ack_pending: int = Field(default=1024, ge=1)
    # Deliveries by JetStream before a message the member never acknowledged is dead-lettered (the last is not shown);
    # above SecuritySettings.max_retries, so a step waiting for its referral is dead-lettered for that reason first.
    max_deliver: int = Field(default=10, ge=2)
    # A closed session's items wait this long for the member's next session, then go back to the bus (nak).
    handover_seconds: float = Field(default=2.0, ge=0)
    # ... and are handed to another session only after this long: an acknowledgement the member sent just
    # before its stream ended comes first (else the item is shown again right after the ack is answered).
    handover_grace_seconds: float = Field(default=1.0, ge=0)
    # What the member acknowledged is remembered this long (beyond JetStream's duplicate window).
    acknowledged_retention_days: float = Field(default=90.0, gt=0)
    acknowledged_prune_seconds: float = Field(default=3600.0, gt=0)


class TrackerSettings(BaseModel):
    """The adapter's state tracker: keeps its case records current while no member reads."""

    fetch_batch: int = Field(default=64, ge=1)
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    # A message the tracker cannot apply is retried this many times, then left to the inbox.
    max_deliver: int = Field(default=20, ge=1)


class OutboxSettings(BaseModel):
    """An adapter's durable outbox (adapters/service/outbox.py) and its relay to the bus."""

    # A submission waits for the bus to take its cases while the relay makes progress, and at most
    # this long; then (or at once when the bus is away or an entry still fails after the retries)
    # it is answered "queued".
    answer_wait_seconds: float = Field(default=120.0, ge=0)
    # Transient publish failures: attempts per entry, backoff (exponential with jitter) between them.
    publish_attempts: int = Field(default=3, ge=1)
    backoff_initial_seconds: float = Field(default=0.1, gt=0)
    backoff_max_seconds: float = Field(default=2.0, gt=0)
    # The relay looks again this often even without a wake-up (a missed reconnect, a failed round).
    poll_seconds: float = Field(default=2.0, gt=0)
    # SubmitDocument calls an adapter works on at once; the others wait their turn (adapters/service/turns.py).
    submissions_at_once: int = Field(default=32, ge=1)
    # Calls waiting for a turn beyond this are refused (RESOURCE_EXHAUSTED, ADAPTER_BUSY, retry in a second)
    # rather than held: each holds its gRPC call, request and span, and a member offering more than the
    # adapter carries would otherwise grow it up to gRPC's 10,000 pending calls (docs/PERFORMANCE.md, thirteenth pass).
    submissions_waiting_at_most: int = Field(default=512, ge=0)
    # Woken while other submissions are still on their way to their commit, the relay waits for them
    # up to this long, to send them in one batch (adapters/service/drainer.py); 0: never waits.
    relay_linger_seconds: float = Field(default=0.005, ge=0, le=1)


class IngestSettings(BaseModel):
    """IngestDocument (adapters/service/ingest.py): a streamed document's cases, in chunks on the bus, then sent."""

    # Cases per chunk on the bus: a case is 1-3 KB serialized, nats-server's max_payload is 1 MiB.
    chunk_cases: int = Field(default=200, ge=1, le=2000)
    # Chunks published and not yet acknowledged by the bus, per call: what bounds a call's memory.
    chunks_in_flight: int = Field(default=8, ge=1)
    # The sending of ingested cases waits while the outbox holds more than this many unsent entries, so
    # that a member's own SubmitDocument never queues behind a whole file (about a second of relay).
    send_backlog: int = Field(default=256, ge=1)
    # How long the bus waits for a chunk's acknowledgement before giving it to the sender again: what a
    # crashed adapter's chunk waits (a stop gives it back at once; a live sender keeps the chunk it is
    # sending in progress, however long the send).
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    # Rejections listed in the answer (all are counted, and each is kept in quarantine).
    listed_rejections: int = Field(default=1000, ge=0)


class TlsSettings(BaseModel):
    """Certificates by path. Unset paths default to the PKI directory `jjj certs init` writes
    (<pki_dir>/ca.crt, <pki_dir>/<principal>.crt and .key), which is what `jjj up` uses."""

    pki_dir: Path | None = None  # default <data_dir>/pki
    # The CA every certificate of the federation is checked against (server and client side).
    ca_file: Path | None = None
    # This process's own certificate and key: its gRPC server certificate and its identity on the bus.
    cert_file: Path | None = None
    key_file: Path | None = None
    # The member systems allowed to call each adapter (系统备案), and where changes to it are audited.
    registry_file: Path | None = None  # default <pki_dir>/registry.yaml
    registry_audit_file: Path | None = None  # default <data_dir>/audit/member-registry.jsonl
    # A certificate in use that expires within this window is reported (log warning, health).
    expiry_warning_days: float = Field(default=30.0, ge=0)
    expiry_check_seconds: float = Field(default=6 * 3600.0, gt=0)


class LimitSettings(BaseModel):
    """What one call may carry; refused with a clear error before anything reaches the bus."""

    # A submitted document's bytes; gRPC refuses a whole message larger than this plus a margin.
    max_document_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Cases (records, rows) in one SubmitDocument or ShareInformation document.
    max_cases_per_document: int = Field(default=5000, ge=1)
    # A case's content (the citizen's words), and any other text field of a case or a step.
    max_content_chars: int = Field(default=20_000, ge=100)
    max_field_chars: int = Field(default=2_000, ge=10)
    # One case on the bus, everything included; below nats-server's max_payload (1 MiB by default).
    max_case_bytes: int = Field(default=900 * 1024, ge=1024)

    @property
    def grpc_max_message_bytes(self) -> int:
        return self.max_document_bytes + 1024 * 1024
class SecuritySettings(BaseModel):
    """Signed messages: where the keys are, and how long a receiver waits for what a step needs."""

    # The key registry and private keys (`jjj keys init`); default <data_dir>/keys.
    keys_dir: Path | None = None
    # Registry file; default <keys_dir>/registry.json.
    registry: Path | None = None
    # Owner ("beijing", ..., "federation") -> private key file; default <keys_dir>/private/<owner>.pem.
    signing_keys: dict[str, Path] = Field(default_factory=dict)
    # A step whose referral (or previous step) was not seen yet is retried this many times
    # (delay doubling from retry_delay_seconds, at most 5 s), then dead-lettered.
    max_retries: int = Field(default=8, ge=1)
    retry_delay_seconds: float = Field(default=0.2, gt=0)


class AuditSettings(BaseModel):
    """The gateway's hash-chained audit log."""

    # Default <data_dir>/gateway/audit.sqlite3; anchors beside it (audit-anchors.jsonl).
    path: Path | None = None
    # The chain head is signed (an anchor) after this many new records, or this many seconds.
    anchor_every: int = Field(default=100, ge=1)
    anchor_seconds: float = Field(default=30.0, gt=0)


class ConsoleAlertSettings(BaseModel):
    """When the console raises an alert (shown on its pages and sent as a federation notice)."""

    # Messages waiting in one member's inbox (pending + unacknowledged), and the oldest one's age.
    inbox_pending: int = Field(default=100, ge=1)
    oldest_pending_seconds: float = Field(default=600.0, gt=0)
    # Open cases due within `deadline_wave_hours` (or overdue) across the federation.
    deadline_wave_cases: int = Field(default=20, ge=1)
    deadline_wave_hours: float = Field(default=24.0, gt=0)
    # Counted at most this often (a count over every open case; a wave builds over hours, not seconds).
    deadline_wave_recount_seconds: float = Field(default=30.0, ge=0)
    # Unhandled dead letters: any at all raises an alert at this count.
    dead_letters: int = Field(default=1, ge=1)
    # Certificates expiring within this many days (default: the TLS warning window).
    certificate_days: float | None = None
    # Federation notices for the same alert at most this often.
    notice_every_seconds: float = Field(default=3600.0, gt=0)


class ConsoleSettings(BaseModel):
    """The operators' monitoring console, served by the gateway (gateway/console)."""

    enabled: bool = True
    port: int = Field(default=50070, ge=0, lt=65536)
    # The embedded nats-server's HTTP monitoring port on loopback (/healthz, /jsz); 0: not enabled.
    nats_monitor_port: int = Field(default=8222, ge=0, lt=65536)
    users_file: Path | None = None  # default <data_dir>/console/users.sqlite3
    actions_file: Path | None = None  # default <data_dir>/console/actions.sqlite3 (hash-chained)
    session_seconds: float = Field(default=8 * 3600.0, gt=0)
    max_failed_logins: int = Field(default=5, ge=1)
    # Failed logins from one client address (any names) before it is locked for lockout_seconds too.
    max_failed_logins_per_address: int = Field(default=20, ge=1)
    lockout_seconds: float = Field(default=300.0, gt=0)
    # Set behind a TLS-terminating proxy: the session cookie is then sent over HTTPS only.
    secure_cookies: bool = False
    # A dead letter is redriven at most this many times (Jjj-Replay-Count), so a poison message cannot loop.
    max_replays: int = Field(default=3, ge=1)
    refresh_seconds: float = Field(default=2.0, gt=0)
    alerts: ConsoleAlertSettings = Field(default_factory=ConsoleAlertSettings)


class NatsServerSettings(BaseModel):
    """The nats-server `jjj up` runs (a deployment's own servers: `jjj config nats`, docs/TOPOLOGY.md)."""

    # JetStream's flush to disk: "default" (nats-server's, every 2 min), a duration ("1s", "100ms"),
    # or "always" (before each acknowledgement; its cost is measured in docs/RELIABILITY.md).
    sync_interval: str = Field(default="default", pattern=r"^(default|always|\d+(ms|s|m|h))$")
    # `jjj up --cluster N`: the nodes' client ports (default: nats_url's port and the next ones),
    # and their route ports (default: from 6222).
    cluster_ports: list[int] = Field(default_factory=list)
    route_ports: list[int] = Field(default_factory=list)


class ObservabilitySettings(BaseModel):
    """Prometheus metrics ports and trace export (kernel.observability)."""

    # This process's metrics port on loopback; 0: none. `jjj up` sets it for each child.
    metrics_port: int = Field(default=0, ge=0, lt=65536)
    # `jjj up`: the gateway on this port, the adapters on the next ones; 0: no metrics at all.
    metrics_port_base: int = Field(default=9460, ge=0, lt=65530)
    # `jjj up`: free loopback ports instead of the base and the next ones (tests, several federations on one machine).
    metrics_free_ports: bool = False
    # Role (gateway, <jurisdiction>) -> metrics port of every process: `jjj up` sets it; the console scrapes them.
    metrics_ports: dict[str, int] = Field(default_factory=dict)
    traces_enabled: bool = True
    # Each process's trace file is rotated at this size (one older file kept).
    traces_max_bytes: int = Field(default=8 * 1024 * 1024, ge=4096)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JJJ_", env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    # TLS always: the embedded nats-server refuses plaintext and connections without a client certificate.
    # Several servers (a cluster) separated by commas.
    nats_url: str = "tls://127.0.0.1:4222"
    nats_server: NatsServerSettings = Field(default_factory=NatsServerSettings)
    # Where `jjj up` keeps the embedded nats-server's JetStream store and the gateway's projection.
    data_dir: Path = Field(default_factory=default_data_dir)
    gateway_port: int = 50060
    # Member name -> port of its adapter; every member has one (defaults fill in what is not given).
    adapter_ports: dict[str, int] = Field(default_factory=default_adapter_ports)
    # "auto": JSON off a TTY, readable on one; or "json" / "console".
    log_format: str = "auto"
    log_level: str = "info"
    # JetStream's duplicate window: a resend within it is dropped by Nats-Msg-Id.
    duplicate_window_seconds: float = 7 * 24 * 3600
    # How long a member may hold an inbox item before JetStream redelivers it.
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    # How often the gateway's deadline watcher looks for reminders and overdue cases.
    deadline_poll_seconds: float = 30.0
    # Where rejected documents are kept for an operator.
    quarantine_dir: Path | None = None
    # The federation's shared key for requester keys and content sketches (HMAC).
    # The default only suits a local federation: every deployment sets its own.
    share_secret: SecretStr = SecretStr("jjj-local-development-only")
    # The key of the embedded bus's encryption at rest; unset, `jjj up` makes one beside the store.
    bus_store_key: SecretStr | None = None
    tls: TlsSettings = Field(default_factory=TlsSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    # How the gateway, the adapters and the console keep what they hold out of the collector's full passes (JJJ_HEAP__FREEZE_SECONDS=0: off).
    heap: HeapSettings = Field(default_factory=HeapSettings)

    @field_validator("adapter_ports")
    @classmethod
    def _one_port_per_member(cls, ports: dict[str, int]) -> dict[str, int]:
        members = jurisdictions.names()
        unknown = sorted(set(ports) - set(members))
        if unknown:
            raise ValueError(f"adapter_ports names no member: {', '.join(unknown)}; members are {', '.join(members)}")
        merged = {**default_adapter_ports(), **ports}
        taken: dict[int, str] = {}
        for name, port in merged.items():
            if not 0 < port < 65536:
                raise ValueError(f"adapter_ports.{name}: {port} is not a TCP port")
            if port in taken:
                raise ValueError(f"adapter_ports: {taken[port]} and {name} both use port {port}")
            taken[port] = name
        return merged

    def adapter_port(self, name: str) -> int:
        return self.adapter_ports[name]

    @property
    def nats_port(self) -> int:
        return int(self.nats_urls()[0].rsplit(":", 1)[1])

    def nats_urls(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def resolved_quarantine_dir(self) -> Path:
        return self.quarantine_dir or self.data_dir / "quarantine"

    def pki(self) -> PkiLayout:
        return PkiLayout(self.tls.pki_dir or self.data_dir / "pki")

    def tls_files(self, principal: str) -> TlsFiles:
        """The CA, certificate and key a process of `principal` uses (explicit paths win over the PKI directory)."""
        layout = self.pki()
        return TlsFiles(self.tls.ca_file or layout.ca_cert, self.tls.cert_file or layout.cert(principal),
                        self.tls.key_file or layout.key(principal))

    def registry_file(self) -> Path:
        return self.tls.registry_file or self.pki().registry

    def registry_audit_file(self) -> Path:
        return self.tls.registry_audit_file or self.data_dir / "audit" / "member-registry.jsonl"
    def keys_dir(self) -> Path:
        return self.security.keys_dir or self.data_dir / "keys"

    def key_registry_path(self) -> Path:
        return self.security.registry or self.keys_dir() / "registry.json"

    def signing_key_path(self, owner: str) -> Path:
        return self.security.signing_keys.get(owner) or self.keys_dir() / "private" / f"{owner}.pem"

    def console_users_path(self) -> Path:
        return self.console.users_file or self.data_dir / "console" / "users.sqlite3"

    def console_actions_path(self) -> Path:
        return self.console.actions_file or self.data_dir / "console" / "actions.sqlite3"

    def audit_path(self) -> Path:
        return self.audit.path or self.data_dir / "gateway" / "audit.sqlite3"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("JJJ_CONFIG", "jjj.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)
