"""Settings: defaults for `make up`, a TOML file, JJJ_* variables winning over it."""

from __future__ import annotations

from kernel.config import Settings


def test_defaults_serve_the_local_federation(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.nats_url == "nats://127.0.0.1:4222" and settings.host == "127.0.0.1"
    assert settings.adapter_ports.for_member("hebei") == 50063


def test_toml_file_then_environment(monkeypatch, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('gateway_port = 6000\nlog_format = "json"\n[adapter_ports]\nbeijing = 6001\n', encoding="utf-8")
    monkeypatch.setenv("JJJ_CONFIG", str(config))
    monkeypatch.setenv("JJJ_LOG_FORMAT", "console")
    settings = Settings()
    assert settings.gateway_port == 6000 and settings.adapter_ports.beijing == 6001
    assert settings.log_format == "console"
