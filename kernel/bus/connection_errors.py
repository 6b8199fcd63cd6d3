"""What the nats client reports about its connection, as one log line per kind of error and interval.

nats-py's default error callback logs every failed reconnect with its whole traceback through the
standard library: while the server is away, a 25-line traceback from every process twice a second,
outside the one-JSON-record-per-line log (in a restart test they pushed the line an operator looks for
out of the last 200). Here each error is one structured warning; the same error again within
`interval` seconds is only counted, and the count goes out with the next line logged for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

REPEATS_LOGGED_EVERY_SECONDS = 10.0
MOST_KINDS_REMEMBERED = 256


def describe(error: BaseException) -> str:
    """The error's type and message, without a traceback: 'ConnectionRefusedError: [Errno 111] ...'."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class ConnectionErrorLog:
    """For a nats `error_cb` (`.callback`): one `bus_connection_error` line per distinct error per interval."""

    def __init__(self, *, interval: float = REPEATS_LOGGED_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last_logged: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    async def callback(self, error: Exception) -> None:
        """The `error_cb` itself (nats-py takes only coroutine functions, not a callable object)."""
        self.note(error)

    def note(self, error: BaseException) -> bool:
        """Log `error` unless the same was logged within the interval; whether it was logged."""
        described = describe(error)
        now = self._clock()
        last = self._last_logged.get(described)
        if last is not None and now - last < self.interval:
            self._unlogged[described] = self._unlogged.get(described, 0) + 1
            return False
        if len(self._last_logged) >= MOST_KINDS_REMEMBERED:  # errors with ever-new text: start again
            self._last_logged.clear()
            self._unlogged.clear()
        self._last_logged[described] = now
        repeats = self._unlogged.pop(described, 0)
        log.warning("bus_connection_error", error=described, **({"repeated_since_last": repeats} if repeats else {}))
        return True
