"""`jjj up --simulate` (what `make up` runs): the federation plus simulated members, marked SIMULATED,
whose cases go all the way to closed; stopping it stops the simulation too."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest

from harness.client import GatewayClient
from harness.sim.generate import is_simulated_native_id
from harness.state import FederationState
from jjj.case.v1 import case_pb2
from tests.support.processes import start_up, still_running, descendants, up_environment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


async def test_up_simulate_shows_simulated_cases_closed(tmp_path):
    _, env = up_environment(tmp_path / "var")
    running = start_up(env, [sys.executable, "-m", "cli.main", "up", "--simulate"])
    try:
        state_file = FederationState.default_path(tmp_path / "var")
        deadline = time.monotonic() + 90
        while not state_file.exists():
            assert running.process.poll() is None, "".join(running.lines[-40:])
            assert time.monotonic() < deadline, "".join(running.lines[-40:])
            await asyncio.sleep(0.2)
        state = FederationState.load(state_file)
        closed = []
        async with GatewayClient(state) as gateway:
            while not closed:
                assert time.monotonic() < deadline + 60, "".join(running.lines[-40:])
                records = (await gateway.list_cases()).records
                closed = [r for r in records if r.status == case_pb2.STATUS_CLOSED]
                await asyncio.sleep(0.5)
        assert all(is_simulated_native_id(r.native_id) for r in closed), [r.native_id for r in closed]
        assert any("SIMULATED" in line for line in running.lines)
        children = descendants(running.process.pid)
    finally:
        running.process.send_signal(signal.SIGINT)
        running.process.wait(60)
    assert running.process.returncode == 0, "".join(running.lines[-40:])
    assert still_running(children) == []
