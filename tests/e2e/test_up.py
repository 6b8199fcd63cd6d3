"""`jjj up` as an operator runs it: a PKI is made, everything starts over TLS and says where it listens,
plaintext is refused, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import ssl
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kernel.security import pki
from kernel.security.tls import grpc_channel_credentials
from tests.support.processes import assert_stops_cleanly, cmdline, descendants, start_up, up_environment
from tests.support.secure import files_of, health_status, raw_nats_exchange

pytestmark = pytest.mark.slow


def operator_channel(layout: pki.PkiLayout, port: int) -> grpc.Channel:
    return grpc.secure_channel(f"127.0.0.1:{port}", grpc_channel_credentials(files_of(layout, pki.OPERATOR)))


def serving(layout: pki.PkiLayout, port: int) -> bool:
    return health_status(layout, port, timeout=1) == health_pb2.HealthCheckResponse.SERVING


def test_up_starts_everything_and_sigint_leaves_no_process(tmp_path):
    ports, env = up_environment(tmp_path / "var")
    running = start_up(env)
    up, lines = running.process, running.lines
    try:
        deadline = time.monotonic() + 90
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert up.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        banner = "".join(lines)
        layout = pki.PkiLayout(tmp_path / "var" / "pki")
        assert f"made a development PKI in {layout.root}" in banner and layout.exists()
        assert f"tls://127.0.0.1:{ports['nats']}" in banner
        assert str(layout.cert(pki.member_system_principal("hebei"))) in banner
        # The bus: no plaintext, and a certificate of the CA that is no bus user gets no session.
        assert raw_nats_exchange(ports["nats"]) == b""
        member = files_of(layout, pki.member_system_principal("beijing"))
        context = ssl.create_default_context(cafile=str(layout.ca_cert))
        context.load_cert_chain(str(member.cert_file), str(member.key_file))
        answer = raw_nats_exchange(ports["nats"], lambda raw: context.wrap_socket(raw, server_hostname="127.0.0.1"))
        assert answer == b"-ERR 'Authorization Violation'\r\n"
        for name in ("gateway", "beijing", "tianjin", "hebei"):
            assert re.search(rf"{name}\s+127\.0\.0\.1:{ports[name]}", banner), banner
            with operator_channel(layout, ports[name]) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
                certificate = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service="jjj.tls.certificate"), timeout=5)
                assert certificate.status == health_pb2.HealthCheckResponse.SERVING
            # No plaintext port: a call without TLS does not get an answer.
            with grpc.insecure_channel(f"127.0.0.1:{ports[name]}") as plaintext:
                with pytest.raises(grpc.RpcError) as refused:
                    health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        started = descendants(up.pid)
        assert len(started) >= 5, f"expected nats-server, gateway and three adapters, got {started}"
        assert any("nats-server" in cmdline(pid) for pid in started)

        # Supervised: an adapter killed with -9 is started again on its port.
        (beijing,) = [pid for pid in started if "adapter\0beijing" in cmdline(pid)]
        os.kill(beijing, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            replacement = [pid for pid in descendants(up.pid) if "adapter\0beijing" in cmdline(pid) and pid != beijing]
            if replacement and serving(layout, ports["beijing"]):
                break
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        assert_stops_cleanly(up)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
