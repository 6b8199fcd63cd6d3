"""When `jjj up` starts again a process that died: capped exponential back-off, at most `limit`
restarts within any `window_seconds`, and past that a wait until the window has room again.

A process that crashed now and then over days is restarted each time after a short pause;
one that keeps crashing (the limit reached within the window) is backed off: it is not
started again until its oldest restart has left the window, and then it is tried again.
It is never given up on for good, and its crashing never stops the other processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# The longest pause between two restarts inside the window.
BACKOFF_CAP_SECONDS = 5.0
# Monotonic times a nanosecond apart are one instant: `now + delay` may round to just below the moment
# a restart leaves the window, and the planned restart must then still be allowed.
SAME_INSTANT_SECONDS = 1e-9


@dataclass(frozen=True, slots=True)
class Decision:
    """When to start a dead process again, and whether it is backing off (has used up its window)."""

    delay_seconds: float
    backing_off: bool
    restart_number: int  # counted within the window, 1 for the first restart after a quiet window


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    limit: int
    window_seconds: float

    def recent(self, restarts: Sequence[float], now: float) -> list[float]:
        """The restarts (monotonic times) still within the window at `now`."""
        return [at for at in restarts if now - at < self.window_seconds - SAME_INSTANT_SECONDS]

    def allows(self, restarts: Sequence[float], now: float) -> bool:
        """Whether one more restart at `now` stays within the limit."""
        return len(self.recent(restarts, now)) < self.limit

    def backoff_seconds(self, recent_restarts: int) -> float:
        """The pause before the `recent_restarts`-th restart of the window: 1, 2, 4, then 5 s."""
        return min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** recent_restarts)

    def decide(self, restarts: Sequence[float], now: float) -> Decision:
        """For a process found dead at `now` that was restarted at `restarts`: when to start it again."""
        recent = sorted(self.recent(restarts, now))
        if len(recent) < self.limit:
            count = len(recent) + 1
            return Decision(self.backoff_seconds(count), backing_off=False, restart_number=count)
        # The window is full: the next restart may come once enough of these have left it.
        room_at = recent[len(recent) - self.limit] + self.window_seconds
        delay = min(max(room_at - now, self.backoff_seconds(self.limit)), self.window_seconds)
        return Decision(delay, backing_off=True, restart_number=self.limit)


@dataclass(slots=True)
class Restarts:
    """One supervised process's restarts: when it was started again, and what is planned for it."""

    at: list[float] = field(default_factory=list)
    due_at: float | None = None  # set while it is dead and waits for its next start
    state: str = "running"  # running | restarting | backing_off
    exit_code: int | None = None
