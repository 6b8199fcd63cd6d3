"""The nats client's connection errors: one structured line per kind per interval, never a traceback."""

from __future__ import annotations

import asyncio
import logging

import nats
import pytest
from structlog.testing import capture_logs

from kernel.bus.connection_errors import ConnectionErrorLog, describe
from tests.support.relay import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


REFUSED = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 4222)")


def test_an_error_is_described_by_its_type_and_message():
    assert describe(REFUSED) == "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 4222)"
    assert describe(TimeoutError()) == "TimeoutError"


def test_the_same_error_within_the_interval_is_counted_and_reported_with_the_next_line():
    clock = Clock()
    errors = ConnectionErrorLog(interval=10.0, clock=clock)
    with capture_logs() as logs:
        assert errors.note(REFUSED)
        for _ in range(19):  # twice a second for ten seconds
            clock.now += 0.5
            assert not errors.note(REFUSED)
        assert errors.note(TimeoutError())  # another kind is logged at once
        clock.now += 0.5
        assert errors.note(REFUSED)
    assert [(line["event"], line["error"], line.get("repeated_since_last")) for line in logs] == [
        ("bus_connection_error", describe(REFUSED), None),
        ("bus_connection_error", "TimeoutError", None),
        ("bus_connection_error", describe(REFUSED), 19),
    ]
    assert all(line["log_level"] == "warning" for line in logs)


def test_errors_with_ever_new_text_do_not_grow_what_is_remembered():
    errors = ConnectionErrorLog(interval=10.0, clock=Clock())
    with capture_logs():
        for port in range(1000):
            errors.note(ConnectionRefusedError(111, f"Connect call failed ('127.0.0.1', {port})"))
    assert len(errors._last_logged) <= 256


async def test_a_client_reconnecting_to_an_absent_server_logs_lines_without_a_traceback(caplog):
    # nats-py's default callback logs each failed attempt with its traceback through the standard library.
    errors = ConnectionErrorLog(interval=60.0)
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs, pytest.raises(nats.errors.NoServersError):
        await nats.connect(f"nats://127.0.0.1:{free_port()}", error_cb=errors.callback, max_reconnect_attempts=3,
                           reconnect_time_wait=0.05, connect_timeout=0.5, allow_reconnect=False)
    await asyncio.sleep(0)
    assert [line["event"] for line in logs] == ["bus_connection_error"]
    assert "Connect call failed" in logs[0]["error"] and "Traceback" not in logs[0]["error"]
    assert not [record for record in caplog.records if record.exc_info]
