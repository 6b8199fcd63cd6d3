"""`jjj config nats`: the production topology's server configs and stream definitions, as generated."""

from __future__ import annotations

import json
import os
import subprocess

from cli import natsserver, topology
from cli.main import main
from kernel import jurisdictions
from kernel.bus import subjects


def generated(tmp_path, pki_layout, monkeypatch, *extra: str) -> int:
    monkeypatch.setenv("JJJ_TLS__PKI_DIR", str(pki_layout.root))
    monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path / "var"))
    return main(["config", "nats", "--output", str(tmp_path / "out"), *extra])


def test_production_configs_name_each_domain_link_to_the_hub_and_keep_the_store_key_out(tmp_path, pki_layout, monkeypatch):
    monkeypatch.setenv("JJJ_NATS_SERVER__SYNC_INTERVAL", "always")
    assert generated(tmp_path, pki_layout, monkeypatch, "--hub-url", "tls://hub.jjj.test:7422",
                     "--leaf-user", "CN=nats-beijing,OU=bus,O=jjj", "--leaf-user", "CN=nats-hebei,OU=bus,O=jjj") == 0
    out = tmp_path / "out"
    hub, beijing = (out / "hub.conf").read_text(), (out / "beijing.conf").read_text()
    assert '"domain": "hub"' in hub and '"domain": "beijing"' in beijing
    assert '"key": $JJJ_BUS_STORE_KEY' in hub and '"key": $JJJ_BUS_STORE_KEY' in beijing
    assert '"sync_interval": "always"' in beijing
    assert '"tls://hub.jjj.test:7422"' in beijing and '"remotes"' not in hub
    assert '"/etc/jjj/pki/nats-server.crt"' in beijing and str(pki_layout.root) not in beijing
    assert '"verify_and_map": true' in hub
    assert '"user": "CN=nats-beijing,OU=bus,O=jjj"' in hub and '"user": "CN=nats-hebei,OU=bus,O=jjj"' in hub
    assert oct((out / "hub.conf").stat().st_mode & 0o777) == "0o600"


def test_every_generated_config_is_one_nats_server_accepts(tmp_path, pki_layout, monkeypatch):
    assert generated(tmp_path, pki_layout, monkeypatch, "--loopback", "--base-port", "24100") == 0
    for domain in ("hub", "beijing", "tianjin", "hebei"):
        checked = subprocess.run([natsserver.binary(), "-t", "--config", str(tmp_path / "out" / f"{domain}.conf")],
                                 capture_output=True, text=True, timeout=30, env={**os.environ})
        assert checked.returncode == 0, checked.stderr + checked.stdout


def test_the_hub_sources_each_jurisdictions_own_sends_and_each_jurisdiction_what_is_addressed_to_it(tmp_path, pki_layout,
                                                                                                   monkeypatch):
    assert generated(tmp_path, pki_layout, monkeypatch) == 0
    hub = json.loads((tmp_path / "out/streams/hub/JJJ_REFERRALS.json").read_text())
    assert hub["subjects"] == ["jjj.referral.*.fed"]
    assert {(s["filter_subject"], s["external"]["api"]) for s in hub["sources"]} == {
        ("jjj.referral.*.bj", "$JS.beijing.API"), ("jjj.referral.*.tj", "$JS.tianjin.API"),
        ("jjj.referral.*.he", "$JS.hebei.API")}
    hebei = json.loads((tmp_path / "out/streams/hebei/JJJ_REFERRALS.json").read_text())
    assert hebei["subjects"] == ["jjj.referral.*.he"]
    assert [(s["filter_subject"], s["external"]["api"]) for s in hebei["sources"]] == [("jjj.referral.he.*", "$JS.hub.API")]
    buckets = json.loads((tmp_path / "out/streams/hebei/buckets.json").read_text())
    assert [bucket["bucket"] for bucket in buckets] == [bucket for bucket, _ttl in topology.bucket_definitions()["hebei"]]


def test_no_subject_is_taken_by_two_domains_and_no_source_takes_back_what_it_gave():
    definitions = topology.stream_definitions(duplicate_window=60)
    for stream in {config.name for streams in definitions.values() for config in streams}:
        taken = [subject for domain in definitions for config in definitions[domain] if config.name == stream
                 for subject in config.subjects or []]
        assert len(taken) == len(set(taken)), taken
    own = {(domain, config.name): set(config.subjects or []) for domain, streams in definitions.items() for config in streams}
    for member in jurisdictions.members():
        for config in definitions[member.name]:
            # What a jurisdiction takes from the hub is addressed to it, never what it sent itself.
            for source in config.sources or []:
                assert source.external.api == "$JS.hub.API"
                assert source.filter_subject.split(".")[2:] == [member.token, "*"]
            if config.sources:  # a flow: it takes what its own adapter sends (sender last)
                assert all(subject.split(".")[3] == member.token for subject in config.subjects)
    for config in definitions[topology.HUB]:
        for source in config.sources or []:
            # The hub takes from a jurisdiction exactly what that jurisdiction took from its own adapter.
            domain = source.external.api.split(".")[1]
            assert source.filter_subject in own[(domain, config.name)]


def test_each_jurisdiction_keeps_its_own_buckets():
    buckets = topology.bucket_definitions()
    assert buckets[topology.HUB] == []
    for member in jurisdictions.members():
        assert [bucket for bucket, _ttl in buckets[member.name]] == [subjects.cases_bucket(member),
                                                                      subjects.requests_bucket(member)]
