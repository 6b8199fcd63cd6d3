"""IngestDocument: a document too large for one SubmitDocument, read while it streams in.

The call (`Ingests.ingest`) decodes the document in a thread of its own as its pieces arrive
(the codec's streaming split: memory bounded by a chunk, not the file), checks and routes each
case as SubmitDocument does, and publishes the accepted cases in signed chunks
(jjj.bus.v1.IngestChunk) to the adapter's own ingest stream (a work queue on
jjj.ingest.<self>.<self>). It answers once every chunk is durable on the bus: from then on
nothing of the file can be lost. `IngestSender` (ingest_sender.py) takes the chunks one at a time, plans each case
exactly as SubmitDocument does (the same record, the same envelope id: a case already out is a
duplicate and nothing new is sent), commits them to the outbox and acknowledges the chunk once
they are durable there; the outbox relays them in order. It waits while the outbox holds more
than `send_backlog` unsent entries, so that a file never delays a member's own submissions by
more than that.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import structlog
from nats.js import api

from adapters.service.outbox import Answer
from adapters.service.relay import AdapterRelay, _fingerprint
from adapters.service.sending import _format_name
from kernel import jurisdictions
from kernel import limits as input_limits
from kernel.bus import jetstream, quick_paths, subjects
from kernel.codec import Accepted, Rejected
from kernel.config import IngestSettings
from kernel.domain.routing import plan_route
from kernel.errors import DocumentRejected, JjjError, InvalidRequest, RequestIdReused, UnsupportedDocumentFormat
from kernel.security import envelopes as signed_envelopes
from kernel.security import signing
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2

log = structlog.get_logger(__name__)
METHOD = "IngestDocument"
Flow = envelope_pb2.Flow
# A chunk is closed at this many serialized bytes too: nats-server refuses a message over max_payload (1 MiB).
CHUNK_BYTES = 512 * 1024
PIECES_QUEUED = 4


def ingest_id_of(member_token: str, request_id: str) -> str:
    """The same request_id is the same ingest (and the same chunk message ids: a retry is deduplicated)."""
    return f"{member_token}-{hashlib.sha256(request_id.encode('utf-8')).hexdigest()[:20]}"


def sign_chunk(chunk: envelope_pb2.IngestChunk, signer: signing.Signer) -> bytes:
    return signed_envelopes.sign(chunk, signer)


def verified_chunk(data: bytes, signer: signing.Signer) -> envelope_pb2.IngestChunk | None:
    """The chunk if this adapter's own key signed exactly these bytes; None otherwise."""
    try:
        chunk = envelope_pb2.IngestChunk.FromString(data)
    except Exception:  # noqa: BLE001 - not a chunk at all
        return None
    value = chunk.signature.value
    if chunk.signature.key_id != signer.key_id or not value:
        return None
    return chunk if signing.verify(signer.public_key, value, signed_envelopes.signed_bytes(chunk)) else None


@dataclass(frozen=True, slots=True)
class Header:
    request_id: str
    format: int
    filename: str
    flow: int
    destination: int
    note: str

    @classmethod
    def of(cls, first: adapter_pb2.IngestDocumentRequest) -> Header:
        if not first.request_id:
            raise InvalidRequest("IngestDocument needs a request_id in its first message (a retry is answered by it)",
                                 violations=[("request_id", "required")])
        if first.destination:
            try:
                jurisdictions.by_enum(first.destination)
            except jurisdictions.UnknownJurisdiction as error:
                raise InvalidRequest(str(error), violations=[("destination", str(error))]) from None
        flow = first.flow or Flow.FLOW_REFERRAL
        if flow not in (Flow.FLOW_REFERRAL, Flow.FLOW_HOTLINE_TRANSFER):
            raise InvalidRequest(f"flow must be FLOW_REFERRAL or FLOW_HOTLINE_TRANSFER, not {Flow.Name(flow)}",
                                 violations=[("flow", "must be FLOW_REFERRAL or FLOW_HOTLINE_TRANSFER")])
        return cls(first.request_id, first.format, first.filename, flow, first.destination, first.note)

    def fingerprint(self) -> str:
        return _fingerprint(adapter_pb2.IngestDocumentRequest(
            request_id=self.request_id, format=self.format, filename=self.filename, flow=self.flow,
            destination=self.destination, note=self.note))


@dataclass
class Batch:
    """What the decoding thread hands over: accepted cases (one chunk) and the rejections met on the way."""

    cases: list = field(default_factory=list)
    rejections: list[adapter_pb2.Rejection] = field(default_factory=list)
    rows: int = 0
    size: int = 0


class _Pieces(io.RawIOBase):
    """The call's content pieces as the binary file the codec reads, in the decoding thread."""

    def __init__(self, take: Callable[[], bytes]) -> None:
        super().__init__()
        self._take = take
        self._buffer = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer and not self._ended:
            piece = self._take()
            if piece:
                self._buffer = memoryview(piece)
            else:
                self._ended = True
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


class _Stopped(JjjError):
    """The call ended (failed, cancelled): the decoding thread stops at its next hand-over. Never leaves the thread."""


@dataclass
class Ingests:
    relay: AdapterRelay
    settings: IngestSettings = field(default_factory=IngestSettings)
    # Calls reading a document now: the sender of ingested cases waits for them (see IngestSender._room).
    reading: int = 0

    async def ingest(self, requests: AsyncIterator[adapter_pb2.IngestDocumentRequest]) -> adapter_pb2.IngestDocumentResponse:
        first = await anext(aiter(requests), None)
        if first is None:
            raise InvalidRequest("the stream was empty: its first message carries request_id and format",
                                 violations=[("request_id", "required")])
        header = Header.of(first)
        codec = self._streaming_codec(header.format)
        jetstream.require_connected(self.relay.nc)
        async with self.relay._requests.hold((METHOD, header.request_id)):
            remembered = self.relay.outbox.recall(METHOD, header.request_id)
            if remembered is not None:
                return await self._answer_again(header, remembered, first, requests)
            self.reading += 1
            try:
                response = await self._read_and_store(header, codec, first, requests)
            finally:
                self.reading -= 1
            self.relay.outbox.remember(Answer(METHOD, header.request_id, header.fingerprint(), response.SerializeToString()))
        log.info("document_ingested", jurisdiction=self.relay.member.name, ingest_id=response.ingest_id, rows=response.rows,
                 accepted=response.accepted, rejected=response.rejected, chunks=response.chunks,
                 document_bytes=response.document_bytes)
        return response

    def _streaming_codec(self, document_format: int):
        codec = self.relay.codec
        own = self.relay.member.document_format
        if document_format not in (adapter_pb2.DOCUMENT_FORMAT_UNSPECIFIED, own) or codec.split_stream is None:
            readable = adapter_pb2.DocumentFormat.Name(own) if codec.split_stream is not None else "no format"
            raise UnsupportedDocumentFormat(
                f"IngestDocument of {self.relay.member.name} reads {readable} as it streams in; "
                f"send {_format_name(document_format)} with SubmitDocument",
                violations=[("format", f"must be {readable}")])
        return codec

    async def _answer_again(self, header: Header, remembered: tuple[str, bytes], first, requests) -> adapter_pb2.IngestDocumentResponse:
        """A retry: the same header and the same bytes get the first answer; anything else is refused."""
        digest = hashlib.sha256(first.content)
        async for request in requests:
            digest.update(request.content)
        response = adapter_pb2.IngestDocumentResponse.FromString(remembered[1])
        if remembered[0] != header.fingerprint() or digest.hexdigest() != response.document_sha256:
            raise RequestIdReused(f"request_id {header.request_id!r} was already used for a different IngestDocument",
                                  metadata={"requestId": header.request_id})
        return response

    async def _read_and_store(self, header: Header, codec, first, requests) -> adapter_pb2.IngestDocumentResponse:
        loop = asyncio.get_running_loop()
        member = self.relay.member
        response = adapter_pb2.IngestDocumentResponse(ingest_id=ingest_id_of(member.token, header.request_id))
        pieces: asyncio.Queue[bytes] = asyncio.Queue(maxsize=PIECES_QUEUED)
        batches: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=2)
        stopped = threading.Event()
        digest = hashlib.sha256()

        async def feed() -> None:
            async def put(piece: bytes) -> None:
                digest.update(piece)
                response.document_bytes += len(piece)
                await pieces.put(piece)
            if first.content:
                await put(first.content)
            async for request in requests:
                if request.request_id or request.format or request.flow or request.destination or request.note:
                    raise InvalidRequest("only the first message of IngestDocument carries the header; "
                                         "the others carry content only", violations=[("request_id", "first message only")])
                if request.content:
                    await put(request.content)
            await pieces.put(b"")

        def hand_over(coroutine):
            if stopped.is_set():
                coroutine.close()
                raise _Stopped("the IngestDocument call ended")
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

        decoding = _in_thread(lambda: self._decode(header, codec, _Pieces(lambda: hand_over(pieces.get())),
                                                  lambda batch: hand_over(batches.put(batch))), name=f"ingest-{member.token}")
        feeding = asyncio.create_task(feed())
        published: deque[asyncio.Future] = deque()
        try:
            while (batch := await _first_of(batches.get(), feeding)) is not None:
                self._count(response, batch)
                if batch.cases:
                    published.append(await self._publish(response, header, batch.cases))
                    if len(published) >= self.settings.chunks_in_flight:
                        await _stored(published.popleft())
            while published:
                await _stored(published.popleft())
            await feeding
            await decoding
        except BaseException:
            stopped.set()
            feeding.cancel()
            _unblock(pieces, batches)
            for future in published:
                future.cancel()
            raise
        response.document_sha256 = digest.hexdigest()
        if not response.accepted and response.rejected:
            first_rejection = response.rejections[0] if response.rejections else None
            reason = f"{first_rejection.field}: {first_rejection.reason}" if first_rejection else "see the quarantine"
            raise DocumentRejected(f"no case could be sent ({response.rejected} rejected); first: {reason}",
                                   violations=[(r.field, r.reason) for r in response.rejections])
        return response

    def _count(self, response: adapter_pb2.IngestDocumentResponse, batch: Batch) -> None:
        response.rows += batch.rows
        response.rejected += len(batch.rejections)
        room = self.settings.listed_rejections - len(response.rejections)
        response.rejections.extend(batch.rejections[:max(room, 0)])

    async def _publish(self, response, header: Header, cases: list) -> asyncio.Future:
        member = self.relay.member
        chunk = envelope_pb2.IngestChunk(ingest_id=response.ingest_id, chunk=response.chunks, sender=member.enum,
                                         flow=header.flow, destination=header.destination, note=header.note, cases=cases)
        data = sign_chunk(chunk, self.relay.signer)
        msg_id = subjects.ingest_msg_id(response.ingest_id, response.chunks)
        quick_paths.settle_refused_publishes(self.relay.js)
        with jetstream.bus_errors(f"publishing {msg_id}"):
            future = await self.relay.js.publish_async(
                subjects.ingest_subject(member), data, wait_stall=jetstream.PUBLISH_TIMEOUT_SECONDS,
                headers={api.Header.MSG_ID: msg_id, "Content-Type": "application/x-protobuf; proto=jjj.bus.v1.IngestChunk"})
        response.chunks += 1
        response.accepted += len(cases)
        return future

    def _decode(self, header: Header, codec, source: _Pieces, emit: Callable[[Batch | None], None]) -> None:
        """In the decoding thread: the document's outcomes, in chunks of cases with their rejections."""
        member, limits = self.relay.member, self.relay.limits
        batch = Batch()
        try:
            for outcome in codec.decode_stream(io.BufferedReader(source, buffer_size=256 * 1024)):
                if outcome.__class__ is Accepted:
                    batch.rows += 1
                    case = outcome.case
                    violations = input_limits.case_violations(case, limits)
                    route = plan_route(case, member, header.destination)
                    if violations:
                        self._reject(batch, header, [Rejected(f, f"{case.native_id}: {reason}", raw=case.SerializeToString())
                                                     for f, reason in violations])
                    elif isinstance(route, Rejected):
                        self._reject(batch, header, [Rejected(route.field, f"{case.native_id}: {route.reason}",
                                                              raw=case.SerializeToString())])
                    else:
                        batch.cases.append(case)
                        batch.size += case.ByteSize()
                else:
                    # Row 1 is the header: a document refused whole (its header, its encoding) has no data row.
                    batch.rows += outcome.row > 1 or outcome.record >= 0
                    self._reject(batch, header, [outcome])
                if len(batch.cases) >= self.settings.chunk_cases or batch.size >= CHUNK_BYTES:
                    emit(batch)
                    batch = Batch()
            emit(batch)
            emit(None)
        except _Stopped:
            return

    def _reject(self, batch: Batch, header: Header, rejected: list[Rejected]) -> None:
        for rejection in rejected:
            quarantine_id = self.relay.quarantine.keep(rejection, filename=header.filename, document=b"",
                                                       request_id=header.request_id)
            batch.rejections.append(rejection.to_proto(quarantine_id))


def _in_thread(work: Callable[[], None], *, name: str) -> asyncio.Future:
    """`work` in a thread of its own (a long call would hold a worker of the shared pool); its outcome as a future."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if not done.done():
            done.set_exception(error) if error is not None else done.set_result(None)

    def run() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting call
            loop.call_soon_threadsafe(settle, error)
        else:
            loop.call_soon_threadsafe(settle, None)

    threading.Thread(target=run, name=name, daemon=True).start()
    return done


async def _first_of(getting, feeding: asyncio.Task):
    """The next batch; the feeding task's error (a bad message, a cancelled call) if it fails first."""
    get = asyncio.ensure_future(getting)
    done, _ = await asyncio.wait({get, feeding}, return_when=asyncio.FIRST_COMPLETED)
    if get in done:
        return get.result()
    if feeding.exception() is not None:
        get.cancel()
        raise feeding.exception()
    return await get


async def _stored(future: asyncio.Future) -> None:
    """A chunk's publish acknowledged by the bus (a duplicate of a retry counts: it is stored)."""
    with jetstream.bus_errors("storing an ingested chunk"):
        await asyncio.wait_for(future, timeout=jetstream.PUBLISH_TIMEOUT_SECONDS)


def _unblock(pieces: asyncio.Queue, batches: asyncio.Queue) -> None:
    """Let a decoding thread blocked on either queue go on to notice it is stopped."""
    while not batches.empty():
        batches.get_nowait()
    while not pieces.empty():
        pieces.get_nowait()
    pieces.put_nowait(b"")
