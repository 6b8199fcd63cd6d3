"""`jjj up` writes a dying process's state to up-status.json before it says so: whoever reads the announcement
(an operator's eyes, a monitoring probe, a test) finds the file already saying the same thing."""

from __future__ import annotations

import json

import pytest

from cli import supervisor
from cli.restarts import RestartPolicy
from kernel.config import Settings


def status_of(settings: Settings, role: str) -> dict:
    return json.loads((settings.data_dir / supervisor.STATUS_FILE).read_text(encoding="utf-8"))["processes"][role]


@pytest.mark.parametrize(("restarted_at", "said", "state"), [
    ([], "restarting (1/2)", "restarting"),
    ([100.0, 101.0], "keeps dying (exit 1)", "backing_off"),
])
def test_the_status_file_already_holds_what_is_announced(tmp_path, monkeypatch, restarted_at, said, state):
    settings = Settings(data_dir=tmp_path)
    child = supervisor.Child(role="beijing", command=["true"], port=1, principal="adapter-beijing")
    child.restarts.at[:] = restarted_at
    up = supervisor.Supervisor(settings, children=[child], policy=RestartPolicy(limit=2, window_seconds=20.0))
    seen_when_announced = []

    def announce(*parts, **_options):
        seen_when_announced.append((" ".join(map(str, parts)), status_of(settings, "beijing")))

    monkeypatch.setattr(supervisor, "print", announce, raising=False)
    up._plan_restart("beijing", child.restarts, exit_code=1, now=102.0)
    ((line, status),) = seen_when_announced
    assert said in line
    assert status["state"] == state
    assert status["last_exit_code"] == 1
    assert status["next_start_in_seconds"] is not None
