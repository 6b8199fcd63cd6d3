"""The federation's key registry and the processes' private keys, as files.

The registry (`registry.json` in the keys directory) lists every public key the
federation accepts: its id, its owner (a member's name, or "federation" for the
gateway), and the time it is valid from and until. Rotation adds the new key and
ends the old one's validity after an overlap, so messages signed with either during
the overlap verify, and messages signed with the old one after it do not. Each
process holds only its own private key (`private/<owner>.pem`, mode 0600).

    registry.json: {"keys": [{"key_id": ..., "owner": "beijing", "public_key": <base64 raw>,
                              "valid_from": "2026-01-01T00:00:00Z", "valid_until": null}, ...]}
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kernel import jurisdictions
from kernel.errors import ConfigurationError
from kernel.security.signing import Signer, key_id, public_key_from_text, public_key_to_text

FEDERATION = "federation"
REGISTRY_FILE = "registry.json"
PRIVATE_DIR = "private"
DEFAULT_OVERLAP = timedelta(days=7)


def owners() -> list[str]:
    """Everyone who signs: each member's adapter, and the federation's gateway."""
    return [*jurisdictions.names(), FEDERATION]


class KeyFileError(ConfigurationError, RuntimeError):
    """A key file is missing or unreadable."""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    owner: str
    public_key: Ed25519PublicKey
    valid_from: datetime
    valid_until: datetime | None = None

    def valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    def to_json(self) -> dict:
        return {"key_id": self.key_id, "owner": self.owner, "public_key": public_key_to_text(self.public_key),
                "valid_from": _iso(self.valid_from), "valid_until": _iso(self.valid_until)}

    @classmethod
    def from_json(cls, data: dict) -> "KeyEntry":
        public_key = public_key_from_text(data["public_key"])
        entry = cls(key_id=data["key_id"], owner=data["owner"], public_key=public_key,
                    valid_from=_parse(data["valid_from"]), valid_until=_parse(data.get("valid_until")))
        if key_id(public_key) != entry.key_id:
            raise ValueError(f"registry entry {entry.key_id}: the key id is not the public key's fingerprint")
        return entry

    @classmethod
    def for_signer(cls, signer: Signer, valid_from: datetime, valid_until: datetime | None = None) -> "KeyEntry":
        return cls(signer.key_id, signer.owner, signer.public_key, valid_from, valid_until)


@dataclass(frozen=True)
class KeyRegistry:
    entries: tuple[KeyEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.key_id: entry for entry in self.entries})

    def get(self, wanted: str) -> KeyEntry | None:
        return self._by_id.get(wanted)  # type: ignore[attr-defined]

    def of(self, owner: str) -> list[KeyEntry]:
        return [entry for entry in self.entries if entry.owner == owner]

    def with_entries(self, entries: Iterable[KeyEntry]) -> "KeyRegistry":
        return KeyRegistry(tuple(entries))

    def rotated(self, signer: Signer, *, now: datetime, overlap: timedelta = DEFAULT_OVERLAP) -> "KeyRegistry":
        """The registry with `signer`'s key valid from now, and the owner's open keys ending after the overlap."""
        ends = now + overlap
        kept = [
            dataclasses.replace(entry, valid_until=ends)
            if entry.owner == signer.owner and (entry.valid_until is None or entry.valid_until > ends) else entry
            for entry in self.entries
        ]
        return KeyRegistry((*kept, KeyEntry.for_signer(signer, now)))

    def to_json(self) -> str:
        return json.dumps({"keys": [entry.to_json() for entry in self.entries]}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "KeyRegistry":
        return cls(tuple(KeyEntry.from_json(item) for item in json.loads(text)["keys"]))


class RegistryFile:
    """The registry as a file that other processes may rotate: re-read when it changed.

    A key id not yet known makes it look at once (a peer that rotated and restarted);
    otherwise the file is looked at no more than once a `recheck_seconds`.
    """

    def __init__(self, path: Path, *, recheck_seconds: float = 1.0) -> None:
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self.registry = KeyRegistry()
        self._reload(force=True)

    def _reload(self, *, force: bool = False) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise KeyFileError(f"no key registry at {self.path}: run `jjj keys init`") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        self._checked = time.monotonic()
        if force or stamp != self._stamp:
            self.registry = KeyRegistry.from_json(self.path.read_text())
            self._stamp = stamp

    def get(self, wanted: str) -> KeyEntry | None:
        entry = self.registry.get(wanted)
        if entry is None or time.monotonic() - self._checked > self.recheck_seconds:
            try:
                self._reload()
            except (OSError, ValueError, KeyFileError):
                pass  # a file being rewritten: keep what was read
            entry = self.registry.get(wanted)
        return entry


def registry_path(keys_dir: Path) -> Path:
    return keys_dir / REGISTRY_FILE


def private_key_path(keys_dir: Path, owner: str) -> Path:
    return keys_dir / PRIVATE_DIR / f"{owner}.pem"


def load_signer(path: Path, owner: str) -> Signer:
    try:
        return Signer.from_pem(owner, path.read_bytes())
    except FileNotFoundError:
        raise KeyFileError(f"no signing key for {owner} at {path}: run `jjj keys init`") from None


def _write_private(path: Path, signer: Signer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(signer.to_pem())
    os.replace(temporary, path)


def _write_registry(keys_dir: Path, registry: KeyRegistry) -> None:
    temporary = registry_path(keys_dir).with_suffix(".tmp")
    temporary.write_text(registry.to_json())
    os.replace(temporary, registry_path(keys_dir))


def init_keys(keys_dir: Path, *, now: datetime | None = None, only_missing: bool = True) -> list[str]:
    """A development key set: one key per owner, valid from now. Returns the owners given a new key.

    With only_missing, an owner that has a private key and a registry entry keeps them
    (so `jjj up` may call this at every start).
    """
    now = now or datetime.now(UTC)
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = registry_path(keys_dir)
    registry = KeyRegistry.from_json(path.read_text()) if path.is_file() else KeyRegistry()
    created = []
    for owner in owners():
        private = private_key_path(keys_dir, owner)
        if only_missing and private.is_file() and registry.get(load_signer(private, owner).key_id) is not None:
            continue
        signer = Signer.generate(owner)
        _write_private(private, signer)
        registry = registry.with_entries([*registry.entries, KeyEntry.for_signer(signer, now)])
        created.append(owner)
    if created or not path.is_file():
        _write_registry(keys_dir, registry)
    return created


def rotate_key(keys_dir: Path, owner: str, *, overlap: timedelta = DEFAULT_OVERLAP, now: datetime | None = None) -> Signer:
    """A new key for `owner`, replacing its private key file; its old keys stay valid for `overlap`."""
    if owner not in owners():
        raise ValueError(f"unknown key owner {owner!r}; one of {', '.join(owners())}")
    now = now or datetime.now(UTC)
    registry = KeyRegistry.from_json(registry_path(keys_dir).read_text())
    signer = Signer.generate(owner)
    _write_registry(keys_dir, registry.rotated(signer, now=now, overlap=overlap))
    _write_private(private_key_path(keys_dir, owner), signer)
    return signer
