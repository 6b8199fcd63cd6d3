"""Case numbers no earlier simulated run against this federation used: one counter in its data directory.

Generated cases keep their ids in the federation for good, so a run that reused an earlier
run's number would meet that case already referred, handled or closed. `jjj sim` and the
conformance kit both take their numbers from `<data_dir>/simulated/next-sequence`, in
blocks, under a file lock (a simulation and a kit run may start at the same moment).
Unique until a format's numbering itself is exhausted (native_id: 10^5 cases per day in
Tianjin, per year in Hebei; 10^7 per day in Beijing).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

COUNTER = Path("simulated") / "next-sequence"
BLOCK = 1000  # numbers an open-ended run takes at a time


def reserve(data_dir: Path, count: int) -> int:
    """The first of `count` consecutive numbers nobody reserved before; the counter moves past them."""
    if count < 0:
        raise ValueError(f"cannot reserve {count} numbers")
    path = data_dir / COUNTER
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="ascii") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        try:
            first = int(counter.read().strip() or 0)
        except ValueError:
            first = 0
        counter.seek(0)
        counter.truncate()
        counter.write(f"{first + count}\n")
        counter.flush()
        os.fsync(counter.fileno())
    return first


def blocks(data_dir: Path, size: int = BLOCK) -> Callable[[], int]:
    """For an open-ended run: each call reserves the next `size` numbers and answers the first."""
    return lambda: reserve(data_dir, size)
