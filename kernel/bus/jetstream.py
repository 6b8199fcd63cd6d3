"""NATS I/O: connecting, declaring the streams, publishing envelopes."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from kernel.bus import subjects
from kernel.errors import BusError
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)

ENVELOPE_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.Envelope"


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


async def ensure_streams(js: JetStreamContext, *, duplicate_window: float) -> None:
    """Declare one file-backed stream per flow; idempotent, safe from every process."""
    for route in subjects.FLOW_ROUTES:
        config = api.StreamConfig(
            name=route.stream,
            subjects=subjects.stream_subjects(route),
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


async def publish_envelope(js: JetStreamContext, subject: str, envelope: envelope_pb2.Envelope) -> api.PubAck:
    """Publish with Nats-Msg-Id = envelope_id, so a resend within the window is a duplicate."""
    headers = {api.Header.MSG_ID: envelope.envelope_id, "Content-Type": ENVELOPE_CONTENT_TYPE}
    try:
        return await js.publish(subject, envelope.SerializeToString(), headers=headers, timeout=10)
    except nats.errors.Error as error:
        raise BusError(f"publishing {envelope.envelope_id} to {subject} failed: {error}") from error
