"""`jjj up` supervises nats-server: killed with -9 it is reaped (no zombie), logged and started again on its port,
and the adapters, reconnecting by themselves, serve members' calls again."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from kernel.security import pki
from kernel.security.tls import grpc_channel_credentials
from tests.conftest import SHARED
from tests.support.processes import cmdline, descendants, start_up, still_running, up_environment
from tests.support.relay import submit_request
from tests.support.secure import files_of, health_status, raw_nats_exchange

pytestmark = pytest.mark.slow

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"


def wait_for(condition, *, timeout: float, what: str, lines: list[str]):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n" + "".join(lines)
        time.sleep(0.1)
    return found


def nats_servers(up_pid: int) -> list[int]:
    return [pid for pid in descendants(up_pid) if cmdline(pid).split("\0")[0].endswith("nats-server")]


def nats_answers_tls_only(port: int) -> bool:
    try:
        return raw_nats_exchange(port) == b""
    except OSError:
        return False


def submitted(stub: adapter_pb2_grpc.AdapterServiceStub, request_id: str) -> bool:
    try:
        stub.SubmitDocument(submit_request(SANHE, request_id), timeout=5)
        return stub.GetCase(adapter_pb2.GetCaseRequest(case_id=SANHE_ID), timeout=5).case.case_id == SANHE_ID
    except grpc.RpcError as error:
        assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), error
        return False


def test_up_restarts_a_killed_nats_server_and_the_adapters_serve_again(tmp_path):
    ports, env = up_environment(tmp_path / "var")
    running = start_up(env)
    up, lines = running.process, running.lines
    try:
        wait_for(lambda: any("Ctrl-C stops everything" in line for line in lines) or up.poll() is not None,
                 timeout=90, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        layout = pki.PkiLayout(tmp_path / "var" / "pki")
        beijing = adapter_pb2_grpc.AdapterServiceStub(grpc.secure_channel(
            f"127.0.0.1:{ports['beijing']}",
            grpc_channel_credentials(files_of(layout, pki.member_system_principal("beijing")))))
        assert submitted(beijing, "before")
        (nats,) = nats_servers(up.pid)

        os.kill(nats, signal.SIGKILL)
        # Reaped by the supervisor: not even a zombie is left of it.
        wait_for(lambda: not Path(f"/proc/{nats}").exists(), timeout=10, what="the killed nats-server reaped",
                 lines=lines)
        wait_for(lambda: any("nats exited with -9; restarting (1/5)" in line for line in lines), timeout=10,
                 what="the restart said", lines=lines)
        (again,) = wait_for(lambda: [pid for pid in nats_servers(up.pid) if pid != nats], timeout=30,
                            what="a new nats-server", lines=lines)
        wait_for(lambda: nats_answers_tls_only(ports["nats"]), timeout=10, what="the nats port answering TLS-only",
                 lines=lines)
        assert wait_for(lambda: submitted(beijing, "after"), timeout=30, what="a submission served again", lines=lines)
        for name in ("gateway", "beijing", "tianjin", "hebei"):
            assert wait_for(lambda: health_status(layout, ports[name]) == health_pb2.HealthCheckResponse.SERVING, timeout=15,
                            what=f"{name} SERVING", lines=lines)
        log = "".join(lines)
        assert any('"process_restarting"' in line and '"role": "nats"' in line for line in lines), log
        started = descendants(up.pid)
        assert again in started

        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=30) == 0
        assert still_running(started) == []
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
