"""Looking at the bus the way an operator (or an intruder) would (`nats stream info`, `nats consumer info`), for assertions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from kernel.bus import subjects
from kernel.security import pki
from tests.support.secure import connect_as
from jjj.bus.v1 import envelope_pb2

# The session's PKI (tests/conftest.py sets it): the inspector looks as the operator principal.
_session_pki: pki.PkiLayout | None = None


def use_pki(layout: pki.PkiLayout) -> None:
    global _session_pki
    _session_pki = layout


@asynccontextmanager
async def inspecting(url: str) -> AsyncIterator[JetStreamContext]:
    assert _session_pki is not None, "the pki_layout fixture sets the operator's identity first"
    nc = await connect_as(url, _session_pki)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


async def messages_on(url: str, flow: int, subject_filter: str = "") -> dict[str, int]:
    """Messages the flow's stream holds, per subject (only those matching `subject_filter`, a NATS wildcard)."""
    route = subjects.route_of(flow)
    async with inspecting(url) as js:
        info = await js.stream_info(route.stream, subjects_filter=subject_filter or f"jjj.{route.token}.>")
    return dict(info.state.subjects or {})


async def inbox_consumer(url: str, member_token: str, flow: int) -> api.ConsumerInfo:
    """The server's view of a member's inbox consumer for one flow: what is pending, acknowledged, redelivered."""
    async with inspecting(url) as js:
        return await js.consumer_info(subjects.route_of(flow).stream, subjects.durable_name("inbox", member_token, flow))


def stream_sequence(item_id: str) -> int:
    """An inbox item id is `<stream>:<stream sequence>`."""
    return int(item_id.rsplit(":", 1)[1])


class Bus:
    """A plain nats client on the federation's server."""

    def __init__(self, nc) -> None:
        self.nc = nc
        self.js = nc.jetstream()

    @classmethod
    async def connect(cls, url: str) -> "Bus":
        assert _session_pki is not None, "the pki_layout fixture sets the operator's identity first"
        return cls(await connect_as(url, _session_pki))

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

    async def inject(self, subject: str, data: bytes, headers: dict[str, str] | None = None) -> int:
        """Publish raw bytes the way anyone with bus access could; returns the stream sequence."""
        return (await self.js.publish(subject, data, timeout=10, headers=headers)).seq
