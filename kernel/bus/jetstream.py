"""NATS I/O: connecting as a principal over TLS, provisioning the bus (operator), publishing
envelopes, and naming the bus's failures.

Streams and KV buckets are created by the operator principal only (`provision`,
run by `jjj up` before any adapter starts, or `jjj bus init`); adapters and the
gateway have no right to create, change or delete them and only look them up.

What a member's call does on the bus (publishing here, the adapter's key-value store,
inbox acknowledgements) runs inside `bus_errors`, which raises a nats failure as
BusUnavailable (retry later), BusRefused / MessageTooLarge (do not retry) or BusError.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence

import nats
import nats.js.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, BucketNotFoundError, NoStreamResponseError, NotFoundError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from kernel.observability import tracing
from kernel import jurisdictions
from kernel.bus import bundles, quick_paths, subjects
from kernel.bus.connection_errors import ConnectionErrorLog
from kernel.errors import BusError, BusRefused, BusUnavailable, MessageTooLarge
from kernel.security import envelopes
from kernel.security.signing import Signer
from kernel.waiting import pause, raise_if_cancelled
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)

ENVELOPE_CONTENT_TYPE = "application/x-protobuf; proto=jjj.bus.v1.Envelope"
PROVISIONING_HINT = "the operator provisions the bus: `jjj bus init` (or `jjj up`)"
# The server does not answer a request its permissions refused (the refusal goes to the error callback).
_UNANSWERED = "the bus did not answer creating the {what}: refused by this principal's permissions, or the bus is down"
PUBLISH_TIMEOUT_SECONDS = 10.0
# Between fetches while the bus is away: long enough not to spin, short enough to resume promptly.
OUTAGE_PAUSE_SECONDS = 0.5
# The JetStream API's subject prefix, and how long a direct request to it (not through nats-py's
# JetStream client) waits for its answer: kernel/bus/positions.py, kernel/bus/last_values.py.
JS_API = "$JS.API"
API_ANSWER_SECONDS = 5.0

# The server is gone, not answering, or JetStream is (re)starting: the same call can succeed later.
OUTAGES = (
    nats.errors.TimeoutError, nats.errors.NoServersError, nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError, nats.errors.ConnectionDrainingError, nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError, nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError, TimeoutError, ConnectionError,
)

# JetStream's answers while a cluster elects a leader or a peer is away (nats-server's
# jetstream_errors_generated.go): the same request succeeds once the election is over.
CLUSTER_TRANSIENT_ERR_CODES = frozenset({
    10005,  # no suitable peers for placement
    10008,  # JetStream system temporarily unavailable
    10009,  # JetStream cluster can not handle request (not the leader)
    10118,  # stream is offline
    10119,  # consumer is offline
    10195,  # consumer is offline: {reason}
})


def as_bus_error(error: BaseException, doing: str) -> BusError:
    """The named bus failure for a nats (or socket) error met while `doing` something."""
    if isinstance(error, BusError):
        return error
    message = f"{doing}: {str(error) or type(error).__name__}"
    if isinstance(error, nats.errors.MaxPayloadError):
        return MessageTooLarge(f"{doing}: the message exceeds the bus's maximum payload")
    if isinstance(error, OUTAGES):
        return BusUnavailable(message)
    if isinstance(error, nats.js.errors.APIError):
        if error.err_code in CLUSTER_TRANSIENT_ERR_CODES:
            return BusUnavailable(message)
        return BusRefused(message)
    return BusError(message)


@contextlib.contextmanager
def bus_errors(doing: str) -> Iterator[None]:
    """Raise any nats failure inside the block as the named bus error (see as_bus_error)."""
    try:
        yield
    except BusError:
        raise
    except (nats.errors.Error, TimeoutError, ConnectionError) as error:
        raise as_bus_error(error, doing) from error


def require_connected(nc: Client) -> None:
    """Fail fast while the client knows the server is away, rather than waiting out a timeout."""
    if not nc.is_connected:
        state = "reconnecting" if nc.is_reconnecting else "closed" if nc.is_closed else "not connected"
        raise BusUnavailable(f"the bus is unavailable ({state} to nats); retry shortly")


async def fetch_batch(subscription: JetStreamContext.PullSubscription, *, batch: int, timeout: float) -> list[Msg]:
    """Up to `batch` messages; none when none came in time or the bus is away (then after a pause).
    Raises ConnectionClosedError once the connection is closed for good (shutting down)."""
    quick_paths.take_queued_first(subscription)
    try:
        messages = await subscription.fetch(batch=batch, timeout=timeout)
    except nats.errors.ConnectionClosedError:
        raise
    except (nats.errors.TimeoutError, TimeoutError):
        messages = []
    except OUTAGES:
        await pause(OUTAGE_PAUSE_SECONDS)
        messages = []
    await _raise_if_cancel_was_swallowed(messages)
    return messages


async def _raise_if_cancel_was_swallowed(messages: list[Msg]) -> None:
    # Python 3.11's asyncio.wait_for (inside nats' fetch) drops a cancellation that arrives as its
    # message does; the loop calling us would then never stop. The request is still on the task.
    # What came with it is given back, or it would wait out ack_wait before anyone got it again
    # (two minutes for an ingest chunk: a restart delayed its cases that long).
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        await give_back(messages)
    raise_if_cancelled()


async def give_back(messages: list[Msg]) -> None:
    """Negative-acknowledge messages this process will not handle (it is stopping): the bus redelivers them
    now rather than after ack_wait. Best effort: a message not given back still comes again after ack_wait."""
    for message in messages:
        try:
            await message.nak()
        except Exception as error:  # noqa: BLE001 - the bus away, the message already settled
            log.warning("message_not_given_back", subject=message.subject, error=str(error))


class ConnectionWatch:
    """Whether the bus connection is up, told to whoever follows it (the gRPC health service).

    The watch exists before the connection (it is passed to `connect`) and before what
    follows it (the server, started after the connection): `follow` tells a late follower
    the current state at once."""

    def __init__(self) -> None:
        self.connected = True
        self._followers: list[Callable[[bool], Awaitable[None]]] = []

    async def follow(self, follower: Callable[[bool], Awaitable[None]]) -> None:
        self._followers.append(follower)
        await follower(self.connected)

    async def _tell(self, connected: bool) -> None:
        self.connected = connected
        log.warning("bus_reconnected" if connected else "bus_disconnected")
        for follower in self._followers:
            await follower(connected)

    async def disconnected(self) -> None:
        await self._tell(False)

    async def reconnected(self) -> None:
        await self._tell(True)


async def connect(url: str, *, name: str, tls: ssl.SSLContext, principal: str, connect_timeout: float = 30.0,
                  error_cb=None, watch: ConnectionWatch | None = None) -> Client:
    """Connect as `principal` (its certificate is in `tls`), retrying while the server is still starting.

    `url` may name several servers of one cluster, separated by commas: the client fails over among them."""
    servers = [part.strip() for part in url.split(",") if part.strip()]
    options = {"error_cb": error_cb or ConnectionErrorLog().callback}
    if watch is not None:
        options |= {"disconnected_cb": watch.disconnected, "reconnected_cb": watch.reconnected}
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(connect_timeout),
        wait=wait_exponential(multiplier=0.05, max=1.0),
        retry=retry_if_exception_type((OSError, nats.errors.NoServersError, TimeoutError)),
        reraise=True,
    ):
        with attempt:
            return await nats.connect(
                servers, name=name, tls=tls, inbox_prefix=subjects.inbox_prefix(principal), max_reconnect_attempts=-1,
                reconnect_time_wait=0.5, connect_timeout=2, drain_timeout=3, **options,
            )
    raise AssertionError("unreachable")


def _stream_layout() -> list[tuple[str, list[str]]]:
    return [
        *((route.stream, subjects.stream_subjects(route)) for route in subjects.FLOW_ROUTES),
        (subjects.DEAD_LETTER_STREAM, [f"jjj.{subjects.DEAD_LETTER_TOKEN}.>"]),
        (subjects.AUDIT_ANCHOR_STREAM, [subjects.AUDIT_ANCHOR_SUBJECT]),
        (subjects.INGEST_STREAM, [f"jjj.{subjects.INGEST_TOKEN}.>"]),
    ]


# A work queue: an ingested chunk is removed once its cases are in the adapter's outbox (it is the
# outbox's input, not a record); every other stream keeps what it took.
_RETENTION = {subjects.INGEST_STREAM: api.RetentionPolicy.WORK_QUEUE}


def stream_configs(*, duplicate_window: float, replicas: int = 1) -> list[api.StreamConfig]:
    """One file-backed stream per flow (receipts included), dead letters and audit anchors."""
    return [
        api.StreamConfig(
            name=name,
            subjects=stream_subjects,
            storage=api.StorageType.FILE,
            retention=_RETENTION.get(name, api.RetentionPolicy.LIMITS),
            duplicate_window=duplicate_window,
            allow_direct=True,
            num_replicas=replicas,
        )
        for name, stream_subjects in _stream_layout()
    ]


def bucket_layout() -> list[tuple[str, float | None]]:
    """Every member's KV buckets, and the operator's record of dead-letter actions, with their time to live (None: kept)."""
    return [(bucket, ttl) for member in jurisdictions.members()
            for bucket, ttl in ((subjects.cases_bucket(member), None),
                                (subjects.requests_bucket(member), subjects.REQUESTS_TTL_SECONDS))] + [
        (subjects.DEAD_LETTER_ACTIONS_BUCKET, None)]  # what operators did to dead letters (kernel.bus.deadletters)


async def provision(js: JetStreamContext, *, duplicate_window: float, replicas: int = 1) -> list[str]:
    """Declare the streams (one per flow) and every member's KV buckets; idempotent. Operator only.

    Run again on a bus that lost its store (`jjj up` does after restarting nats-server), it
    declares what is missing and leaves what is there; `replicas` > 1 on a JetStream cluster."""
    try:
        return await _provision(js, duplicate_window=duplicate_window, replicas=replicas)
    except nats.errors.TimeoutError as error:
        raise BusUnavailable(_UNANSWERED.format(what="streams and buckets") + " (only the operator may provision)") from error
    except nats.js.errors.ServiceUnavailableError as error:  # a cluster still electing its leader
        raise BusUnavailable(f"JetStream is not available yet: {error}") from error
    except NotFoundError as error:  # a cluster still placing a stream an earlier, timed-out attempt created
        raise BusUnavailable(f"JetStream is still placing the streams: {error}") from error


async def _provision(js: JetStreamContext, *, duplicate_window: float, replicas: int) -> list[str]:
    declared = []
    for config in stream_configs(duplicate_window=duplicate_window, replicas=replicas):
        try:
            await js.add_stream(config)
        except BadRequestError:
            # Exists with another config (e.g. an older duplicate window): bring it in line.
            await js.update_stream(config)
        declared.append(config.name)
    return declared + await declare_buckets(js, bucket_layout(), replicas=replicas)


def direct_reads(replicas: int | None) -> bool:
    """Whether a bucket of this many replicas answers direct gets.

    A direct get is a raw reply, not JSON with the value in base64, and many keys can be read in one
    request (kernel/bus/last_values.py); but every replica answers it, and a follower may be behind the
    leader. An adapter reads right after its own writes (a step is checked against the record the
    previous step wrote): on a 3-node cluster the fault suite had steps refused against the record from
    before. So only a single-replica bucket, where the one server that stored the write answers."""
    return (replicas or 1) == 1


async def declare_buckets(js: JetStreamContext, buckets: list[tuple[str, float | None]], *, replicas: int) -> list[str]:
    """Each (bucket, time to live) that is missing, created; those there are left as they are, but for
    direct gets, set as `direct_reads` says for the replicas the bucket has."""
    for bucket, ttl in buckets:
        try:
            await js.key_value(bucket)
        except BucketNotFoundError:
            await js.create_key_value(api.KeyValueConfig(bucket=bucket, history=1, ttl=ttl, replicas=replicas,
                                                         direct=direct_reads(replicas)))
            continue
        stream = (await js.stream_info(f"KV_{bucket}")).config
        if bool(stream.allow_direct) != direct_reads(stream.num_replicas):
            await js.update_stream(dataclasses.replace(stream, allow_direct=direct_reads(stream.num_replicas)))
    return [bucket for bucket, _ in buckets]


class _NamedAtEachCreation(api.ConsumerConfig):
    """A consumer config that names every consumer created from it afresh.

    nats-py only uses the consumer-create API subject that carries the filter
    ($JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>, which the bus permissions
    check) when the config has a name; an ordered consumer that resets (after a gap
    or a reconnect) creates its consumer again from the same config, and reusing the
    name would collide with the old consumer. nats-py passes the config through
    `evolve` at each creation, so that is where the fresh name is given.

    The same place keeps a reset consumer valid: nats-py resumes it by setting
    deliver_policy BY_START_SEQUENCE and opt_start_seq on the kept config but leaves
    an opt_start_time there (a consumer that started BY_START_TIME, as sharing's do),
    and the server refuses the pair (err_code 10094, "deliver by start sequence, but
    optional start time is also set"): every reset failed, and after a nats-server
    restart the consumer was never recreated. The start sequence is where to resume,
    so the start time goes (and a start sequence with a by-time policy, the other way).
    """

    def evolve(self, **params):
        # Called on the config the subscription keeps, whose name stays the owner's prefix.
        evolved = dataclasses.replace(self, **params, name=f"{self.name}_{uuid.uuid4().hex}")
        return consistent_start(evolved)


def consistent_start(config: api.ConsumerConfig) -> api.ConsumerConfig:
    """Only the start option the deliver policy uses: the server refuses a config with another one set."""
    policy = config.deliver_policy
    if policy == api.DeliverPolicy.BY_START_SEQUENCE:
        config.opt_start_time = None
    elif policy == api.DeliverPolicy.BY_START_TIME:
        config.opt_start_seq = None
    return config


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


async def publish_envelope(js: JetStreamContext, subject: str, envelope: envelope_pb2.Envelope, *, signer: Signer) -> api.PubAck:
    """Sign, then publish with Nats-Msg-Id = envelope_id, so a resend within the window is a duplicate."""
    return await publish_bytes(js, subject, envelopes.sign(envelope, signer), msg_id=envelope.envelope_id,
                               content_type=ENVELOPE_CONTENT_TYPE)


async def send_envelope(nc: Client, subject: str, envelope: envelope_pb2.Envelope, *, signer: Signer) -> None:
    """Sign and hand to the connection without waiting for JetStream's answer (a stream still stores it).

    For what must not slow the caller down; messages on one connection reach the
    server in order, so what is sent after this is processed after it.
    """
    headers = tracing.inject({api.Header.MSG_ID: envelope.envelope_id, "Content-Type": ENVELOPE_CONTENT_TYPE})
    with bus_errors(f"sending {envelope.envelope_id} to {subject}"):
        await nc.publish(subject, envelopes.sign(envelope, signer), headers=headers)


async def send_bundle(nc: Client, subject: str, envelopes: Sequence[tuple[str, bytes]]) -> None:
    """Signed envelopes (id, bytes) as one bundled message (kernel.bus.bundles), like `send_envelope`."""
    ids = [envelope_id for envelope_id, _ in envelopes]
    headers = tracing.inject({api.Header.MSG_ID: bundles.bundle_msg_id(ids), "Content-Type": bundles.BUNDLE_CONTENT_TYPE,
                              bundles.BUNDLE_HEADER: str(len(ids))})
    with bus_errors(f"sending {len(ids)} envelopes ({ids[0]} first) to {subject}"):
        await nc.publish(subject, bundles.pack([data for _, data in envelopes]), headers=headers)


async def publish_bytes(js: JetStreamContext, subject: str, data: bytes, *, msg_id: str, content_type: str) -> api.PubAck:
    headers = tracing.inject({api.Header.MSG_ID: msg_id, "Content-Type": content_type})  # the current trace travels on
    try:
        with bus_errors(f"publishing {msg_id} to {subject}"):
            return await js.publish(subject, data, headers=headers, timeout=PUBLISH_TIMEOUT_SECONDS)
    except BusUnavailable as error:
        if not isinstance(error.__cause__, NoStreamResponseError):
            raise
        stream = subjects.parse_subject(subject)[0].stream if subject.count(".") == 3 else subject
        raise BusUnavailable(f"stream {stream} does not exist (nothing takes {subject}): {PROVISIONING_HINT}") from error
