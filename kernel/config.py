"""Settings from JJJ_* environment variables and an optional TOML file.

The defaults serve `make up` on one machine: everything on loopback, JetStream
storing under var/ in the project. JJJ_CONFIG names a TOML file (default
./jjj.toml when present); environment variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class AdapterPorts(BaseModel):
    beijing: int = 50061
    tianjin: int = 50062
    hebei: int = 50063

    def for_member(self, name: str) -> int:
        return getattr(self, name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JJJ_", env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    nats_url: str = "nats://127.0.0.1:4222"
    # Where `jjj up` keeps the embedded nats-server's JetStream store and the gateway's projection.
    data_dir: Path = PROJECT_ROOT / "var"
    gateway_port: int = 50060
    adapter_ports: AdapterPorts = Field(default_factory=AdapterPorts)
    # "auto": JSON off a TTY, readable on one; or "json" / "console".
    log_format: str = "auto"
    log_level: str = "info"
    # JetStream's duplicate window: a resend within it is dropped by Nats-Msg-Id.
    duplicate_window_seconds: float = 7 * 24 * 3600
    # How long a member may hold an inbox item before JetStream redelivers it.
    ack_wait_seconds: float = 30.0
    # How often the gateway's deadline watcher looks for reminders and overdue cases.
    deadline_poll_seconds: float = 30.0
    # Where rejected documents are kept for an operator.
    quarantine_dir: Path | None = None
    # The federation's shared key for requester keys and content sketches (HMAC).
    # The default only suits a local federation: every deployment sets its own.
    share_secret: SecretStr = SecretStr("jjj-local-development-only")

    @property
    def nats_port(self) -> int:
        return int(self.nats_url.rsplit(":", 1)[1])

    def resolved_quarantine_dir(self) -> Path:
        return self.quarantine_dir or self.data_dir / "quarantine"

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
