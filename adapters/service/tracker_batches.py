"""A state tracker's fetched batch taken case by case: the cases side by side, each one's messages in order.

Taking a batch one message after another costs a round trip for each (the record's
compare-and-set, then the ack), and a wake-up of the event loop and a socket write for each
of them. The cases of a batch are independent of each other (each one's record is its own),
so they are taken concurrently: the batch's record writes go out in one flush and so do its
acks. A case's own messages (a referral and the step after it) are still taken in stream order.
"""

from __future__ import annotations

import asyncio
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


async def take_by_case(messages: list[Msg], verify: Callable[[Msg], Verified | Refusal],
                       take: Callable[[Msg], Awaitable[None]]) -> None:
    """`take` every message; those of one case one after another in order, the cases concurrently."""
    keyed = [(message, case_key(message, verify(message))) for message in messages]

    async def in_order(group: list[tuple[Msg, Hashable]]) -> None:
        for message, _ in group:
            await take(message)

    await asyncio.gather(*(in_order(group) for group in in_case_order(keyed, key=lambda pair: pair[1])))
