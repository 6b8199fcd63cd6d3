"""Many messages published at once: every publish sent (in order, on one connection) before any
acknowledgement is awaited, then the acknowledgements awaited together. One round trip per batch
instead of one per message; each outcome is its own (a PubAck or the named bus error).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext, api

from kernel.bus.jetstream import PUBLISH_TIMEOUT_SECONDS, bus_errors, publish_bytes
from kernel.bus.quick_paths import settle_refused_publishes, stall_bound
from kernel.errors import BusError
from kernel.observability import tracing


@dataclass(frozen=True, slots=True)
class Publication:
    subject: str
    data: bytes
    msg_id: str
    content_type: str
    trace: object | None = None  # the context of the call that committed it: the referral stays one trace


async def publish_many(js: JetStreamContext, publications: Sequence[Publication]) -> list[api.PubAck | BusError]:
    """Each publication's PubAck, or the BusError it failed with, in the order given."""
    if len(publications) == 1:
        only = publications[0]
        try:
            with tracing.within(only.trace):
                return [await publish_bytes(js, only.subject, only.data, msg_id=only.msg_id, content_type=only.content_type)]
        except BusError as error:
            return [error]
    settle_refused_publishes(js)
    futures: list[asyncio.Future | BusError] = []
    for publication in publications:
        with tracing.within(publication.trace):
            headers = tracing.inject({api.Header.MSG_ID: publication.msg_id, "Content-Type": publication.content_type})
        try:
            with bus_errors(f"publishing {publication.msg_id} to {publication.subject}"):
                futures.append(await js.publish_async(publication.subject, publication.data, headers=headers,
                                                      wait_stall=stall_bound(js, PUBLISH_TIMEOUT_SECONDS)))
        except BusError as error:
            futures.append(error)
    waiting = [future for future in futures if isinstance(future, asyncio.Future)]
    if waiting:
        await asyncio.wait(waiting, timeout=PUBLISH_TIMEOUT_SECONDS)
    outcomes: list[api.PubAck | BusError] = []
    for publication, future in zip(publications, futures, strict=True):
        if isinstance(future, BusError):
            outcomes.append(future)
            continue
        try:
            with bus_errors(f"publishing {publication.msg_id} to {publication.subject}"):
                if not future.done():
                    future.cancel()
                    raise TimeoutError(f"no acknowledgement within {PUBLISH_TIMEOUT_SECONDS}s")
                outcomes.append(future.result())
        except BusError as error:
            outcomes.append(error)
    return outcomes
