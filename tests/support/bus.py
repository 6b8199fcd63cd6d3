"""Helpers for tests that look at the bus directly, as an operator (or an intruder) would."""

from __future__ import annotations

from nats.js.errors import NotFoundError

from kernel.bus import jetstream, subjects
from jjj.bus.v1 import envelope_pb2


class Bus:
    """A plain nats client on the federation's server."""

    def __init__(self, nc) -> None:
        self.nc = nc
        self.js = nc.jetstream()

    @classmethod
    async def connect(cls, url: str) -> "Bus":
        return cls(await jetstream.connect(url, name="test-bus"))

    async def close(self) -> None:
        await self.nc.close()

    async def stored(self, stream: str) -> list:
        """Every message a stream holds (RawStreamMsg: subject, data, seq)."""
        info = await self.js.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if not info.state.messages:
                break
            try:
                found.append(await self.js.get_msg(stream, seq))
            except NotFoundError:
                continue
        return found

    async def dead_letters(self, receiver_token: str | None = None) -> list[envelope_pb2.DeadLetter]:
        letters = [envelope_pb2.DeadLetter.FromString(m.data) for m in await self.stored(subjects.DEAD_LETTER_STREAM)]
        if receiver_token is None:
            return letters
        prefix = f"jjj.{subjects.DEAD_LETTER_TOKEN}.{receiver_token}."
        return [letter for letter, message in zip(letters, await self.stored(subjects.DEAD_LETTER_STREAM))
                if message.subject.startswith(prefix)]

    async def settled(self, stream: str, durable: str) -> bool:
        """The consumer has been given everything and holds nothing unacknowledged."""
        info = await self.js.consumer_info(stream, durable)
        return info.num_pending == 0 and info.num_ack_pending == 0

    async def inject(self, subject: str, data: bytes) -> int:
        """Publish raw bytes the way anyone with bus access could; returns the stream sequence."""
        return (await self.js.publish(subject, data, timeout=10)).seq
