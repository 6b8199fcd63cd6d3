"""The embedded nats-server's durability setting and cluster layout, as settings and as configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli import busnodes, natsserver
from kernel.config import Settings
from kernel.errors import StartupError


def config_of(pki_layout, tmp_path, **options) -> dict:
    return natsserver.server_config(pki_layout, host="127.0.0.1", port=4222, store_dir=tmp_path / "js",
                                    server_name="jjj-test", store_key="k" * 64, **options)


def test_sync_interval_comes_from_the_environment_and_is_written_into_the_server_config(monkeypatch, pki_layout, tmp_path):
    monkeypatch.setenv("JJJ_NATS_SERVER__SYNC_INTERVAL", "always")
    settings = Settings()
    assert settings.nats_server.sync_interval == "always"
    assert config_of(pki_layout, tmp_path, sync_interval="always")["jetstream"]["sync_interval"] == "always"
    assert config_of(pki_layout, tmp_path, sync_interval="10s")["jetstream"]["sync_interval"] == "10s"


def test_the_default_leaves_nats_servers_own_flush_interval(pki_layout, tmp_path):
    assert Settings().nats_server.sync_interval == "default"
    assert "sync_interval" not in config_of(pki_layout, tmp_path)["jetstream"]


@pytest.mark.parametrize("wrong", ["sometimes", "10", "1 s", "-1s"])
def test_a_sync_interval_that_nats_server_would_not_read_is_refused(wrong):
    with pytest.raises(ValidationError):
        Settings(nats_server={"sync_interval": wrong})


def test_a_cluster_of_three_has_its_own_store_and_routes_to_the_two_others(tmp_path, pki_layout):
    settings = Settings(data_dir=tmp_path, nats_url="tls://127.0.0.1:5000",
                        nats_server={"route_ports": [7001, 7002, 7003]})
    nodes = busnodes.plan(settings, 3)
    assert [node.port for node in nodes] == [5000, 5001, 5002]
    assert len({node.data_dir for node in nodes}) == 3
    assert len({node.server_name for node in nodes}) == 3
    second = config_of(pki_layout, tmp_path, cluster=nodes[1].cluster)["cluster"]
    assert second["port"] == 7002
    assert second["routes"] == ["nats-route://127.0.0.1:7001", "nats-route://127.0.0.1:7003"]
    assert second["tls"]["verify"] is True


def test_a_cluster_needs_as_many_ports_as_nodes(tmp_path):
    settings = Settings(data_dir=tmp_path, nats_server={"cluster_ports": [1, 2]})
    with pytest.raises(StartupError, match="needs 3 client and route ports"):
        busnodes.plan(settings, 3)


def test_several_nats_urls_are_one_cluster_to_connect_to():
    settings = Settings(nats_url="tls://127.0.0.1:5000, tls://127.0.0.1:5001")
    assert settings.nats_urls() == ["tls://127.0.0.1:5000", "tls://127.0.0.1:5001"]
    assert settings.nats_port == 5000
