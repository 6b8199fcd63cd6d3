"""`jjj up` gives up on a process that keeps crashing: it says so, stops everything, and exits non-zero."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

import pytest

from tests.support.processes import cmdline, descendants, running, start_up, still_running, up_environment

pytestmark = pytest.mark.slow

# `jjj up` itself, with the restart budget lowered from 5 to 2 so that giving up takes
# seconds rather than the half minute of back-off (1, 2, 4, 5, 5 s) the real budget allows.
RESTARTS = 2
UP = f"import sys, cli.supervisor as s; s.MAX_RESTARTS = {RESTARTS}; from cli.main import main; sys.exit(main(['up']))"


def wait_for(condition, *, timeout: float, what: str, lines: list[str]):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n" + "".join(lines)
        time.sleep(0.05)
    return found


def test_an_adapter_that_keeps_crashing_stops_up_with_a_clear_message(tmp_path):
    ports, env = up_environment(tmp_path / "var")
    started_up = start_up(env, command=[sys.executable, "-c", UP])
    up, lines = started_up.process, started_up.lines
    blocker = socket.socket()
    try:
        wait_for(lambda: any("Ctrl-C stops everything" in line for line in lines) or up.poll() is not None,
                 timeout=90, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        started = descendants(up.pid)
        (beijing,) = [pid for pid in started if "adapter\0beijing" in cmdline(pid)]

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

        assert up.wait(timeout=60) == 1
        started_up.reader.join(timeout=10)
        log = "".join(lines)
        assert f"beijing exited with -9; restarting (1/{RESTARTS})" in log, log
        assert f"restarting ({RESTARTS}/{RESTARTS})" in log, log
        assert "jjj up: beijing keeps dying (exit 1); giving up" in log, log
        assert "jjj up: stopped" in log, log
        assert still_running(started) == []
    finally:
        blocker.close()
        if up.poll() is None:
            up.kill()
            up.wait()
