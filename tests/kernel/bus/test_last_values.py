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
