"""Sizes of the fault-injection runs, the federation under fault, and the table of results.

Sizes come from the environment (`make chaos` sets the long ones):
  JJJ_FAULT_REFERRALS      referrals per fault (short run: 200)
  JJJ_FAULT_STALLED        messages waiting in the stalled inbox of the memory case (short run: 1000)
  JJJ_FAULT_OUTAGE_SECONDS how long the bus is unreachable (short run: 10; the issue's 30 in `make chaos`)
  JJJ_FAULT_CANCELLATIONS  stream cancellations (short run: 40)
  JJJ_FAULT_REPORT         a path: write the results there (docs/RELIABILITY.md, its own section only)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.federation import UpFederation
from tests.faults.workload import Sizes

RESULTS: list = []
EXTRA_ROWS: list[str] = []
# Redeliveries of an unacknowledged item come after the ack wait: short, so the run can wait for late duplicates.
ACK_WAIT_SECONDS = 5


def size(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@pytest.fixture
def sizes() -> Sizes:
    return Sizes(referrals=int(size("JJJ_FAULT_REFERRALS", 200)))


@pytest.fixture
def up_federation(tmp_path: Path):
    def start(*arguments: str) -> UpFederation:
        federation = UpFederation(tmp_path, extra_env={"JJJ_ACK_WAIT_SECONDS": str(ACK_WAIT_SECONDS),
                                                        "JJJ_LOG_FORMAT": "json"}, arguments=arguments)
        started.append(federation)
        federation.start()
        return federation

    started: list[UpFederation] = []
    yield start
    for federation in started:
        federation.stop()


def pytest_terminal_summary(terminalreporter):
    if not RESULTS and not EXTRA_ROWS:
        return
    terminalreporter.section("fault injection: lost, duplicated, recovery time")
    for result in RESULTS:
        terminalreporter.write_line(result.summary())
    for row in EXTRA_ROWS:
        terminalreporter.write_line(row)


def pytest_sessionfinish(session):
    target = os.environ.get("JJJ_FAULT_REPORT")
    if target and RESULTS:
        from tests.faults.report import rewrite, section

        names = ("JJJ_FAULT_REFERRALS", "JJJ_FAULT_STALLED", "JJJ_FAULT_OUTAGE_SECONDS", "JJJ_FAULT_CANCELLATIONS")
        run = ", ".join(f"{name}={os.environ.get(name, 'default')}" for name in names)
        rewrite(Path(target), section(RESULTS, EXTRA_ROWS, run=f"{run} (defaults: the short run of `make test`)"))
