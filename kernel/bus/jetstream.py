"""NATS I/O: connecting, declaring the streams, publishing envelopes."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from kernel.bus import subjects
from kernel.security import envelopes
from kernel.security.signing import Signer
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)

ENVELOPE_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.Envelope"


class BusError(nats.errors.Error, RuntimeError):
    """The bus refused or could not take a message."""


async def connect(url: str, *, name: str, connect_timeout: float = 30.0) -> Client:
    """Connect, retrying while the server is still starting."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(connect_timeout),
        wait=wait_exponential(multiplier=0.05, max=1.0),
        retry=retry_if_exception_type((OSError, nats.errors.NoServersError, TimeoutError)),
        reraise=True,
    ):
        with attempt:
            return await nats.connect(
                url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=2, drain_timeout=3
            )
    raise AssertionError("unreachable")


def _stream_layout() -> list[tuple[str, list[str]]]:
    return [
        *((route.stream, subjects.stream_subjects(route)) for route in subjects.FLOW_ROUTES),
        (subjects.DEAD_LETTER_STREAM, [f"jjj.{subjects.DEAD_LETTER_TOKEN}.>"]),
        (subjects.AUDIT_ANCHOR_STREAM, [subjects.AUDIT_ANCHOR_SUBJECT]),
    ]


async def ensure_streams(js: JetStreamContext, *, duplicate_window: float) -> None:
    """Declare one file-backed stream per flow, dead letters and audit anchors; idempotent, safe from every process."""
    for name, stream_subjects in _stream_layout():
        config = api.StreamConfig(
            name=name,
            subjects=stream_subjects,
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=duplicate_window,
            allow_direct=True,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            # Exists with another config (e.g. an older duplicate window): bring it in line.
            await js.update_stream(config)


async def publish_envelope(js: JetStreamContext, subject: str, envelope: envelope_pb2.Envelope, *, signer: Signer) -> api.PubAck:
    """Sign, then publish with Nats-Msg-Id = envelope_id, so a resend within the window is a duplicate."""
    return await publish_bytes(js, subject, envelopes.sign(envelope, signer), msg_id=envelope.envelope_id,
                               content_type=ENVELOPE_CONTENT_TYPE)


async def send_envelope(nc: Client, subject: str, envelope: envelope_pb2.Envelope, *, signer: Signer) -> None:
    """Sign and hand to the connection without waiting for JetStream's answer (a stream still stores it).

    For what must not slow the caller down; messages on one connection reach the
    server in order, so what is sent after this is processed after it.
    """
    headers = {api.Header.MSG_ID: envelope.envelope_id, "Content-Type": ENVELOPE_CONTENT_TYPE}
    try:
        await nc.publish(subject, envelopes.sign(envelope, signer), headers=headers)
    except nats.errors.Error as error:
        raise BusError(f"sending {envelope.envelope_id} to {subject} failed: {error}") from error


async def publish_bytes(js: JetStreamContext, subject: str, data: bytes, *, msg_id: str, content_type: str) -> api.PubAck:
    headers = {api.Header.MSG_ID: msg_id, "Content-Type": content_type}
    try:
        return await js.publish(subject, data, headers=headers, timeout=10)
    except nats.errors.Error as error:
        raise BusError(f"publishing {msg_id} to {subject} failed: {error}") from error
