"""Where in a stream a reader that starts by time begins: the sequence of the first message since then.

A reader that wants "everything of the last two days" (the gateway's cluster sightings) can share a
consumer with readers that start at a cursor only if it too starts at a sequence (gateway/feed.py).
The stream answers by time itself: STREAM.MSG.GET with `start_time` returns its first message stored
at or after it (nats-server 2.11 and later), and STREAM.INFO the next sequence when there is none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nats.aio.client import Client

from kernel.bus.jetstream import API_ANSWER_SECONDS, JS_API, bus_errors
from kernel.errors import BusRefused

NO_MESSAGE_FOUND = 10037  # JSNoMessageFoundErr


def rfc3339(moment: datetime) -> str:
    """How the JetStream API writes a time: UTC, nanosecond precision allowed, a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def first_sequence_since(nc: Client, stream: str, since: datetime) -> int:
    """The stream sequence of the first message stored at or after `since`; when none is, the sequence the
    next message will have (a reader starting there misses nothing that comes)."""
    found = await _ask(nc, f"{JS_API}.STREAM.MSG.GET.{stream}", {"start_time": rfc3339(since)},
                       doing=f"finding the first message of {stream} since {rfc3339(since)}")
    if "message" in found:
        return int(found["message"]["seq"])
    error = found.get("error") or {}
    if error.get("err_code") != NO_MESSAGE_FOUND:
        raise BusRefused(f"stream {stream} did not say where {rfc3339(since)} is: {error.get('description', found)}")
    info = await _ask(nc, f"{JS_API}.STREAM.INFO.{stream}", None, doing=f"reading the state of {stream}")
    if "state" not in info:
        raise BusRefused(f"stream {stream} gave no state: {(info.get('error') or {}).get('description', info)}")
    return int(info["state"]["last_seq"]) + 1


async def _ask(nc: Client, subject: str, request: dict | None, *, doing: str) -> dict:
    with bus_errors(doing):
        answer = await nc.request(subject, json.dumps(request).encode() if request else b"", timeout=API_ANSWER_SECONDS)
    return json.loads(answer.data)
