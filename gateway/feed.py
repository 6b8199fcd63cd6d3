"""The gateway's readers of a stream share one ordered consumer of it.

The projection and the audit log both read every referral, step and receipt, each from its own
cursor; with a consumer each, the server delivered every message twice to this process and the
gateway decrypted, parsed and dispatched it twice. A feed makes one ordered consumer per stream,
starting at the lowest cursor of its readers, and hands each message to every reader whose cursor
it is past and whose subjects it is on, in stream order, one reader after the other in the order they
registered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from kernel.bus import jetstream

log = structlog.get_logger(__name__)
WHOLE_STREAM = ">"


@dataclass(frozen=True, slots=True)
class Reader:
    start_seq: int  # the first stream sequence it wants
    subject: str  # a filter such as "jjj.referral.>", or the whole stream
    on_message: Callable[[Msg], Awaitable[None]]

    def wants(self, subject: str, sequence: int) -> bool:
        return sequence >= self.start_seq and (self.subject == WHOLE_STREAM or subject.startswith(self.subject[:-1]))


def consumer_filter(readers: list[Reader]) -> str:
    """The one filter every reader of a stream uses, else the whole stream (each reader then filters)."""
    filters = {reader.subject for reader in readers}
    return filters.pop() if len(filters) == 1 else WHOLE_STREAM


@dataclass
class BusFeed:
    js: JetStreamContext
    owner: str = "gateway"
    _readers: dict[str, list[Reader]] = field(default_factory=dict)
    subscriptions: list = field(default_factory=list)

    def read(self, stream: str, *, start_seq: int, subject: str = WHOLE_STREAM,
             on_message: Callable[[Msg], Awaitable[None]]) -> None:
        """Register before `start`: `on_message` gets the stream's messages from `start_seq` on `subject`."""
        if not (subject == WHOLE_STREAM or subject.endswith(".>")):
            raise ValueError(f"a feed reader's subject is the whole stream or ends in .>, not {subject!r}")
        self._readers.setdefault(stream, []).append(Reader(max(start_seq, 1), subject, on_message))

    async def start(self) -> None:
        for stream, readers in self._readers.items():
            config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                                        opt_start_seq=min(reader.start_seq for reader in readers))
            self.subscriptions.append(await jetstream.ordered_subscribe(
                self.js, consumer_filter(readers), stream=stream, owner=self.owner, config=config,
                cb=self._dispatcher(readers)))

    @staticmethod
    def _dispatcher(readers: list[Reader]) -> Callable[[Msg], Awaitable[None]]:
        async def dispatch(message: Msg) -> None:
            sequence = message.metadata.sequence.stream
            for reader in readers:
                if reader.wants(message.subject, sequence):
                    try:
                        await reader.on_message(message)
                    except Exception:  # one reader's failure is its own: the others still get the message
                        log.exception("feed_reader_failed", subject=message.subject, stream_seq=sequence)
        return dispatch

    async def stop(self) -> None:
        for subscription in self.subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: S110 - the connection went first: nothing left to unsubscribe
                pass
        self.subscriptions.clear()
