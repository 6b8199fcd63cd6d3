"""A session holds at most its window: a member that reads slowly, or comes and goes, costs the bus nothing.

Real nats-server and real adapters over mutual TLS; what the adapter holds is counted
(the items it has taken from the bus and not settled), not guessed from its memory use.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from adapters.service import held as held_module
from adapters.service import inbox as inbox_module
from kernel.bus import jetstream, subjects
from kernel.config import InboxSettings
from kernel.jurisdictions import by_name
from kernel.security.keys import load_signer
from tests.conftest import SHARED, Federation
from tests.support.bus import Bus, inbox_consumer, messages_on
from tests.support.relay import read_items, submit_request, take

SAMPLES = SHARED / "jurisdictions/beijing/samples/valid"
REFERRAL, SHARE = envelope_pb2.FLOW_REFERRAL, envelope_pb2.FLOW_INFORMATION_SHARE
HEBEI = by_name("hebei")
WINDOW = 8
WAITING = 2000
ROUNDS = 150


@pytest.fixture
async def small_window(settings):
    federation = Federation(settings.model_copy(update={"inbox": InboxSettings(window=WINDOW, fetch_batch=4)}))
    yield federation
    await federation.close()


async def test_opening_and_cancelling_sessions_at_random_moments_does_not_spend_deliveries(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    for name in ("bj_rx_transfer_sanhe.json", "bj_rx_complaint_chaoyang.json", "bj_rx_quality_flags.json"):
        await beijing.SubmitDocument(submit_request(SAMPLES / name, destination=case_pb2.JURISDICTION_HEBEI))
    assert sum((await messages_on(nats_server.url, REFERRAL, f"jjj.referral.{HEBEI.token}.*")).values()) == 3
    rng = random.Random(20261201)
    for _ in range(ROUNDS):
        call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[REFERRAL]))
        try:  # cancelled before anything came, while an item is on its way, or after some were read
            for _ in range(rng.randrange(3)):
                await asyncio.wait_for(call.read(), rng.uniform(0, 0.05))
        except asyncio.TimeoutError:
            pass
        call.cancel()

    items = await take(hebei, 3, flows=[REFERRAL])
    assert len({item.item_id for item in items}) == 3
    consumer = await inbox_consumer(nats_server.url, HEBEI.token, REFERRAL)
    # Every delivery JetStream made counts in the consumer sequence: the churn spent (almost) none.
    # (Before the window and the hand-over, each session fetched ahead and returned everything: one delivery each.)
    assert consumer.delivered.consumer_seq <= 3 * 2, consumer
    assert (consumer.num_ack_pending, consumer.num_pending) == (0, 0)
    bus = await Bus.connect(nats_server.url)
    try:
        assert await bus.dead_letters(HEBEI.token) == []
    finally:
        await bus.close()


async def publish_notices(url: str, signer, count: int) -> None:
    bus = await Bus.connect(url)
    try:
        subject = subjects.subject(SHARE, HEBEI, by_name("beijing"))
        for start in range(0, count, 200):
            await asyncio.gather(*(jetstream.publish_envelope(bus.js, subject, notice(n), signer=signer)
                                   for n in range(start, min(count, start + 200))))
    finally:
        await bus.close()


def notice(number: int) -> envelope_pb2.Envelope:
    envelope = envelope_pb2.Envelope(
        envelope_id=f"share/bj/backlog/{number}", flow=SHARE, sender=by_name("beijing").enum, destination=HEBEI.enum,
        information_share=envelope_pb2.InformationShare(topic=envelope_pb2.SHARE_TOPIC_NOTICE,
                                                        classification=envelope_pb2.CLASSIFICATION_INTERNAL,
                                                        title=f"notice {number}", audience=[HEBEI.enum]))
    envelope.sent_at.GetCurrentTime()
    return envelope


async def test_a_slow_member_leaves_the_backlog_on_the_bus_and_the_adapter_holds_at_most_the_window(small_window, nats_server):
    federation = small_window
    await federation.start("hebei")
    await publish_notices(nats_server.url, load_signer(federation.settings.signing_key_path("beijing"), "beijing"), WAITING)
    hebei = federation.stub("hebei")
    held = federation.running["hebei"].inboxes.held
    items, call = await read_items(hebei, count=1, flows=[SHARE])
    most = held.count()
    for _ in range(40):  # the member reads one at a time, slowly
        await asyncio.sleep(0.02)
        most = max(most, held.count())
        await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=items[-1].item_id))
        items.append((await asyncio.wait_for(call.read(), 10)).item)
        most = max(most, held.count())
    assert 1 <= most <= WINDOW
    consumer = await inbox_consumer(nats_server.url, HEBEI.token, SHARE)
    assert consumer.num_pending >= WAITING - 41 - WINDOW  # the rest waits on the bus
    assert consumer.num_ack_pending <= WINDOW
    assert [item.envelope.envelope_id for item in items] == [f"share/bj/backlog/{n}" for n in range(41)]
    call.cancel()

    # The member comes back: the items the closed session held come first, in order, within the window still.
    call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[SHARE]))
    again = []
    for _ in range(2 * WINDOW):
        again.append((await asyncio.wait_for(call.read(), 10)).item)
        most = max(most, held.count())
        await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=again[-1].item_id))
    assert most <= WINDOW
    assert [item.envelope.envelope_id for item in again] == [f"share/bj/backlog/{n}" for n in range(40, 40 + 2 * WINDOW)]
    assert again[0].item_id == items[-1].item_id and again[0].delivery_count == 2
    call.cancel()


@pytest.fixture
async def long_ack_wait(settings):
    federation = Federation(settings.model_copy(update={"ack_wait_seconds": 60.0}))
    yield federation
    await federation.close()


async def test_what_a_stopping_adapter_held_comes_back_at_once_and_in_order(long_ack_wait, nats_server):
    federation = long_ack_wait
    await federation.start("hebei")
    await publish_notices(nats_server.url, load_signer(federation.settings.signing_key_path("beijing"), "beijing"), 5)
    (first, second), call = await read_items(federation.stub("hebei"), count=2, flows=[SHARE])
    await federation.stub("hebei").AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=second.item_id))
    call.cancel()
    await federation.stop("hebei")  # holds the first (shown, not acknowledged) and what it fetched after it

    await federation.start("hebei")
    started = asyncio.get_running_loop().time()
    items, call = await read_items(federation.stub("hebei"), count=4, flows=[SHARE], timeout=20)
    waited = asyncio.get_running_loop().time() - started
    assert [item.envelope.envelope_id for item in items] == [f"share/bj/backlog/{n}" for n in (0, 2, 3, 4)]
    assert items[0].item_id == first.item_id and items[0].delivery_count == 2
    assert waited < 30  # not the 60 s ack wait: returned to the bus (nak) when the adapter stopped
    call.cancel()





async def test_what_an_adapter_held_comes_back_at_once_when_its_sessions_are_slow_to_end(long_ack_wait, nats_server,
                                                                                       monkeypatch):
    # A cancelled session's pump leaves its pull waiting on the server until the session unsubscribes. Given
    # back before that (the stop did not wait for it), an item could go straight to that pull, into the
    # stopping process, and wait out the 60 s ack wait. A busy loop makes the clean-up slow: here, on purpose.
    # Losing them is a race (a round in a dozen before the fix), so the order is asserted too: every
    # unsubscribe of the stop before its first give-back (before the fix, always the other way round).
    unsubscribe, give_back = inbox_module._unsubscribe, held_module._nak
    order: list[str] = []

    async def slow_unsubscribe(subscription):
        await asyncio.sleep(0.5)
        await unsubscribe(subscription)
        order.append("unsubscribed")

    async def recorded_give_back(message):
        order.append("given back")
        await give_back(message)

    monkeypatch.setattr(inbox_module, "_unsubscribe", slow_unsubscribe)
    monkeypatch.setattr(held_module, "_nak", recorded_give_back)
    federation = long_ack_wait
    await federation.start("hebei")
    await publish_notices(nats_server.url, load_signer(federation.settings.signing_key_path("beijing"), "beijing"), 5)
    waiting = [f"share/bj/backlog/{n}" for n in range(5)]
    for _ in range(4):
        items, call = await read_items(federation.stub("hebei"), count=len(waiting), flows=[SHARE], timeout=15)
        assert [item.envelope.envelope_id for item in items] == waiting
        await federation.stub("hebei").AcknowledgeInboxItem(
            adapter_pb2.AcknowledgeInboxItemRequest(item_id=items[1].item_id))
        del waiting[1]
        order.clear()
        await federation.stop("hebei")  # the member still reading: the stop ends its session
        assert order == ["unsubscribed"] + ["given back"] * len(waiting)
        call.cancel()
        await federation.start("hebei")
    assert waiting == ["share/bj/backlog/0"]
