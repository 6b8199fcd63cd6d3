"""last_values against a real nats-server and a real KV bucket: one request for many keys."""

from __future__ import annotations

from kernel.bus.last_values import MOST_SUBJECTS, LastValue, last_values
from tests.support.bus import Bus

BUCKET = "JJJ_CASES_BJ"
STREAM = f"KV_{BUCKET}"


def subject(key: str) -> str:
    return f"$KV.{BUCKET}.{key}"


async def test_the_last_value_of_each_key_written_and_nothing_for_the_others(nats_server):
    bus = await Bus.connect(nats_server.url)
    try:
        kv = await bus.js.key_value(BUCKET)
        await kv.put("a", b"one")
        revision = await kv.put("a", b"two")
        b_revision = await kv.put("b", b"bee")
        await kv.put("gone", b"x")
        await kv.delete("gone")
        found = await last_values(bus.nc, STREAM, [subject(key) for key in ("a", "b", "gone", "never", "c")])
        assert found[subject("a")] == LastValue(b"two", revision)
        assert found[subject("b")] == LastValue(b"bee", b_revision)
        assert found[subject("gone")].data is None and found[subject("gone")].sequence > b_revision
        assert set(found) == {subject("a"), subject("b"), subject("gone")}
        assert await last_values(bus.nc, STREAM, [subject("never"), subject("nor")]) == {}
        assert await last_values(bus.nc, STREAM, []) == {}
    finally:
        await bus.close()


async def test_more_keys_than_one_request_may_name_are_read_in_several(nats_server):
    bus = await Bus.connect(nats_server.url)
    try:
        kv = await bus.js.key_value(BUCKET)
        keys = [f"k{n}" for n in range(MOST_SUBJECTS + 10)]
        for key in keys[::100]:
            await kv.put(key, key.encode())
        found = await last_values(bus.nc, STREAM, [subject(key) for key in keys])
        assert {name: value.data for name, value in found.items()} == {subject(k): k.encode() for k in keys[::100]}
    finally:
        await bus.close()


async def test_provisioning_allows_direct_gets_on_every_bucket_also_one_made_before(nats_server):
    from kernel.bus import jetstream

    bus = await Bus.connect(nats_server.url)
    try:
        stream = (await bus.js.stream_info(STREAM)).config
        assert stream.allow_direct  # as the fixture's provisioning made it
        stream.allow_direct = False
        await bus.js.update_stream(stream)
        await bus.js.delete_key_value("JJJ_REQUESTS_HE")
        await jetstream.provision(bus.js, duplicate_window=60)
        for bucket, _ in jetstream.bucket_layout():
            assert (await bus.js.stream_info(f"KV_{bucket}")).config.allow_direct, bucket
    finally:
        await bus.close()


def test_only_a_single_replica_bucket_answers_direct_gets():
    # A follower answering a direct get may be behind: an adapter reading its own write must reach the leader.
    from kernel.bus.jetstream import direct_reads

    assert direct_reads(1) and direct_reads(None) and not direct_reads(3)


# -- reads shared by concurrent readers ----------------------------------------------

class CountedReads:
    """last_values as the shared reader calls it, each call's subjects kept (and made to fail on demand)."""

    def __init__(self, monkeypatch) -> None:
        from kernel.bus import last_values as module

        self.calls: list[list[str]] = []
        self.failing: Exception | None = None
        real = module.last_values

        async def counted(nc, stream, subjects, timeout, replies=None):
            self.calls.append(list(subjects))
            if self.failing is not None:
                raise self.failing
            return await real(nc, stream, subjects, timeout=timeout, replies=replies)
        monkeypatch.setattr(module, "last_values", counted)


async def test_readers_that_come_while_a_read_is_out_share_the_next_one(nats_server, monkeypatch):
    import asyncio

    from kernel.bus.last_values import CoalescedLastValues

    bus = await Bus.connect(nats_server.url)
    try:
        kv = await bus.js.key_value(BUCKET)
        for key in ("a", "c", "e"):
            await kv.put(key, key.encode())
        reads = CountedReads(monkeypatch)
        reader = CoalescedLastValues(bus.nc, STREAM)
        together = await asyncio.gather(*(reader.read([subject(key)]) for key in "ab"))  # asked in one turn
        assert reads.calls == [[subject("a"), subject("b")]] and together == [{subject("a"): together[0][subject("a")]}, {}]
        reads.calls.clear()
        first = asyncio.ensure_future(reader.read([subject("a")]))
        while not reads.calls:  # until that read is out
            await asyncio.sleep(0)
        asked = [[subject(key)] for key in "bcde"] + [[subject("a"), subject("b")]]
        found = [await first, *await asyncio.gather(*(reader.read(subjects) for subjects in asked))]
        # The first went at once, alone; the others, asked meanwhile, went together, each subject once.
        assert reads.calls == [[subject("a")], [subject(key) for key in "bcdea"]]
        assert [{name: value.data for name, value in one.items()} for one in found] == [
            {subject("a"): b"a"}, {}, {subject("c"): b"c"}, {}, {subject("e"): b"e"}, {subject("a"): b"a"}]
        assert await reader.read([subject("c")]) == found[2]  # idle again: a lone read goes at once
        assert len(reads.calls) == 3
    finally:
        await bus.close()


async def test_every_reader_of_a_failed_read_gets_its_error_and_a_cancelled_one_harms_none(nats_server, monkeypatch):
    import asyncio

    import pytest

    from kernel.bus.last_values import CoalescedLastValues
    from kernel.errors import BusUnavailable

    bus = await Bus.connect(nats_server.url)
    try:
        kv = await bus.js.key_value(BUCKET)
        await kv.put("a", b"a")
        reads = CountedReads(monkeypatch)
        reader = CoalescedLastValues(bus.nc, STREAM)
        reads.failing = BusUnavailable("the bus went away")
        outcomes = await asyncio.gather(*(reader.read([subject(key)]) for key in "ab"), return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [BusUnavailable, BusUnavailable]
        reads.failing = None
        first = asyncio.ensure_future(reader.read([subject("a")]))
        given_up = asyncio.ensure_future(reader.read([subject("b")]))
        kept = asyncio.ensure_future(reader.read([subject("a")]))
        await asyncio.sleep(0)
        given_up.cancel()
        assert (await first)[subject("a")].data == b"a" and (await kept)[subject("a")].data == b"a"
        with pytest.raises(asyncio.CancelledError):
            await given_up
        assert reads.calls[-1] == [subject("a")]  # the cancelled reader's subject was not asked for
    finally:
        await bus.close()


async def test_a_reader_keeps_one_reply_subscription_and_a_late_reply_never_reaches_the_next_read(nats_server):
    import asyncio

    from kernel.bus.last_values import CoalescedLastValues, ReplyInboxes

    bus = await Bus.connect(nats_server.url)
    try:
        kv = await bus.js.key_value(BUCKET)
        await kv.put("a", b"one")
        reader = CoalescedLastValues(bus.nc, STREAM)
        before = len(bus.nc._subs)
        for _ in range(5):
            assert (await reader.read([subject("a")]))[subject("a")].data == b"one"
        assert len(bus.nc._subs) == before + 1  # one lasting subscription, not one per read

        replies = ReplyInboxes(bus.nc)
        gave_up, _ = await replies.open()
        replies.close(gave_up)  # a read that timed out
        inbox, queue = await replies.open()
        await bus.nc.publish(gave_up, b"late")
        await bus.nc.publish(inbox, b"mine")
        assert (await asyncio.wait_for(queue.get(), 2)).data == b"mine"
        await asyncio.sleep(0.1)
        assert queue.empty()
    finally:
        await bus.close()
