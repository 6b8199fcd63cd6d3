"""A tracker's batch: the cases taken side by side, each case's messages in stream order."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from adapters.service.tracker_batches import case_key, in_case_order, take_by_case
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


def test_cases_are_taken_concurrently_and_each_case_in_order():
    # Case A's first message waits until case B's first has started: taken one after another, this never ends.
    batch = [Message("a1", "A"), Message("a2", "A"), Message("b1", "B"), Message("a3", "A"), Message("b2", "B")]
    b_started = asyncio.Event()
    taken: list[str] = []

    async def take(message: Message) -> None:
        if message.name == "a1":
            await asyncio.wait_for(b_started.wait(), 5)
        if message.name == "b1":
            b_started.set()
        await asyncio.sleep(0)
        taken.append(message.name)

    asyncio.run(take_by_case(batch, lambda m: m.checked(), take))
    assert sorted(taken) == sorted(m.name for m in batch)
    assert [name for name in taken if name.startswith("a")] == ["a1", "a2", "a3"]
    assert [name for name in taken if name.startswith("b")] == ["b1", "b2"]
    assert taken.index("b1") < taken.index("a1")


def test_a_case_message_waits_for_the_one_before_it():
    batch = [Message("a1", "A"), Message("a2", "A")]
    log: list[str] = []

    async def take(message: Message) -> None:
        log.append(f"start {message.name}")
        await asyncio.sleep(0.01)
        log.append(f"end {message.name}")

    asyncio.run(take_by_case(batch, lambda m: m.checked(), take))
    assert log == ["start a1", "end a1", "start a2", "end a2"]
