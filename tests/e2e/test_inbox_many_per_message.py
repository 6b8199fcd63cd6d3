"""An inbox session can carry several items in one message, when the member asks (items_per_message):
what is ready together comes together, in order, never more than asked; a member that asks for nothing
gets one item per message as before."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.servicer import responses_of
from jjj.adapter.v1 import adapter_pb2
from kernel.security.keys import load_signer
from tests.e2e.test_inbox_window import SHARE, publish_notices

WAITING = 40


def test_items_ready_together_are_split_into_messages_of_at_most_the_asked_number():
    items = [adapter_pb2.InboxItem(item_id=str(n)) for n in range(10)]
    assert [len(r.items) for r in responses_of(items, 4)] == [4, 4, 2]
    assert [i.item_id for r in responses_of(items, 4) for i in r.items] == [str(n) for n in range(10)]
    for per_message in (0, 1):
        one_each = responses_of(items, per_message)
        assert [r.item.item_id for r in one_each] == [str(n) for n in range(10)] and not any(r.items for r in one_each)


async def _read_all(stub, count: int, per_message: int) -> list[adapter_pb2.OpenInboxResponse]:
    call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[SHARE], items_per_message=per_message))
    responses, seen = [], 0
    try:
        while seen < count:
            response = await asyncio.wait_for(call.read(), 10)
            responses.append(response)
            seen += len(response.items) or 1
            await stub.AcknowledgeInboxItems(adapter_pb2.AcknowledgeInboxItemsRequest(
                item_ids=[item.item_id for item in response.items or [response.item]]))
    finally:
        call.cancel()
    return responses


@pytest.mark.parametrize("per_message", [0, 8])
async def test_a_member_gets_several_items_a_message_only_when_it_asks(federation, nats_server, per_message):
    await federation.start("hebei")
    await publish_notices(nats_server.url, load_signer(federation.settings.signing_key_path("beijing"), "beijing"),
                          WAITING)
    responses = await _read_all(federation.stub("hebei"), WAITING, per_message)
    items = [item for response in responses for item in (response.items or [response.item])]
    assert [item.envelope.envelope_id for item in items] == [f"share/bj/backlog/{n}" for n in range(WAITING)]
    if per_message == 0:
        assert len(responses) == WAITING and not any(response.items for response in responses)
    else:
        assert all(1 <= len(response.items) <= per_message and not response.HasField("item") for response in responses)
        assert len(responses) < WAITING  # some came together (16 fetched at once, the window)
