"""kernel.bus.quick_paths against a real nats-server: fetches take queued messages without a task each and
still wait, time out and end as before; publishes take a free slot without a task and still stall when full."""

from __future__ import annotations

import asyncio

import nats.errors
import pytest
from nats.js import JetStreamContext, api

from kernel.bus import jetstream, quick_paths
from kernel.bus.batch_publish import Publication, publish_many
from kernel.errors import BusError
from tests.support.bus import Bus

STREAM, SUBJECT = "QUICK", "quick.one"


@pytest.fixture
async def bus(nats_server):
    connected = await Bus.connect(nats_server.url)
    yield connected
    await connected.close()


class CountingTasks:
    """Counts the tasks the running loop starts while it is installed."""

    def __init__(self) -> None:
        self.started = 0
        self._loop = asyncio.get_running_loop()
        self._factory = self._loop.get_task_factory()

    def __enter__(self) -> "CountingTasks":
        def factory(loop, coro, **options):
            self.started += 1
            return asyncio.Task(coro, loop=loop, **options)
        self._loop.set_task_factory(factory)
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.set_task_factory(self._factory)


async def stream_with(bus: Bus, count: int) -> JetStreamContext.PullSubscription:
    await bus.js.add_stream(name=STREAM, subjects=[SUBJECT])
    for n in range(count):
        await bus.js.publish(SUBJECT, f"m{n}".encode())
    return await bus.js.pull_subscribe(SUBJECT, durable="quick", stream=STREAM)


async def test_nats_py_still_has_what_the_quick_paths_read(bus):
    subscription = await stream_with(bus, 0)
    assert isinstance(subscription._sub._pending_queue, asyncio.Queue)
    assert isinstance(subscription._sub._pending_size, int)
    assert isinstance(bus.js._publish_async_pending_semaphore, asyncio.Semaphore)


async def test_a_fetched_batch_is_taken_whole_with_far_fewer_tasks(bus):
    subscription = await stream_with(bus, 200)
    with CountingTasks() as plain:
        first = await subscription.fetch(batch=100, timeout=2)
    quick_paths.take_queued_first(subscription)
    quick_paths.take_queued_first(subscription)  # idempotent
    with CountingTasks() as quick:
        second = await jetstream.fetch_batch(subscription, batch=100, timeout=2)
    assert [m.data for m in first + second] == [f"m{n}".encode() for n in range(200)]
    assert plain.started >= 100  # nats-py's own: at least one task a message
    assert quick.started < 10, quick.started
    assert subscription._sub._pending_size == 0
    for message in first + second:
        await message.ack()


async def test_with_nothing_queued_a_fetch_still_waits_for_what_comes_and_times_out_when_nothing_does(bus):
    subscription = await stream_with(bus, 0)
    quick_paths.take_queued_first(subscription)
    assert await jetstream.fetch_batch(subscription, batch=10, timeout=0.3) == []

    async def later():
        await asyncio.sleep(0.2)
        await bus.js.publish(SUBJECT, b"late")

    sending = asyncio.create_task(later())
    messages = await jetstream.fetch_batch(subscription, batch=10, timeout=3)
    await sending
    assert [m.data for m in messages] == [b"late"]
    await bus.nc.close()
    with pytest.raises(nats.errors.ConnectionClosedError):
        await jetstream.fetch_batch(subscription, batch=10, timeout=0.3)


async def test_publishes_take_a_free_slot_without_a_task_and_are_bounded_when_none_is(bus):
    await bus.js.add_stream(name=STREAM, subjects=[SUBJECT])
    assert quick_paths.stall_bound(bus.js, 10.0) is None
    publications = [Publication(SUBJECT, f"p{n}".encode(), f"id-{n}", "text/plain") for n in range(50)]
    with CountingTasks() as counted:
        acks = await publish_many(bus.js, publications)
    assert [ack.seq for ack in acks] == list(range(1, 51))
    assert counted.started < 5, counted.started
    semaphore = bus.js._publish_async_pending_semaphore
    taken = 0
    while not semaphore.locked():
        await semaphore.acquire()
        taken += 1
    try:
        assert quick_paths.stall_bound(bus.js, 10.0) == 10.0
    finally:
        for _ in range(taken):
            semaphore.release()
    info = await bus.js.stream_info(STREAM)
    assert info.state.messages == 50
    assert isinstance(acks[0], api.PubAck)


async def test_a_publish_the_stream_refuses_settles_with_the_refusal_at_once(bus, nats_server):
    await bus.js.add_stream(name=STREAM, subjects=[SUBJECT])
    quick_paths.settle_refused_publishes(bus.js)
    quick_paths.settle_refused_publishes(bus.js)  # idempotent
    assert bus.js._publish_async_futures == {}
    stale = {api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE: "99"}
    loop = asyncio.get_running_loop()
    started = loop.time()
    refused = await bus.js.publish_async(SUBJECT, b"x", headers=stale)
    accepted = await bus.js.publish_async(SUBJECT, b"y", headers={api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE: "0"})
    await asyncio.wait([refused, accepted], timeout=5)
    assert loop.time() - started < 2
    assert isinstance(refused.exception(), nats.errors.Error) and refused.exception().err_code == 10071
    assert accepted.result().seq == 1
    # publish_many names a refusal too, at once (it installs the handler itself, on a context of its own)
    other = await Bus.connect(nats_server.url)
    try:
        await other.js.add_stream(name="FULL", subjects=["full.one"], max_msgs=1, discard=api.DiscardPolicy.NEW)
        started = loop.time()
        kept, refusal = await publish_many(other.js, [Publication("full.one", b"a", "id-a", "text/plain"),
                                                      Publication("full.one", b"b", "id-b", "text/plain")])
        assert loop.time() - started < 2
        assert kept.seq == 1
        assert isinstance(refusal, BusError) and "maximum messages" in str(refusal).lower(), refusal
    finally:
        await other.close()
