"""An inbox item is the member's while it holds it, and acknowledged on the server once it says so.

The inbox keeps a held item alive (JetStream would otherwise redeliver it after
ack_wait), and AcknowledgeInboxItem returns only after JetStream has taken the ack.
Both are read from the server's consumer state, not inferred from a quiet inbox.
"""

from __future__ import annotations

import asyncio

import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from kernel.jurisdictions import by_name
from tests.conftest import SHARED, Federation
from tests.support.bus import inbox_consumer, stream_sequence
from tests.support.relay import read_items, submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL
ACK_WAIT = 2.0
HEBEI = by_name("hebei").token


@pytest.fixture
async def short_ack_wait(settings):
    federation = Federation(settings.model_copy(update={"ack_wait_seconds": ACK_WAIT}))
    yield federation
    await federation.close()


async def test_an_item_held_longer_than_the_ack_wait_is_not_delivered_again(short_ack_wait, nats_server):
    federation = short_ack_wait
    await federation.start("beijing", "hebei")
    hebei = federation.stub("hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    (held,), call = await read_items(hebei, count=1, flows=[REFERRAL])

    # The member holds the item for twice the ack wait; JetStream must never have sent it again.
    loop = asyncio.get_running_loop()
    hold_until = loop.time() + 2 * ACK_WAIT
    while loop.time() < hold_until:
        consumer = await inbox_consumer(nats_server.url, HEBEI, REFERRAL)
        assert (consumer.num_redelivered, consumer.delivered.consumer_seq, consumer.num_ack_pending) == (0, 1, 1), consumer
        await asyncio.sleep(0.2)

    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=held.item_id))
    consumer = await inbox_consumer(nats_server.url, HEBEI, REFERRAL)
    assert (consumer.num_redelivered, consumer.num_ack_pending) == (0, 0)
    assert held.delivery_count == 1
    call.cancel()


async def test_an_acknowledged_item_is_acknowledged_on_the_server_when_the_call_returns(federation, nats_server):
    await federation.start("beijing", "hebei")
    hebei = federation.stub("hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    (item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    before = await inbox_consumer(nats_server.url, HEBEI, REFERRAL)
    assert before.num_ack_pending == 1

    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
    after = await inbox_consumer(nats_server.url, HEBEI, REFERRAL)
    assert after.num_ack_pending == 0
    assert after.ack_floor.stream_seq == stream_sequence(item.item_id)
    call.cancel()
