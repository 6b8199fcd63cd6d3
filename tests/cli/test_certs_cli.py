"""`jjj certs init|register|revoke|list` as an operator uses them."""

from __future__ import annotations

import json

from cli.main import main
from kernel.security import pki, registry


def test_init_register_revoke_list(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path / "var"))
    assert main(["certs", "init"]) == 0
    layout = pki.PkiLayout(tmp_path / "var" / "pki")
    out = capsys.readouterr().out
    assert f"PKI in {layout.root}" in out and str(layout.cert("member-hebei")) in out
    assert main(["certs", "init"]) == 0 and "made nothing (all present)" in capsys.readouterr().out

    extra = pki.issue(pki.load_ca(layout), pki.Principal("bj-petition-system", "member-system"))
    certificate_file = tmp_path / "petition.crt"
    certificate_file.write_bytes(extra.cert_pem)
    assert main(["certs", "register", str(certificate_file), "--jurisdiction", "beijing", "--by", "zhao"]) == 0
    digest = pki.fingerprint(extra.certificate)
    assert f"registered bj-petition-system for beijing: sha256 {digest}" in capsys.readouterr().out
    assert main(["certs", "register", str(certificate_file), "--jurisdiction", "beijing", "--by", "zhao"]) == 1
    assert "already registered" in capsys.readouterr().err

    assert main(["certs", "revoke", digest, "--by", "qian", "--reason", "system retired"]) == 0
    assert main(["certs", "list"]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line[:1].isalnum()}
    assert "revoked" in listed[digest] and "by qian: system retired" in listed[digest]
    hebei = pki.fingerprint(pki.load_certificate(layout.cert("member-hebei")))
    assert listed[hebei].endswith("active")

    systems = registry.load(layout.registry)
    assert [s.name for s in systems] == ["member-beijing", "member-tianjin", "member-hebei", "bj-petition-system"]
    audit = [json.loads(line) for line in (tmp_path / "var" / "audit" / "member-registry.jsonl").read_text().splitlines()]
    assert [(r["status"], r["envelope_id"], r["sender"]) for r in audit[-2:]] == [
        ("register", "bj-petition-system", "zhao"), ("revoke", "bj-petition-system", "qian")]
    capsys.readouterr()
    assert main(["certs", "audit"]) == 0
    assert "chain intact" in capsys.readouterr().out


def test_init_into_a_given_directory(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path / "var"))
    assert main(["certs", "init", "--dir", str(tmp_path / "elsewhere")]) == 0
    layout = pki.PkiLayout(tmp_path / "elsewhere")
    assert layout.exists() and len(registry.load(layout.registry)) == 3
    assert not (tmp_path / "var" / "pki").exists()
