"""Certificate expiry reported before it happens: pure assessment, and what a running server says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kernel.rpc.server import ExpiryWatch, serve
from kernel.security import expiry, pki
from kernel.security.tls import TlsFiles, grpc_channel_credentials

NOW = datetime(2027, 3, 1, tzinfo=UTC)


def validity(days_left: float, *, started_days_ago: float = 100) -> expiry.CertificateValidity:
    return expiry.CertificateValidity(Path("x.crt"), "x", NOW - timedelta(days=started_days_ago), NOW + timedelta(days=days_left))


def test_assessment_splits_expired_expiring_and_fine():
    fine, soon, gone, early = validity(90), validity(12), validity(-1), validity(300, started_days_ago=-2)
    report = expiry.assess([fine, soon, gone, early], NOW, timedelta(days=30))
    assert report.expiring == [soon] and report.expired == [gone, early] and not report.healthy
    assert expiry.assess([fine], NOW, timedelta(days=30)).healthy
    assert not expiry.assess([validity(29.9)], NOW, timedelta(days=30)).healthy
    assert expiry.assess([validity(30.1)], NOW, timedelta(days=30)).healthy


def _files(tmp_path: Path, days_left: float) -> TlsFiles:
    layout = pki.PkiLayout(tmp_path)
    ca = pki.new_ca()
    pki.write_private(layout.ca_key, ca.key_pem)
    layout.ca_cert.write_bytes(ca.cert_pem)
    pki.write_issued(layout, "server", pki.issue(ca, pki.Principal("server", "adapter", server=True), days=days_left))
    pki.write_issued(layout, "client", pki.issue(ca, pki.Principal("client", "operator")))
    return TlsFiles(layout.ca_cert, layout.cert("server"), layout.key("server"))


async def _certificate_health(files: TlsFiles, capsys, tmp_path: Path) -> tuple[int, int, list[dict]]:
    from kernel import logs

    logs.configure("json", "info")
    served = await serve("test.Service", lambda server: None, "127.0.0.1:0", tls=files, watch=ExpiryWatch(30, 3600))
    client = TlsFiles(files.ca_file, tmp_path / "client.crt", tmp_path / "client.key")
    try:
        async with grpc.aio.secure_channel(f"127.0.0.1:{served.port}", grpc_channel_credentials(client)) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            certificate = await stub.Check(health_pb2.HealthCheckRequest(service=expiry.HEALTH_SERVICE), timeout=10)
            overall = await stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
    finally:
        await served.stop(0)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return certificate.status, overall.status, lines


async def test_a_certificate_expiring_within_the_window_is_reported_at_start(tmp_path, capsys):
    certificate, overall, lines = await _certificate_health(_files(tmp_path, days_left=10), capsys, tmp_path)
    assert certificate == health_pb2.HealthCheckResponse.NOT_SERVING
    assert overall == health_pb2.HealthCheckResponse.SERVING  # still valid: not dropped by a load balancer
    (warning,) = [line for line in lines if line["event"] == "certificate_expires_soon"]
    assert warning["level"] == "warning" and warning["subject"] == "server" and 9.9 < warning["days_left"] <= 10


async def test_certificates_valid_beyond_the_window_are_healthy_and_silent(tmp_path, capsys):
    certificate, _, lines = await _certificate_health(_files(tmp_path, days_left=200), capsys, tmp_path)
    assert certificate == health_pb2.HealthCheckResponse.SERVING
    assert not [line for line in lines if line["event"].startswith("certificate_")]
