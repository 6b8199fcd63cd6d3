"""Processes as /proc shows them: what a process started, whether it still runs, waiting for it to go."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; only its parent's wait is missing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def assert_stops_cleanly(up: subprocess.Popen) -> None:
    """SIGINT stops `jjj up` with exit 0, and none of the processes it started is left behind."""
    started = descendants(up.pid)
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=30) == 0
    assert still_running(started) == []


def still_running(pids: Iterable[int], *, within: float = 15.0) -> list[int]:
    """Wait until none of `pids` runs; those still running after `within` seconds (none, normally)."""
    pids = list(pids)
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in pids if running(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# -- `jjj up` as a subprocess ---------------------------------------------------------------


@dataclass
class RunningUp:
    """`jjj up` (or a command like it) with its merged output collected line by line."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None  # ends once the process closed its output

    def banner_shown(self) -> bool:
        return any("Ctrl-C stops everything" in line for line in self.lines)


def up_environment(data_dir: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Free loopback ports for every process of a local federation, and the environment that puts it there."""
    from harness.federation import up_environment as environment

    return environment(data_dir)


def start_up(env: dict[str, str], command: list[str] | None = None) -> RunningUp:
    process = subprocess.Popen(command or [sys.executable, "-m", "cli.main", "up"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    running = RunningUp(process)
    running.reader = threading.Thread(target=lambda: running.lines.extend(process.stdout), daemon=True)
    running.reader.start()
    return running
