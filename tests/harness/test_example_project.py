"""examples/member-team runs as a member team runs it: its own directory, no conftest, the plugin
loaded through its `pytest11` entry point from the installed package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "member-team"


def test_the_example_member_team_suite_passes_with_the_plugin_alone():
    assert not list(EXAMPLE.rglob("conftest.py")), "the example must get its fixtures from the plugin"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JJJ_", "PYTEST_"))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
                         cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"^3 passed", run.stdout, re.MULTILINE), run.stdout[-3000:]


def test_without_the_plugin_the_fixtures_are_missing():
    """The suite does depend on the entry point: blocked, its fixtures are not found."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JJJ_", "PYTEST_"))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:jjj", "-p", "no:cacheprovider", "-x"],
                         cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "fixture 'jjj_beijing' not found" in run.stdout, run.stdout[-3000:]


def test_the_plugin_leaves_a_suite_that_does_not_ask_for_it_alone(tmp_path):
    """Loaded in every pytest run of this environment (the project's own too): no autouse fixture, no federation."""
    (tmp_path / "test_plain.py").write_text(
        "def test_plain(request):\n"
        "    assert [name for name in request.fixturenames if name.startswith('jjj')] == []\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JJJ_", "PYTEST_"))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"),
                          "--fixtures"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    offered = re.findall(r"^(jjj\w*)", run.stdout, re.MULTILINE)
    assert set(offered) == {"jjj_federation", "jjj_harness", "jjj_member", "jjj_beijing", "jjj_tianjin", "jjj_hebei"}, run.stdout
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not list((tmp_path / "t").glob("jjj-federation*")), "a federation was started for a suite that did not ask"
