"""A tracker's batch: the cases taken side by side, each case's messages in stream order."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from adapters.service.tracker_batches import case_key, in_case_order, take_in_rounds
from kernel.security.envelopes import Reason, Refusal, Verified
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2


class Message:
    def __init__(self, name: str, case_id: str = "", *, receipt: bool = False, refused: bool = False) -> None:
        self.name, self.case_id, self.receipt, self.refused = name, case_id, receipt, refused

    def checked(self) -> Verified | Refusal:
        if self.refused:
            return Refusal(Reason.DEAD_LETTER_REASON_BAD_SIGNATURE, "no")
        if self.receipt:
            envelope = envelope_pb2.Envelope(receipt=envelope_pb2.Receipt(case_id=self.case_id))
        else:
            envelope = envelope_pb2.Envelope(status_update=envelope_pb2.StatusUpdate(
                case_id=self.case_id, status=case_pb2.STATUS_ACCEPTED))
        return Verified(envelope, None)


@given(st.lists(st.integers(min_value=0, max_value=5)))
def test_the_groups_partition_the_items_and_keep_their_order(keys):
    items = list(enumerate(keys))
    groups = in_case_order(items, key=lambda item: item[1])
    assert sorted(item for group in groups for item in group) == items
    for group in groups:
        assert len({key for _, key in group}) == 1
        assert group == sorted(group)
    assert [group[0][1] for group in groups] == list(dict.fromkeys(keys))  # in the order of their first item
    assert len(groups) == len(set(keys))


def test_a_receipt_is_ordered_with_the_case_it_proves_delivery_of():
    step, receipt = Message("s", "CASE-1"), Message("r", "CASE-1", receipt=True)
    assert case_key(step, step.checked()) == case_key(receipt, receipt.checked())


def test_refused_messages_and_messages_without_a_case_are_each_on_their_own():
    first, second = Message("a", refused=True), Message("b", refused=True)
    caseless, other = Message("c", ""), Message("d", "")
    keys = {case_key(m, m.checked()) for m in (first, second, caseless, other)}
    assert len(keys) == 4


def test_each_round_holds_one_message_of_each_case_and_each_case_goes_in_order():
    batch = [Message("a1", "A"), Message("a2", "A"), Message("b1", "B"), Message("a3", "A"), Message("b2", "B"),
             Message("x", refused=True)]
    rounds: list[list[str]] = []

    async def take_round(messages: list[Message]) -> None:
        await asyncio.sleep(0)
        rounds.append([message.name for message in messages])

    asyncio.run(take_in_rounds(batch, lambda m: m.checked(), take_round))
    assert rounds == [["a1", "b1", "x"], ["a2", "b2"], ["a3"]]
    asyncio.run(take_in_rounds([], lambda m: m.checked(), take_round))
    assert len(rounds) == 3  # nothing fetched: no round


@given(st.lists(st.integers(min_value=0, max_value=4), max_size=30))
def test_rounds_take_every_message_once_with_no_case_twice_in_a_round(keys):
    batch = [Message(f"m{n}", f"CASE-{key}") for n, key in enumerate(keys)]
    rounds: list[list[Message]] = []

    async def take_round(messages):
        rounds.append(messages)

    asyncio.run(take_in_rounds(batch, lambda m: m.checked(), take_round))
    assert sorted(m.name for r in rounds for m in r) == sorted(m.name for m in batch)
    for taken in rounds:
        assert len({m.case_id for m in taken}) == len(taken)
    order = [m.name for r in rounds for m in r]
    for key in set(keys):
        mine = [m.name for m in batch if m.case_id == f"CASE-{key}"]
        assert [name for name in order if name in mine] == mine
