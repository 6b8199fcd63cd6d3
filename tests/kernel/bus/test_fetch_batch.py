"""fetch_batch, the one pull loop step of the adapter's trackers and inbox pumps."""

from __future__ import annotations

import asyncio

import nats.errors
import pytest

from kernel.bus import jetstream
from tests.support.cancelling import cancelled_loop, swallowing_once


class Subscription:
    """Stands in for a pull subscription whose fetch does one given thing."""

    def __init__(self, fetch) -> None:
        self.fetch = fetch


async def test_no_message_in_time_is_an_empty_batch():
    async def fetch(batch, timeout):
        raise nats.errors.TimeoutError

    assert await jetstream.fetch_batch(Subscription(fetch), batch=4, timeout=0.1) == []


async def test_an_outage_is_an_empty_batch_after_a_pause_not_a_spin():
    calls = []

    async def fetch(batch, timeout):
        calls.append(asyncio.get_running_loop().time())
        raise nats.errors.OutboundBufferLimitError

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await jetstream.fetch_batch(Subscription(fetch), batch=4, timeout=0.1) == []
    assert loop.time() - started >= jetstream.OUTAGE_PAUSE_SECONDS and len(calls) == 1


async def test_a_closed_connection_ends_the_loop():
    async def fetch(batch, timeout):
        raise nats.errors.ConnectionClosedError

    with pytest.raises(nats.errors.ConnectionClosedError):
        await jetstream.fetch_batch(Subscription(fetch), batch=4, timeout=0.1)


async def test_a_cancellation_swallowed_inside_fetch_still_stops_the_loop():
    swallowed: list[bool] = []

    async def fetch(batch, timeout):  # returns [] as Python 3.11's wait_for does when the message came with the cancel
        return await swallowing_once(swallowed, result=[])

    async def loop_forever():
        while True:
            await jetstream.fetch_batch(Subscription(fetch), batch=4, timeout=0.1)

    task = await cancelled_loop(loop_forever)
    try:
        assert swallowed and task.cancelled()
    finally:
        task.cancel()


class Message:
    """A fetched message that records being given back."""

    subject = "jjj.ingest.he"

    def __init__(self) -> None:
        self.naked = 0

    async def nak(self) -> None:
        self.naked += 1


async def test_what_came_with_a_swallowed_cancellation_is_given_back_to_the_bus():
    message = Message()

    async def fetch(batch, timeout):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return [message]  # the message arrived as the cancel did; wait_for returned it

    task = asyncio.create_task(jetstream.fetch_batch(Subscription(fetch), batch=1, timeout=0.1))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled() and message.naked == 1


async def test_a_message_the_bus_will_not_take_back_is_logged_and_the_rest_still_given_back():
    class Settled(Message):
        async def nak(self) -> None:
            raise nats.errors.MsgAlreadyAckdError

    first, settled, last = Message(), Settled(), Message()
    await jetstream.give_back([first, settled, last])
    assert (first.naked, last.naked) == (1, 1)
