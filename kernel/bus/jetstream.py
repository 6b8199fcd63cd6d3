"""NATS I/O: connecting as a principal over TLS, provisioning the bus (operator), publishing envelopes.

Streams and KV buckets are created by the operator principal only (`provision`,
run by `jjj up` before any adapter starts, or `jjj bus init`); adapters and the
gateway have no right to create, change or delete them and only look them up.
"""

from __future__ import annotations

import dataclasses
import ssl
import uuid

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, BucketNotFoundError, NoStreamResponseError, NotFoundError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from kernel import jurisdictions
from kernel.bus import subjects
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)

ENVELOPE_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.Envelope"
PROVISIONING_HINT = "the operator provisions the bus: `jjj bus init` (or `jjj up`)"
# The server does not answer a request its permissions refused (the refusal goes to the error callback).
_UNANSWERED = "the bus did not answer creating the {what}: refused by this principal's permissions, or the bus is down"


class BusError(nats.errors.Error, RuntimeError):
    """The bus refused or could not take a message."""


class BusUnavailable(BusError):
    """A stream or bucket the process needs is missing, or the bus does not answer."""


async def connect(url: str, *, name: str, tls: ssl.SSLContext, principal: str, connect_timeout: float = 30.0,
                  error_cb=None) -> Client:
    """Connect as `principal` (its certificate is in `tls`), retrying while the server is still starting."""
    options = {"error_cb": error_cb} if error_cb else {}
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(connect_timeout),
        wait=wait_exponential(multiplier=0.05, max=1.0),
        retry=retry_if_exception_type((OSError, nats.errors.NoServersError, TimeoutError)),
        reraise=True,
    ):
        with attempt:
            return await nats.connect(
                url, name=name, tls=tls, inbox_prefix=subjects.inbox_prefix(principal), max_reconnect_attempts=-1,
                reconnect_time_wait=0.5, connect_timeout=2, drain_timeout=3, **options,
            )
    raise AssertionError("unreachable")


def stream_configs(*, duplicate_window: float) -> list[api.StreamConfig]:
    return [
        api.StreamConfig(
            name=route.stream,
            subjects=subjects.stream_subjects(route),
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=duplicate_window,
            allow_direct=True,
        )
        for route in subjects.FLOW_ROUTES
    ]


async def provision(js: JetStreamContext, *, duplicate_window: float) -> list[str]:
    """Declare the streams (one per flow) and every member's KV buckets; idempotent. Operator only."""
    try:
        return await _provision(js, duplicate_window=duplicate_window)
    except nats.errors.TimeoutError as error:
        raise BusUnavailable(_UNANSWERED.format(what="streams and buckets") + " (only the operator may provision)") from error


async def _provision(js: JetStreamContext, *, duplicate_window: float) -> list[str]:
    declared = []
    for config in stream_configs(duplicate_window=duplicate_window):
        try:
            await js.add_stream(config)
        except BadRequestError:
            # Exists with another config (e.g. an older duplicate window): bring it in line.
            await js.update_stream(config)
        declared.append(config.name)
    for member in jurisdictions.members():
        for bucket, ttl in ((subjects.cases_bucket(member), None),
                            (subjects.requests_bucket(member), subjects.REQUESTS_TTL_SECONDS)):
            try:
                await js.key_value(bucket)
            except BucketNotFoundError:
                await js.create_key_value(bucket=bucket, history=1, ttl=ttl)
            declared.append(bucket)
    return declared


class _NamedAtEachCreation(api.ConsumerConfig):
    """A consumer config that names every consumer created from it afresh.

    nats-py only uses the consumer-create API subject that carries the filter
    ($JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>, which the bus permissions
    check) when the config has a name; an ordered consumer that resets (after a gap
    or a reconnect) creates its consumer again from the same config, and reusing the
    name would collide with the old consumer. nats-py passes the config through
    `evolve` at each creation, so that is where the fresh name is given.
    """

    def evolve(self, **params):
        # Called on the config the subscription keeps, whose name stays the owner's prefix.
        return dataclasses.replace(self, **params, name=f"{self.name}_{uuid.uuid4().hex}")


async def ordered_subscribe(js: JetStreamContext, subject: str, *, stream: str, owner: str, cb,
                            config: api.ConsumerConfig | None = None) -> JetStreamContext.PushSubscription:
    """An ordered (ephemeral, flow-controlled) consumer on `subject`, created through the filtered API subject."""
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)} if config else {}
    named = _NamedAtEachCreation(**{**fields, "name": owner})
    try:
        return await js.subscribe(subject, stream=stream, ordered_consumer=True, config=named, cb=cb)
    except NotFoundError as error:
        raise BusUnavailable(f"stream {stream} does not exist: {PROVISIONING_HINT}") from error
    except nats.errors.TimeoutError as error:
        raise BusUnavailable(_UNANSWERED.format(what=f"consumer on {subject}")) from error


async def durable_pull(js: JetStreamContext, subject: str, *, durable: str, stream: str,
                       config: api.ConsumerConfig) -> JetStreamContext.PullSubscription:
    """Bind to (creating if new) a durable pull consumer; nats-py creates it through the filtered API subject."""
    try:
        return await js.pull_subscribe(subject, durable=durable, stream=stream, config=config)
    except NotFoundError as error:
        raise BusUnavailable(f"stream {stream} does not exist: {PROVISIONING_HINT}") from error
    except nats.errors.TimeoutError as error:
        raise BusUnavailable(_UNANSWERED.format(what=f"consumer {durable}")) from error


async def publish_envelope(js: JetStreamContext, subject: str, envelope: envelope_pb2.Envelope) -> api.PubAck:
    """Publish with Nats-Msg-Id = envelope_id, so a resend within the window is a duplicate."""
    headers = {api.Header.MSG_ID: envelope.envelope_id, "Content-Type": ENVELOPE_CONTENT_TYPE}
    try:
        return await js.publish(subject, envelope.SerializeToString(), headers=headers, timeout=10)
    except NoStreamResponseError as error:
        stream = subjects.parse_subject(subject)[0].stream
        raise BusUnavailable(f"stream {stream} does not exist (nothing takes {subject}): {PROVISIONING_HINT}") from error
    except nats.errors.Error as error:
        raise BusError(f"publishing {envelope.envelope_id} to {subject} failed: {error}") from error
