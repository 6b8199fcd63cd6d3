"""`jjj up` backs off a process that keeps crashing, says so loudly, and keeps everything else serving:
the other adapters answer SERVING and a referral between them is delivered; once the window has room the
crashing adapter is tried again, and serves again once what made it crash is gone."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

import pytest
from grpc_health.v1 import health_pb2

from kernel.security import pki
from tests.support.processes import assert_stops_cleanly, cmdline, descendants, running, start_up, up_environment
from tests.support.referrals import refer, take
from tests.support.secure import health_status

pytestmark = pytest.mark.slow

# `jjj up` itself, with the restart budget lowered to 2 restarts within 20 s so that backing off
# and trying again take seconds rather than the minute the real window is.
RESTARTS, WINDOW = 2, 20.0
UP = (f"import sys, cli.supervisor as s; s.MAX_RESTARTS = {RESTARTS}; s.RESTART_WINDOW_SECONDS = {WINDOW}; "
      "from cli.main import main; sys.exit(main(['up']))")
SERVING = health_pb2.HealthCheckResponse.SERVING


def wait_for(condition, *, timeout: float, what: str, lines: list[str]):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n" + "".join(lines)
        time.sleep(0.1)
    return found


def state_of(data_dir, role: str) -> dict:
    try:
        return json.loads((data_dir / "up-status.json").read_text(encoding="utf-8"))["processes"][role]
    except (OSError, ValueError, KeyError):
        return {}


def test_an_adapter_that_keeps_crashing_is_backed_off_while_the_others_keep_serving(tmp_path):
    data_dir = tmp_path / "var"
    ports, env = up_environment(data_dir)
    started_up = start_up(env, command=[sys.executable, "-c", UP])
    up, lines = started_up.process, started_up.lines
    blocker = socket.socket()
    # The killed adapter's connections leave its port in TIME_WAIT: without this the bind fails until they
    # expire, after the supervisor's restart has taken the port (seen once in a full run). Still no second
    # listener can bind beside this one.
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        wait_for(lambda: started_up.banner_shown() or up.poll() is not None, timeout=90, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        layout = pki.PkiLayout(data_dir / "pki")
        assert state_of(data_dir, "beijing")["state"] == "running"
        (beijing,) = [pid for pid in descendants(up.pid) if "adapter\0beijing" in cmdline(pid)]

        # Kill the Beijing adapter and take its port: every restart now fails to bind and exits.
        os.kill(beijing, signal.SIGKILL)
        wait_for(lambda: not running(beijing), timeout=10, what="the killed adapter gone", lines=lines)

        def port_taken() -> bool:
            try:
                blocker.bind(("127.0.0.1", ports["beijing"]))
            except OSError:
                return False
            blocker.listen()
            return True

        wait_for(port_taken, timeout=5, what="the Beijing port free", lines=lines)
        wait_for(lambda: any("jjj up: beijing keeps dying (exit 1)" in line and "backing off" in line for line in lines),
                 timeout=60, what="backing off said", lines=lines)
        log = "".join(lines)
        assert f"beijing exited with -9; restarting (1/{RESTARTS})" in log, log
        assert f"beijing exited with 1; restarting ({RESTARTS}/{RESTARTS})" in log, log
        assert any('"process_backing_off"' in line and '"role": "beijing"' in line for line in lines), log
        assert state_of(data_dir, "beijing")["state"] == "backing_off"
        assert state_of(data_dir, "beijing")["pid"] is None

        # Everything else keeps running and serving: not stopped, and a referral from Tianjin reaches Hebei.
        assert up.poll() is None, "".join(lines)
        for name in ("gateway", "tianjin", "hebei"):
            assert health_status(layout, ports[name]) == SERVING, name
            assert state_of(data_dir, name)["state"] == "running"
        case_id = refer(layout, ports["tianjin"], 1)
        assert take(layout, ports["hebei"], {case_id}, timeout=30) == {case_id}

        # What made it crash goes away: once the window has room, Beijing is tried again and serves.
        blocker.close()
        wait_for(lambda: health_status(layout, ports["beijing"], timeout=1) == SERVING, timeout=WINDOW + 40,
                 what="Beijing serving again", lines=lines)
        wait_for(lambda: state_of(data_dir, "beijing").get("state") == "running", timeout=10,
                 what="Beijing shown running", lines=lines)
        assert_stops_cleanly(up)
        assert {state_of(data_dir, role)["state"] for role in ("nats", "gateway", "beijing", "tianjin", "hebei")} == {"stopped"}
    finally:
        blocker.close()
        if up.poll() is None:
            up.kill()
            up.wait()


def test_an_adapter_that_cannot_start_does_not_keep_the_others_from_starting(tmp_path):
    data_dir = tmp_path / "var"
    ports, env = up_environment(data_dir)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", ports["hebei"]))  # Hebei's adapter cannot bind: it exits at once
    blocker.listen()
    started_up = start_up(env, command=[sys.executable, "-c", UP])
    up, lines = started_up.process, started_up.lines
    try:
        wait_for(lambda: started_up.banner_shown() or up.poll() is not None, timeout=90, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        assert any("jjj up: hebei exited with 1 while starting" in line for line in lines), "".join(lines)
        layout = pki.PkiLayout(data_dir / "pki")
        for name in ("gateway", "beijing", "tianjin"):
            assert health_status(layout, ports[name]) == SERVING, name
        wait_for(lambda: state_of(data_dir, "hebei").get("state") in ("restarting", "backing_off"), timeout=10,
                 what="Hebei shown restarting", lines=lines)
        assert_stops_cleanly(up)
    finally:
        blocker.close()
        if up.poll() is None:
            up.kill()
            up.wait()
