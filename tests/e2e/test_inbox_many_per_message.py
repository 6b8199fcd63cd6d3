"""An inbox session can carry several items in one message, when the member asks (items_per_message):
what is ready together comes together, in order, never more than asked; a member that asks for nothing
gets one item per message as before."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.servicer import responses_of
from jjj.adapter.v1 import adapter_pb2
from kernel.bus import jetstream, subjects
from kernel.config import InboxSettings
from kernel.jurisdictions import by_name
from kernel.security.keys import load_signer
from tests.conftest import Federation
from tests.e2e.test_inbox_window import HEBEI, SHARE, notice, publish_notices
from tests.support.bus import Bus

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
        assert len(responses) < WAITING  # some came together (fetched at once, up to the window)


FOLLOWING = 8


def items_of(response: adapter_pb2.OpenInboxResponse) -> list[adapter_pb2.InboxItem]:
    return list(response.items) or [response.item]


@pytest.fixture(params=[(0.0, 64), (1.0, 64), (1.0, 1)], ids=["no-gather", "gather", "one-per-message"])
async def gathering(settings, request):
    # A long gather in the test, so that a loaded machine cannot blur the difference it makes.
    gather_seconds, per_message = request.param
    federation = Federation(settings.model_copy(update={"inbox": InboxSettings(gather_seconds=gather_seconds)}))
    federation.gathers, federation.per_message = gather_seconds > 0 and per_message > 1, per_message
    yield federation
    await federation.close()


async def test_items_close_behind_a_shown_one_go_together_and_an_idle_inbox_shows_at_once(gathering, nats_server):
    await gathering.start("hebei")
    signer = load_signer(gathering.settings.signing_key_path("beijing"), "beijing")
    subject = subjects.subject(SHARE, HEBEI, by_name("beijing"))
    call = gathering.stub("hebei").OpenInbox(adapter_pb2.OpenInboxRequest(flows=[SHARE],
                                                                          items_per_message=gathering.per_message))
    bus = await Bus.connect(nats_server.url)
    try:
        await jetstream.publish_envelope(bus.js, subject, notice(0), signer=signer)
        first = await asyncio.wait_for(call.read(), 10)  # nothing shown before: it does not wait for company
        assert [item.envelope.envelope_id for item in items_of(first)] == ["share/bj/backlog/0"]
        for number in range(1, FOLLOWING + 1):  # one by one, 50 ms apart: well within the gather of 1 s
            await jetstream.publish_envelope(bus.js, subject, notice(number), signer=signer)
            await asyncio.sleep(0.05)
        responses, seen = [], 0
        while seen < FOLLOWING:
            responses.append(await asyncio.wait_for(call.read(), 10))
            seen += len(items_of(responses[-1]))
    finally:
        call.cancel()
        await bus.close()
    shown = [item.envelope.envelope_id for response in responses for item in items_of(response)]
    assert shown == [f"share/bj/backlog/{n}" for n in range(1, FOLLOWING + 1)]
    if gathering.gathers:
        assert len(responses) <= 2, [len(response.items) for response in responses]
    else:  # each shown as it came (a slow machine may still put a few together); one a message: never waited for
        assert len(responses) >= FOLLOWING // 2, [len(response.items) for response in responses]
