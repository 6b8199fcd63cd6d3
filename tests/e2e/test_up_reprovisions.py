"""A nats-server that comes back without its store (a lost disk) is provisioned again by `jjj up`:
every stream and bucket is declared anew, and the federation relays again."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from kernel.security import pki
from tests.support.businfo import declared_names, stream_infos, stream_infos_or_none
from tests.support.processes import assert_stops_cleanly, cmdline, descendants, start_up, up_environment
from tests.support.referrals import refer, take

pytestmark = pytest.mark.slow


def wait_for(condition, *, timeout: float, what: str, lines: list[str]):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s:\n" + "".join(lines)
        time.sleep(0.1)
    return found


def test_a_nats_server_that_lost_its_store_comes_back_with_every_stream_and_bucket(tmp_path):
    data_dir = tmp_path / "var"
    ports, env = up_environment(data_dir)
    running = start_up(env)
    up, lines = running.process, running.lines
    try:
        wait_for(lambda: running.banner_shown() or up.poll() is not None, timeout=90, what="the banner", lines=lines)
        assert up.poll() is None, "".join(lines)
        layout = pki.PkiLayout(data_dir / "pki")
        url = f"tls://127.0.0.1:{ports['nats']}"
        streams, buckets = declared_names()
        everything = set(streams) | {f"KV_{bucket}" for bucket in buckets}
        assert set(stream_infos(url, layout)) == everything
        store = data_dir / "nats" / "jetstream"
        assert store.is_dir()
        (nats,) = [pid for pid in descendants(up.pid) if cmdline(pid).split("\0")[0].endswith("nats-server")]

        os.kill(nats, signal.SIGKILL)
        wait_for(lambda: not Path(f"/proc/{nats}").exists(), timeout=10, what="the killed nats-server reaped", lines=lines)
        shutil.rmtree(store)  # before the restart: the supervisor waits a second's back-off first
        wait_for(lambda: any("nats exited with -9; restarting (1/5)" in line for line in lines), timeout=10,
                 what="the restart said", lines=lines)

        found = wait_for(lambda: (infos := stream_infos_or_none(url, layout)) and set(infos) == everything and infos,
                         timeout=30, what="every stream and bucket declared again", lines=lines)
        assert all(info.state.messages == 0 for info in found.values())  # new: the old store is gone
        restarted = next(index for index, line in enumerate(lines) if "nats exited with -9; restarting (1/5)" in line)
        # Waited for, not asserted at once: the streams exist the moment the supervisor's provisioning has
        # declared the last of them, a little before its line is written and read (CI once polled in between).
        wait_for(lambda: any('"bus_provisioned"' in line for line in lines[restarted:]), timeout=10,
                 what="the supervisor's provisioning after the restart said", lines=lines)
        # While the server was away every process said so in one JSON line per error, not a traceback per
        # reconnect attempt (nats-py's default: 25 lines each, twice a second, from every process).
        assert any('"bus_connection_error"' in line and "Connect call failed" in line for line in lines), "".join(lines)
        assert not any("Traceback" in line or "nats: encountered error" in line for line in lines), "".join(lines)

        # The federation relays again on the new store.
        case_id = refer(layout, ports["tianjin"], 2, timeout=60)
        assert take(layout, ports["hebei"], {case_id}, timeout=60) == {case_id}

        assert_stops_cleanly(up)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
