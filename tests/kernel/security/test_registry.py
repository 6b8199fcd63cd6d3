"""The member-system registry: registration, revocation, audit, and readers seeing changes at once."""

from __future__ import annotations

import json

import pytest

from kernel.security import pki, registry


@pytest.fixture(scope="module")
def ca():
    return pki.new_ca()


def member_certificate(ca, name: str):
    return pki.issue(ca, pki.Principal(name, "member-system")).certificate


def test_register_then_revoke_is_kept_and_audited(tmp_path, ca):
    path, audit = tmp_path / "registry.yaml", tmp_path / "audit.jsonl"
    certificate = member_certificate(ca, "bj-12345-hotline")
    view = registry.RegistryView(path)
    digest = pki.fingerprint(certificate)
    assert view.lookup(digest) is None

    system = registry.register(path, certificate, jurisdiction="beijing", by="wang.operator", audit_file=audit)
    assert (system.name, system.jurisdiction, system.subject, system.active) == (
        "bj-12345-hotline", "beijing", "CN=bj-12345-hotline,OU=member-system,O=jjj-exchange", True)
    assert view.lookup(digest) == system

    revoked = registry.revoke(path, digest.upper(), by="li.security", reason="key on a lost laptop", audit_file=audit)
    assert not revoked.active and revoked.revoked_by == "li.security" and revoked.revocation_reason == "key on a lost laptop"
    assert view.lookup(digest) == revoked  # seen without reopening: the file changed
    assert registry.load(path) == [revoked]

    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["status"], r["sender"], r["digest"], r["step"], r["seq"]) for r in lines] == [
        ("register", "wang.operator", digest, "", 1), ("revoke", "li.security", digest, "key on a lost laptop", 2)]
    assert registry.verify_registry_audit(audit).records == 2


def test_a_changed_or_removed_registry_audit_line_is_found_and_named(tmp_path, ca):
    from kernel import audit as chain

    path, audit = tmp_path / "registry.yaml", tmp_path / "audit.jsonl"
    for name in ("a", "b", "c"):
        registry.register(path, member_certificate(ca, f"member-{name}"), jurisdiction="hebei", by="ops", audit_file=audit,
                          name=name)
    lines = audit.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["sender"] = "someone.else"  # who registered b, rewritten afterwards
    audit.write_text("\n".join([lines[0], json.dumps(forged, ensure_ascii=False), lines[2]]) + "\n")
    found = registry.verify_registry_audit(audit)
    assert isinstance(found, chain.Finding) and (found.seq, found.problem) == (2, "changed")
    audit.write_text("\n".join([lines[0], lines[2]]) + "\n")
    found = registry.verify_registry_audit(audit)
    assert isinstance(found, chain.Finding) and (found.seq, found.problem) == (2, "removed")


def test_a_revoked_certificate_stays_revoked(tmp_path, ca):
    path, audit = tmp_path / "registry.yaml", tmp_path / "audit.jsonl"
    certificate = member_certificate(ca, "tj-system")
    registry.register(path, certificate, jurisdiction="tianjin", by="ops", audit_file=audit)
    registry.revoke(path, pki.fingerprint(certificate), by="ops", reason="retired", audit_file=audit)
    with pytest.raises(registry.RegistryError, match="revoked"):
        registry.register(path, certificate, jurisdiction="tianjin", by="ops", audit_file=audit)
    with pytest.raises(registry.RegistryError, match="already revoked"):
        registry.revoke(path, pki.fingerprint(certificate), by="ops", reason="again", audit_file=audit)


@pytest.mark.parametrize("change", [
    lambda path, audit, cert: registry.register(path, cert, jurisdiction="shanghai", by="ops", audit_file=audit),
    lambda path, audit, cert: registry.register(path, cert, jurisdiction="hebei", by=" ", audit_file=audit),
    lambda path, audit, cert: registry.revoke(path, pki.fingerprint(cert), by="ops", reason="", audit_file=audit),
    lambda path, audit, cert: registry.revoke(path, "00" * 32, by="ops", reason="unknown", audit_file=audit),
])
def test_incomplete_or_unknown_changes_are_refused_and_not_audited(tmp_path, ca, change):
    path, audit = tmp_path / "registry.yaml", tmp_path / "audit.jsonl"
    certificate = member_certificate(ca, "he-system")
    registry.register(path, certificate, jurisdiction="hebei", by="ops", audit_file=audit)
    before = (path.read_text(), audit.read_text())
    with pytest.raises(ValueError):
        change(path, audit, certificate)
    assert (path.read_text(), audit.read_text()) == before
