"""Settings: defaults for `make up`, a TOML file, JJJ_* variables winning over it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kernel.config import Settings


def test_defaults_serve_the_local_federation(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.nats_url == "tls://127.0.0.1:4222" and settings.host == "127.0.0.1"
    assert settings.adapter_ports == {"beijing": 50061, "tianjin": 50062, "hebei": 50063}
    assert settings.adapter_port("hebei") == 50063


def test_toml_file_then_environment(monkeypatch, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('gateway_port = 6000\nlog_format = "json"\n[adapter_ports]\nbeijing = 6001\n'
                      '[inbox]\nfetch_batch = 8\n[tracker]\nmax_deliver = 5\n', encoding="utf-8")
    monkeypatch.setenv("JJJ_CONFIG", str(config))
    monkeypatch.setenv("JJJ_LOG_FORMAT", "console")
    monkeypatch.setenv("JJJ_ADAPTER_PORTS__HEBEI", "6003")
    monkeypatch.setenv("JJJ_TRACKER__ACK_WAIT_SECONDS", "12.5")
    settings = Settings()
    assert settings.gateway_port == 6000 and settings.log_format == "console"
    assert settings.adapter_ports == {"beijing": 6001, "tianjin": 50062, "hebei": 6003}
    assert settings.inbox.fetch_batch == 8 and settings.inbox.window == 64
    assert (settings.tracker.max_deliver, settings.tracker.ack_wait_seconds) == (5, 12.5)


def test_an_adapter_port_for_no_member_is_refused_by_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="adapter_ports names no member: shanghai; members are beijing, tianjin, hebei"):
        Settings(adapter_ports={"shanghai": 6100})


def test_two_adapters_on_one_port_are_refused(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="beijing and tianjin both use port 50061"):
        Settings(adapter_ports={"tianjin": 50061})
    with pytest.raises(ValidationError, match="not a TCP port"):
        Settings(adapter_ports={"hebei": 70000})


@pytest.mark.parametrize("setting", [{"ack_wait_seconds": 0}, {"inbox": {"fetch_batch": 0}}, {"tracker": {"max_deliver": 0}}])
def test_limits_that_would_stall_delivery_are_refused(monkeypatch, tmp_path, setting):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError):
        Settings(**setting)


async def test_the_adapter_uses_the_configured_limits(federation, settings):
    """The inbox and tracker consumers are created with the configured values, not literals."""
    from kernel.bus import subjects
    from kernel.jurisdictions import by_name
    from jjj.adapter.v1 import adapter_pb2
    from jjj.bus.v1 import envelope_pb2
    from tests.support.relay import eventually

    federation.settings = settings.model_copy(update={
        "inbox": settings.inbox.model_copy(update={"max_ack_pending": 77}),
        "tracker": settings.tracker.model_copy(update={"max_deliver": 7, "ack_wait_seconds": 11.0}),
    })
    await federation.start("hebei")
    js = federation.running["hebei"].relay.js
    flow, token = envelope_pb2.FLOW_REFERRAL, by_name("hebei").token

    def consumer(purpose: str):
        async def probe():  # consumers are created by background tasks: wait for them
            try:
                return await js.consumer_info("JJJ_REFERRALS", subjects.durable_name(purpose, token, flow))
            except Exception:
                return None
        return eventually(probe)

    tracker = await consumer("state")
    assert (tracker.config.max_deliver, tracker.config.ack_wait) == (7, 11.0)
    call = federation.stub("hebei").OpenInbox(adapter_pb2.OpenInboxRequest(flows=[flow]))
    try:
        inbox = await consumer("inbox")
        assert (inbox.config.max_ack_pending, inbox.config.ack_wait) == (77, settings.ack_wait_seconds)
    finally:
        call.cancel()


def test_certificates_default_to_the_pki_directory_and_explicit_paths_win(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path / "var"))
    defaults = Settings().tls_files("adapter-hebei")
    pki = tmp_path / "var" / "pki"
    assert (defaults.ca_file, defaults.cert_file, defaults.key_file) == (
        pki / "ca.crt", pki / "adapter-hebei.crt", pki / "adapter-hebei.key")
    assert Settings().registry_file() == pki / "registry.yaml"
    monkeypatch.setenv("JJJ_TLS__CA_FILE", "/etc/jjj/ca.pem")
    monkeypatch.setenv("JJJ_TLS__CERT_FILE", "/etc/jjj/hebei.pem")
    monkeypatch.setenv("JJJ_TLS__KEY_FILE", "/etc/jjj/hebei.key")
    monkeypatch.setenv("JJJ_TLS__EXPIRY_WARNING_DAYS", "45")
    settings = Settings()
    explicit = settings.tls_files("adapter-hebei")
    assert (str(explicit.ca_file), str(explicit.cert_file), str(explicit.key_file)) == (
        "/etc/jjj/ca.pem", "/etc/jjj/hebei.pem", "/etc/jjj/hebei.key")
    assert settings.tls.expiry_warning_days == 45
