"""How often `jjj up` restarts a process that dies: at most `limit` restarts within any `window_seconds`.

A process that crashed now and then over days is restarted each time; one that keeps
crashing (the limit reached within the window) is given up on. Restarts older than the
window no longer count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    limit: int
    window_seconds: float

    def recent(self, restarts: Sequence[float], now: float) -> list[float]:
        """The restarts (monotonic times) still within the window at `now`."""
        return [at for at in restarts if now - at < self.window_seconds]

    def allows(self, restarts: Sequence[float], now: float) -> bool:
        """Whether one more restart at `now` stays within the limit."""
        return len(self.recent(restarts, now)) < self.limit

    def backoff_seconds(self, recent_restarts: int) -> float:
        """The pause before the `recent_restarts`-th restart of the window: 1, 2, 4, then 5 s."""
        return min(5.0, 0.5 * 2 ** recent_restarts)
