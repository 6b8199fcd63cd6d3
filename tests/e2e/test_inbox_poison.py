"""A message the adapter cannot process, or that its member never acknowledges, is dead-lettered and stops blocking.

Real nats-server and adapters; the codec failure is injected into the running adapter
(a case its renderer chokes on), the never-acknowledging member is a real client.
"""

from __future__ import annotations

import asyncio

import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from kernel.config import InboxSettings
from kernel.jurisdictions import by_name
from tests.conftest import SHARED, Federation
from tests.support.bus import Bus, inbox_consumer
from tests.support.relay import eventually, read_items, submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL
HEBEI = by_name("hebei")
Reason = envelope_pb2.DeadLetterReason
MAX_DELIVER = 3


async def dead_letters(url: str) -> list[envelope_pb2.DeadLetter]:
    bus = await Bus.connect(url)
    try:
        return await bus.dead_letters(HEBEI.token)
    finally:
        await bus.close()


async def test_a_referral_that_cannot_be_rendered_is_dead_lettered_terminated_and_the_next_one_delivered(federation, nats_server,
                                                                                                      monkeypatch):
    await federation.start("beijing", "hebei")
    codec = federation.running["hebei"].relay.codec
    render = codec.encode

    def choking(cases):
        if cases[0].case_id == "jjj:BJ:BJ2026112400002001":
            raise ValueError("renderer cannot take this case")
        return render(cases)

    monkeypatch.setattr(codec, "encode", choking)  # the codec is shared by every adapter of the process
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    await beijing.SubmitDocument(submit_request(CHAOYANG, destination=case_pb2.JURISDICTION_HEBEI))

    (item,), call = await read_items(hebei, count=1, flows=[REFERRAL])
    assert item.envelope.referral.case.case_id != "jjj:BJ:BJ2026112400002001"
    (letter,) = await eventually(lambda: dead_letters(nats_server.url))
    assert letter.reason == Reason.DEAD_LETTER_REASON_UNPROCESSABLE
    assert (letter.subject, letter.delivery_count, letter.stream_sequence) == (f"jjj.referral.{HEBEI.token}.bj", 1, 1)
    assert letter.envelope_id == "jjj:BJ:BJ2026112400002001/referral/1"
    await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
    consumer = await inbox_consumer(nats_server.url, HEBEI.token, REFERRAL)
    assert (consumer.num_ack_pending, consumer.num_pending) == (0, 0)  # terminated: nothing left to redeliver
    call.cancel()


@pytest.fixture
async def few_deliveries(settings):
    inbox = InboxSettings(max_deliver=MAX_DELIVER, handover_seconds=0.2)
    federation = Federation(settings.model_copy(update={"inbox": inbox, "ack_wait_seconds": 1.0}))
    yield federation
    await federation.close()


async def test_a_referral_never_acknowledged_is_dead_lettered_at_its_last_delivery(few_deliveries, nats_server):
    federation = few_deliveries
    await federation.start("beijing", "hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    hebei = federation.stub("hebei")
    held = federation.running["hebei"].inboxes.held
    counts = []
    for _ in range(MAX_DELIVER - 1):  # the member takes it and goes away without acknowledging, each time
        (item,), call = await read_items(hebei, count=1, flows=[REFERRAL], timeout=15)
        counts.append(item.delivery_count)
        call.cancel()
        await eventually(lambda: _value(held.count() == 0), timeout=10)
    assert counts == list(range(1, MAX_DELIVER))

    call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[REFERRAL]))
    (letter,) = await eventually(lambda: dead_letters(nats_server.url), timeout=15)
    assert (letter.reason, letter.delivery_count) == (Reason.DEAD_LETTER_REASON_UNDELIVERABLE, MAX_DELIVER)
    assert letter.subject == f"jjj.referral.{HEBEI.token}.bj"
    with pytest.raises(asyncio.TimeoutError):  # never shown a last time
        await asyncio.wait_for(call.read(), 1.0)
    consumer = await inbox_consumer(nats_server.url, HEBEI.token, REFERRAL)
    assert (consumer.num_ack_pending, consumer.num_pending) == (0, 0)
    call.cancel()


async def _value(value):
    return value
