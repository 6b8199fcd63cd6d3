"""A state tracker's fetched batch taken in rounds: each round one message of each case, a case's messages in order.

Taking a batch one message after another costs a round trip for each (the record's
compare-and-set, then the ack), and a wake-up of the event loop and a socket write for each
of them. The cases of a batch are independent of each other (each one's record is its own),
so a round holds one message of every case still to go: its records are written as one batch
(adapters/service/inbound.py) and its acks go out together. A case's own messages (a referral and
the step after it) are in consecutive rounds, in stream order. A task per case (the first way:
the cases side by side in `asyncio.gather`) cost each message a task and its wake-ups.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

from nats.aio.msg import Msg

from kernel.bus.envelopes import case_id_of
from kernel.security.envelopes import Refusal, Verified

Item = TypeVar("Item")


def in_case_order(items: Iterable[Item], key: Callable[[Item], Hashable]) -> list[list[Item]]:
    """The items grouped by key, the groups in the order of their first item, each group in the items' order."""
    groups: dict[Hashable, list[Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


def case_key(message: Msg, checked: Verified | Refusal) -> Hashable:
    """What orders a message among the others of its batch: its case (a receipt: the case it proves delivery of).
    A refused message, or one that names no case, is ordered with nothing else."""
    if isinstance(checked, Refusal):
        return ("message", id(message))
    envelope = checked.envelope
    case_id = envelope.receipt.case_id if envelope.HasField("receipt") else case_id_of(envelope)
    return ("case", case_id) if case_id else ("message", id(message))


async def take_in_rounds(messages: list[Msg], verify: Callable[[Msg], Verified | Refusal],
                         take_round: Callable[[list[Msg]], Awaitable[None]]) -> None:
    """`take_round` of the first message of every case, then of every second one, and so on."""
    groups = in_case_order([(message, case_key(message, verify(message))) for message in messages], key=lambda pair: pair[1])
    for depth in range(max((len(group) for group in groups), default=0)):
        await take_round([group[depth][0] for group in groups if len(group) > depth])
