"""`jjj up` serves the console, makes the first federation operator and says how to log in;
`jjj console users` and `jjj deadletters` work against it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support.console import http
from tests.support.processes import assert_stops_cleanly, start_up, up_environment

pytestmark = pytest.mark.slow


def _jjj(env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def _log_in(url: str, name: str, password: str) -> tuple[int, dict, dict]:
    return http(url + "api/login", method="POST", body={"name": name, "password": password})


def test_up_prints_the_console_and_a_first_login_that_works(tmp_path):
    ports, env = up_environment(tmp_path / "var")
    running = start_up(env)
    up = running.process
    try:
        deadline = time.monotonic() + 90
        while not running.banner_shown():
            assert up.poll() is None and time.monotonic() < deadline, "".join(running.lines)
            time.sleep(0.1)
        banner = "".join(running.lines)
        url = f"http://127.0.0.1:{ports['console']}/"
        assert f"console   {url}" in banner
        (password,) = re.findall(r"first login: admin / (\S+)", banner)
        status, headers, answer = _log_in(url, "admin", password)
        assert status == 200 and answer["user"]["role"] == "federation" and answer["must_change_password"] is True
        cookie = headers["set-cookie"].split(";")[0]
        assert http(url + "api/overview", headers={"cookie": cookie})[0] == 403  # the printed password changes first
        password_was, password = password, "admin-chose-this-one"
        status, headers, answer = http(url + "api/password", method="POST", body={"current": password_was, "new": password},
                                       headers={"cookie": cookie, "x-csrf-token": answer["csrf"]})
        assert status == 200, answer
        cookie = headers["set-cookie"].split(";")[0]
        deadline = time.monotonic() + 30
        while True:  # every process green, the bus through its monitoring endpoints
            _, _, overview = http(url + "api/overview", headers={"cookie": cookie})
            states = {item["name"]: item["state"] for item in overview["health"]}
            if set(states.values()) == {"green"}:
                break
            assert time.monotonic() < deadline, overview["health"]
            time.sleep(0.5)
        assert set(states) == {"nats", "gateway", "beijing", "tianjin", "hebei"}

        added = _jjj(env, "console", "users", "add", "wang", "--role", "jurisdiction", "--jurisdiction", "tianjin",
                     stdin="tianjin-pass-1\n")
        assert added.returncode == 0, added.stderr
        status, headers, answer = _log_in(url, "wang", "tianjin-pass-1")
        assert answer["user"]["jurisdiction"] == "tianjin"
        wang = headers["set-cookie"].split(";")[0]
        assert http(url + "api/overview", headers={"cookie": wang})[0] == 200
        assert _jjj(env, "console", "users", "disable", "wang").returncode == 0
        assert _log_in(url, "wang", "tianjin-pass-1")[0] == 401
        assert http(url + "api/overview", headers={"cookie": wang})[0] == 401  # the open session ends too
        listed = _jjj(env, "console", "users", "list")
        assert "admin\tfederation\t-\tactive" in listed.stdout and "wang\tjurisdiction\ttianjin\tdisabled" in listed.stdout

        # `jjj console` alone, beside the running federation, reading the gateway's files.
        from tests.support.relay import free_port

        alone_port = free_port()
        alone = subprocess.Popen([sys.executable, "-m", "cli.main", "console", "--port", str(alone_port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert f"jjj console: http://127.0.0.1:{alone_port}/" in alone.stderr.readline()
            assert _log_in(f"http://127.0.0.1:{alone_port}/", "admin", password)[0] == 200
        finally:
            alone.send_signal(signal.SIGTERM)
            assert alone.wait(timeout=20) == 0

        letters = _jjj(env, "deadletters", "list")
        assert (letters.returncode, letters.stdout) == (0, "")
        refused = _jjj(env, "deadletters", "redrive", "1", "--reason", "none there")
        assert refused.returncode == 1 and "no dead letter 1" in refused.stderr

        assert_stops_cleanly(up)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
