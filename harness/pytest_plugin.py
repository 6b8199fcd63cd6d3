"""The pytest plugin of member-system teams (entry point `pytest11`: `jjj`), loaded once jjj-exchange is installed.

Fixtures, all named `jjj_*` and none autouse, so a suite that does not ask for them is
not touched (the project's own tests included):

  jjj_federation   (session) a running federation: `jjj up` started as a subprocess with its
                   own temporary data directory and free ports, stopped at the end; or, with
                   `--jjj-state PATH` (or JJJ_FEDERATION_STATE), the federation already running
                   there. Its `.state` is a harness.state.FederationState.
  jjj_harness      (session) harness.sync.Harness on it: `submit`, `expect_inbox`, `step`,
                   `expect_status`, `trail`, `member(j)`.
  jjj_member       a factory: `jjj_member("beijing")` -> harness.sync.Member, synchronous calls as
                   that member system (`submit`, `expect_inbox`, `step`, `get_case`, `share`, `drain`).
  jjj_beijing / jjj_tianjin / jjj_hebei   the same, one per adapter.

Asyncio suites use harness.client.MemberClient(jjj_federation.state, "beijing") directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

STATE_ENV = "JJJ_FEDERATION_STATE"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("jjj", "jjj-exchange federation (harness.pytest_plugin)")
    group.addoption("--jjj-state", default=None, metavar="PATH",
                    help=f"use the federation running with this state file instead of starting one (also {STATE_ENV})")
    group.addoption("--jjj-start-timeout", type=float, default=120.0, metavar="SECONDS",
                    help="how long `jjj up` may take to serve")


@dataclass
class RunningFederation:
    state: object  # harness.state.FederationState
    local: object | None  # harness.federation.LocalFederation when this session started it

    @property
    def data_dir(self) -> Path:
        return self.state.data_dir

    def output(self) -> str:
        """What `jjj up` said (its log lines), for a failure message; empty for a federation not ours."""
        return self.local.output() if self.local is not None else ""


@pytest.fixture(scope="session")
def jjj_federation(request, tmp_path_factory):
    from harness.federation import LocalFederation
    from harness.state import FederationState

    existing = request.config.getoption("--jjj-state") or os.environ.get(STATE_ENV)
    if existing:
        yield RunningFederation(FederationState.load(existing), None)
        return
    local = LocalFederation.start(tmp_path_factory.mktemp("jjj-federation") / "var",
                                  timeout=request.config.getoption("--jjj-start-timeout"))
    try:
        yield RunningFederation(local.state, local)
    finally:
        local.stop()


@pytest.fixture(scope="session")
def jjj_harness(jjj_federation):
    from harness.sync import Harness

    harness = Harness(jjj_federation.state)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def jjj_member(jjj_harness):
    return jjj_harness.member


@pytest.fixture
def jjj_beijing(jjj_harness):
    return jjj_harness.member("beijing")


@pytest.fixture
def jjj_tianjin(jjj_harness):
    return jjj_harness.member("tianjin")


@pytest.fixture
def jjj_hebei(jjj_harness):
    return jjj_harness.member("hebei")
