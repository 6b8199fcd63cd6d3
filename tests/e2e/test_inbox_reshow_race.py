"""An item shown by a session that ended, acknowledged from that showing while a new session is preparing to
show it again, is not shown again: the member would see it after its acknowledgement was answered (the
stream-cancel fault found one such item in 2,000, with 200 cancellations)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from kernel.jurisdictions import by_name
from tests.conftest import SHARED
from tests.support.bus import inbox_consumer
from tests.support.relay import eventually, read_items, submit_request

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
REFERRAL = envelope_pb2.FLOW_REFERRAL


async def test_an_item_acknowledged_from_its_last_showing_while_shown_again_is_not_shown(federation, nats_server):
    await federation.start("beijing", "hebei")
    hebei = federation.stub("hebei")
    await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
    (item,), first = await read_items(hebei, count=1, flows=[REFERRAL])
    first.cancel()  # the session ends: the item waits, parked, for the member's next session
    inboxes = federation.running["hebei"].inboxes
    await asyncio.sleep(inboxes.limits.handover_grace_seconds + 0.3)

    keep_shown = inboxes.acknowledged.flush_shown
    answered: list[int] = []

    async def acknowledged_meanwhile():
        # The member's acknowledgement of the first showing arrives while the new session keeps what it shows.
        if not answered:
            answered.append(await inboxes.acknowledge(item.item_id))
        await keep_shown()

    inboxes.acknowledged.flush_shown = acknowledged_meanwhile
    second = hebei.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[REFERRAL]))
    try:
        await eventually(lambda: asyncio.sleep(0, bool(answered)), timeout=10)
        assert answered == [adapter_pb2.ACK_RESULT_ACKNOWLEDGED]
        with pytest.raises(asyncio.TimeoutError):
            shown = await asyncio.wait_for(second.read(), 1.5)
            pytest.fail(f"shown again after its acknowledgement was answered: {shown}")
    finally:
        second.cancel()
        with pytest.raises((asyncio.CancelledError, grpc.aio.AioRpcError)):
            await second.read()
    consumer = await inbox_consumer(nats_server.url, by_name("hebei").token, REFERRAL)
    assert consumer.num_ack_pending == 0
