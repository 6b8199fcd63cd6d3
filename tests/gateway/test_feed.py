"""The gateway's readers share one ordered consumer per stream: each gets what it asked for, once, in order."""

from __future__ import annotations

import asyncio

import pytest

from gateway.feed import WHOLE_STREAM, BusFeed, Reader, consumer_filter
from kernel.security import pki
from tests.support.secure import connect_as


async def _nothing(message) -> None:
    return None


def test_a_reader_wants_what_is_past_its_cursor_on_its_subjects():
    referrals = Reader(3, "jjj.referral.>", _nothing)
    assert referrals.wants("jjj.referral.he.bj", 3) and not referrals.wants("jjj.referral.he.bj", 2)
    assert not referrals.wants("jjj.referrals.he.bj", 5) and not referrals.wants("jjj.share.he.bj", 5)
    assert Reader(1, WHOLE_STREAM, _nothing).wants("jjj.digest.he.bj", 1)


def test_the_consumer_filters_only_when_every_reader_asks_the_same():
    assert consumer_filter([Reader(1, "jjj.share.>", _nothing), Reader(9, "jjj.share.>", _nothing)]) == "jjj.share.>"
    assert consumer_filter([Reader(1, "jjj.share.>", _nothing), Reader(1, WHOLE_STREAM, _nothing)]) == WHOLE_STREAM


def test_a_subject_that_is_no_prefix_filter_is_refused():
    with pytest.raises(ValueError, match="jjj.share.he.bj"):
        BusFeed(js=None).read("JJJ_SHARES", start_seq=1, subject="jjj.share.he.bj", on_message=_nothing)


async def test_two_readers_of_a_stream_get_their_own_part_of_it_from_one_consumer(nats_server, pki_layout):
    nc = await connect_as(nats_server.url, pki_layout, pki.GATEWAY)
    operator = await connect_as(nats_server.url, pki_layout)
    try:
        js, publishing = nc.jetstream(), operator.jetstream()
        subjects = ["jjj.share.he.bj", "jjj.digest.he.bj", "jjj.share.bj.tj", "jjj.digest.tj.he", "jjj.share.tj.he"]
        first = (await publishing.publish(subjects[0], b"0")).seq
        for n, subject in enumerate(subjects[1:], start=1):
            await publishing.publish(subject, str(n).encode())
        audit, projection = [], []

        async def audited(message) -> None:
            audit.append((message.metadata.sequence.stream, message.data))

        async def projected(message) -> None:
            projection.append((message.metadata.sequence.stream, message.data))

        feed = BusFeed(js)
        feed.read("JJJ_SHARES", start_seq=first + 1, on_message=audited)  # cursor after the first message
        feed.read("JJJ_SHARES", start_seq=first, subject="jjj.share.>", on_message=projected)
        await feed.start()
        try:
            async def both_done() -> None:
                while len(audit) < 4 or len(projection) < 3:
                    await asyncio.sleep(0.02)
            await asyncio.wait_for(both_done(), 10)
            await asyncio.sleep(0.2)  # nothing more comes
            assert [data for _, data in audit] == [b"1", b"2", b"3", b"4"]
            assert [data for _, data in projection] == [b"0", b"2", b"4"]
            assert [seq for seq, _ in audit] == sorted(seq for seq, _ in audit)
            consumers = await publishing.consumers_info("JJJ_SHARES")
            assert len(consumers) == 1 and consumers[0].config.filter_subject in (None, "", ">")
        finally:
            await feed.stop()
    finally:
        await nc.close()
        await operator.close()


async def test_a_reader_that_fails_on_a_message_does_not_keep_it_from_the_other(nats_server, pki_layout):
    nc = await connect_as(nats_server.url, pki_layout, pki.GATEWAY)
    operator = await connect_as(nats_server.url, pki_layout)
    try:
        for n in range(3):
            await operator.jetstream().publish("jjj.share.he.bj", str(n).encode())
        taken = []

        async def failing(message) -> None:
            raise RuntimeError("a reader's own bug")

        async def taking(message) -> None:
            taken.append(message.data)

        feed = BusFeed(nc.jetstream())
        feed.read("JJJ_SHARES", start_seq=1, on_message=failing)
        feed.read("JJJ_SHARES", start_seq=1, on_message=taking)
        await feed.start()
        try:
            async def all_taken() -> None:
                while len(taken) < 3:
                    await asyncio.sleep(0.02)
            await asyncio.wait_for(all_taken(), 10)
            assert taken == [b"0", b"1", b"2"]
        finally:
            await feed.stop()
    finally:
        await nc.close()
        await operator.close()
