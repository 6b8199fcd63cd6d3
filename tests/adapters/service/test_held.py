"""Held inbox items and acknowledgements in flight: an item being acknowledged is never handed to another session.

The bus is stood in for by messages whose acknowledgement the test answers when it wants
(a pure sequencing question: which session may show what, while an ack is on its way)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import nats.errors
import pytest

from adapters.service.acknowledged import AcknowledgedLog, log_path
from adapters.service.held import HeldItems
from kernel import jurisdictions
from kernel.config import InboxSettings
from kernel.errors import BusError
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

REFERRAL = envelope_pb2.FLOW_REFERRAL


class BusMessage:
    """A fetched message whose ack the test answers: `answer()` to take it, `fail()` to time it out."""

    def __init__(self, sequence: int) -> None:
        self.metadata = SimpleNamespace(stream="JJJ_REFERRALS", sequence=SimpleNamespace(stream=sequence), num_delivered=1)
        self.data = b"envelope bytes"
        self.ack_started = asyncio.Event()
        self._answer: asyncio.Future = asyncio.get_running_loop().create_future()

    async def ack(self) -> None:
        self.ack_started.set()
        await self._answer

    def answer(self) -> None:
        self._answer.set_result(None)

    def fail(self) -> None:
        self._answer.set_exception(nats.errors.TimeoutError())


class Relay:
    nc = SimpleNamespace(is_connected=True)
    member = jurisdictions.by_name("hebei")

    def __init__(self) -> None:
        self.receipts_sent: list[list] = []  # one list per send: what travels together

    async def send_receipts(self, receipts) -> None:
        self.receipts_sent.append(list(receipts))


def held_items_with(tmp_path, limits: InboxSettings) -> HeldItems:
    return HeldItems(Relay(), AcknowledgedLog(log_path(tmp_path, "hebei"), retention_seconds=86400.0), limits, 30.0)


@pytest.fixture
async def held_items(tmp_path):
    items = held_items_with(tmp_path, InboxSettings(handover_grace_seconds=0.0))
    yield items
    items.acknowledged.close()


def shown_to(held_items: HeldItems, session: object, message: BusMessage):
    held = held_items.take(message, session, REFERRAL)
    envelope = envelope_pb2.Envelope(envelope_id=f"jjj:BJ:{message.metadata.sequence.stream}/referral/1", flow=REFERRAL,
                                     sender=jurisdictions.by_name("beijing").enum)
    held_items.mark_shown(held, envelope, adapter_pb2.InboxItem(item_id=held.item_id, envelope=envelope))
    return held


async def acknowledging_as_its_session_ends(held_items: HeldItems, message: BusMessage):
    """An item shown on one session, its acknowledgement sent, and the session ended while the bus has the ack."""
    session = object()
    held = shown_to(held_items, session, message)
    acknowledging = asyncio.create_task(held_items.acknowledge(held.item_id))
    await message.ack_started.wait()
    held_items.park(session)
    held_items.parked_changed.clear()
    return held, acknowledging


async def test_an_item_whose_acknowledgement_is_in_flight_is_not_handed_to_the_next_session(held_items):
    next_session, message = object(), BusMessage(7)
    _, acknowledging = await acknowledging_as_its_session_ends(held_items, message)
    assert held_items.take_parked(next_session, [REFERRAL]) is None
    message.answer()
    assert await acknowledging == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
    assert held_items.take_parked(next_session, [REFERRAL]) is None
    assert held_items.count() == 0


async def test_an_item_whose_acknowledgement_failed_is_handed_over_then(held_items):
    next_session, message = object(), BusMessage(8)
    held, acknowledging = await acknowledging_as_its_session_ends(held_items, message)
    message.fail()
    with pytest.raises(BusError):
        await acknowledging
    assert held_items.parked_changed.is_set()  # a session waiting for parked items looks again
    assert held_items.take_parked(next_session, [REFERRAL]) is held


async def test_a_parked_item_waits_out_the_grace_before_another_session_may_take_it(tmp_path):
    held_items = held_items_with(tmp_path, InboxSettings(handover_grace_seconds=0.2))
    first_session, next_session = object(), object()
    held = shown_to(held_items, first_session, BusMessage(9))
    held_items.park(first_session)  # an acknowledgement the member sent just before may still be on its way
    assert held_items.take_parked(next_session, [REFERRAL]) is None
    await asyncio.sleep(0.25)
    assert held_items.take_parked(next_session, [REFERRAL]) is held
    held_items.acknowledged.close()


async def test_a_grace_that_ended_between_two_late_ticks_still_wakes_the_waiting_sessions(tmp_path):
    held_items = held_items_with(tmp_path, InboxSettings(handover_grace_seconds=1.0))
    session = object()
    held = shown_to(held_items, session, BusMessage(11))
    held_items.park(session)
    parked = held.parked_at
    assert not held_items.graces_ended(parked, parked + 0.9)  # not over yet
    # The loop was busy: the tick after parked + 0.9 came at parked + 1.6, well past the grace's end.
    assert held_items.graces_ended(parked + 0.9, parked + 1.6)
    assert not held_items.graces_ended(parked + 1.6, parked + 1.9)  # told once
    held_items.acknowledged.close()


async def test_the_receipts_of_one_acknowledgement_batch_are_sent_together_after_the_record(held_items):
    session, messages = SimpleNamespace(room_changed=lambda: None), [BusMessage(n) for n in (21, 22, 23)]
    helds = [shown_to(held_items, session, message) for message in messages]
    for message in messages:
        message.answer()
    results = await held_items.acknowledge_many([held.item_id for held in helds])
    assert results == [adapter_pb2.ACK_RESULT_ACKNOWLEDGED] * 3
    (together,) = held_items.relay.receipts_sent
    assert [r.receipt.envelope_id for r in together] == [f"jjj:BJ:{n}/referral/1" for n in (21, 22, 23)]
    assert {r.destination for r in together} == {jurisdictions.by_name("beijing").enum}
    for held in helds:  # recorded before they were sent
        assert await held_items.acknowledged.by_item(held.item_id) is not None
