"""Looking at the bus the way an operator would (`nats stream info`, `nats consumer info`), for assertions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.js import JetStreamContext, api

from kernel.bus import subjects
from kernel.security import pki
from tests.support.secure import connect_as

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
