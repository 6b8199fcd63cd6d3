"""The member-system registry (系统备案): which systems may call which adapter, by certificate.

A YAML file (default <pki_dir>/registry.yaml; `jjj certs init` writes it with the
development member systems, `jjj certs register|revoke|list` manage it). Each
entry names a system by the SHA-256 fingerprint of its client certificate (and its
subject, for people), the jurisdiction whose adapter it may call, who registered
it and when, and, once revoked, when, by whom and why. Entries are never deleted:
a revoked certificate stays revoked; a system gets a new certificate and a new
registration. Adapters re-read the file when it changes, so a revocation takes
effect at the next call. Every change is audited through `audit_registry_change`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from cryptography import x509

from kernel import audit, jurisdictions
from kernel.security.pki import common_name, fingerprint, normalise_fingerprint, subject_string
from kernel.errors import ConfigurationError

HEADER = """\
# Member systems allowed to call the federation's adapters (系统备案), by client certificate.
# Managed with `jjj certs register|revoke|list`; every change is audited. Entries are never
# removed: a revoked certificate stays revoked.
"""


class RegistryError(ConfigurationError):
    pass


@dataclass(frozen=True, slots=True)
class MemberSystem:
    name: str
    jurisdiction: str  # the adapter it may call; the gateway admits every active system
    subject: str
    sha256: str
    registered_at: str
    registered_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def load(path: Path) -> list[MemberSystem]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fields = {f.name for f in dataclasses.fields(MemberSystem)}
    return [MemberSystem(**{k: v for k, v in row.items() if k in fields}) for row in data.get("systems") or []]


def save(path: Path, systems: list[MemberSystem]) -> None:
    """Written whole to a temporary file and renamed: a reader never sees half a registry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"systems": [dataclasses.asdict(s) for s in systems]}, allow_unicode=True, sort_keys=False)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(HEADER + body, encoding="utf-8")
    os.replace(temporary, path)


def audit_registry_change(audit_file: Path, *, action: str, system: MemberSystem, by: str, reason: str | None = None) -> None:
    """The one place a registry change is audited: appended to a hash chain of its own (kernel.audit),
    one JSON record per line, so that a changed, removed or reordered line is found (`jjj certs audit`)."""
    audit_file.parent.mkdir(parents=True, exist_ok=True)
    records = read_registry_audit(audit_file)
    entry = audit.AuditEntry(at=_now(), kind="member_registry", envelope_id=system.name, case_id="", sender=by,
                             destination=system.jurisdiction, status=action, step=reason or "", digest=system.sha256,
                             key_id=system.subject)
    record = audit.append(records[-1] if records else None, entry)
    with audit_file.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n")


def read_registry_audit(audit_file: Path) -> list[audit.AuditRecord]:
    if not audit_file.exists():
        return []
    lines = [line for line in audit_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    try:
        return [audit.AuditRecord(**json.loads(line)) for line in lines]
    except (TypeError, ValueError) as error:
        raise RegistryError(f"{audit_file}: not a registry audit log ({error})") from None


def verify_registry_audit(audit_file: Path) -> audit.Verified | audit.Finding:
    """Who registered or revoked which system, and whether the record of it is intact."""
    return audit.verify(read_registry_audit(audit_file))


def register(path: Path, certificate: x509.Certificate, *, jurisdiction: str, by: str, audit_file: Path,
             name: str | None = None) -> MemberSystem:
    member = jurisdictions.by_name(jurisdiction)
    if not by.strip():
        raise RegistryError("who registers the system must be said (--by)")
    systems = load(path)
    digest = fingerprint(certificate)
    for existing in systems:
        if existing.sha256 == digest:
            state = "revoked" if not existing.active else f"registered for {existing.jurisdiction}"
            raise RegistryError(f"certificate {digest} is already {state} ({existing.name}); a revoked certificate"
                                " stays revoked: issue a new one")
    system = MemberSystem(name=name or common_name(certificate), jurisdiction=member.name,
                          subject=subject_string(certificate), sha256=digest, registered_at=_now(), registered_by=by)
    save(path, [*systems, system])
    audit_registry_change(audit_file, action="register", system=system, by=by)
    return system


def revoke(path: Path, fingerprint_text: str, *, by: str, reason: str, audit_file: Path) -> MemberSystem:
    digest = normalise_fingerprint(fingerprint_text)
    if not by.strip() or not reason.strip():
        raise RegistryError("a revocation says who revokes (--by) and why (--reason)")
    systems = load(path)
    for index, existing in enumerate(systems):
        if existing.sha256 != digest:
            continue
        if not existing.active:
            raise RegistryError(f"{existing.name} ({digest}) was already revoked at {existing.revoked_at}")
        revoked = dataclasses.replace(existing, revoked_at=_now(), revoked_by=by, revocation_reason=reason)
        systems[index] = revoked
        save(path, systems)
        audit_registry_change(audit_file, action="revoke", system=revoked, by=by, reason=reason)
        return revoked
    raise RegistryError(f"no registered system has the certificate {digest}")


class RegistryView:
    """The registry as callers see it now: re-read whenever the file changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._by_fingerprint: dict[str, MemberSystem] = {}

    def _current(self) -> dict[str, MemberSystem]:
        try:
            stat = self.path.stat()
            # save() renames a new file into place, so the inode changes with every write.
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        if stamp != self._stamp:
            self._by_fingerprint = {s.sha256: s for s in load(self.path)}
            self._stamp = stamp
        return self._by_fingerprint

    def lookup(self, digest: str) -> MemberSystem | None:
        return self._current().get(digest)
