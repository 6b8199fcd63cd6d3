"""Whether a process of the federation still runs, as /proc shows it (same machine only)."""

from __future__ import annotations

from pathlib import Path


def running(pid: int | None) -> bool | None:
    """Alive and not a zombie; None when there is no pid to look at or no /proc to look in."""
    if not pid or not Path("/proc/self").exists():
        return None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
