"""first_sequence_since against a real nats-server: the stream itself says where a time falls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kernel.bus.positions import first_sequence_since, rfc3339
from kernel.errors import BusRefused
from tests.support.bus import Bus

STREAM = "JJJ_REFERRALS"


def test_times_are_written_as_the_jetstream_api_reads_them():
    moment = datetime(2026, 12, 2, 8, 30, 0, 123456, tzinfo=UTC)
    assert rfc3339(moment) == "2026-12-02T08:30:00.123456Z"
    assert rfc3339(moment.astimezone(timezone(timedelta(hours=8)))) == "2026-12-02T08:30:00.123456Z"


async def test_the_first_message_since_a_time_and_the_next_sequence_when_none_is(nats_server):
    bus = await Bus.connect(nats_server.url)
    try:
        assert await first_sequence_since(bus.nc, STREAM, datetime.now(UTC) - timedelta(days=2)) == 1  # empty
        for number in range(3):
            await bus.js.publish("jjj.referral.he.bj", f"early {number}".encode(), stream=STREAM)
        await asyncio.sleep(0.05)
        between = datetime.now(UTC)
        await asyncio.sleep(0.05)
        for number in range(2):
            await bus.js.publish("jjj.referral.he.bj", f"late {number}".encode(), stream=STREAM)
        assert await first_sequence_since(bus.nc, STREAM, between - timedelta(days=1)) == 1
        assert await first_sequence_since(bus.nc, STREAM, between) == 4
        assert await first_sequence_since(bus.nc, STREAM, datetime.now(UTC) + timedelta(seconds=5)) == 6  # next
    finally:
        await bus.close()


async def test_a_stream_that_does_not_exist_is_named(nats_server):
    bus = await Bus.connect(nats_server.url)
    try:
        with pytest.raises(BusRefused, match="JJJ_NOWHERE"):
            await first_sequence_since(bus.nc, "JJJ_NOWHERE", datetime.now(UTC))
    finally:
        await bus.close()
