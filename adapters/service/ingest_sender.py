"""The sending half of IngestDocument (adapters/service/ingest.py): the chunks on the adapter's ingest
stream, one at a time, planned as SubmitDocument plans its cases and committed to the outbox; a chunk is
acknowledged once its cases are durable there, so a crash sends it again (its cases already out are
duplicates and nothing new goes on the bus), after ack_wait (30 s; a chunk being sent is kept in progress
meanwhile); a stop gives back the chunk in hand at once. It waits while the outbox holds more than `send_backlog`
unsent entries and while a call is reading a document.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from nats.errors import ConnectionClosedError
from nats.js import api

from adapters.service.ingest import verified_chunk
from adapters.service.relay import AdapterRelay
from kernel.bus import jetstream, subjects
from kernel.codec import Rejected
from kernel.config import IngestSettings
from kernel.domain.routing import plan_route
from kernel.errors import BusError
from kernel.waiting import pause

log = structlog.get_logger(__name__)
RETRY_SECONDS = 5.0


@dataclass
class IngestSender:
    """Sends the ingested cases: chunk by chunk from the ingest stream into the outbox."""

    relay: AdapterRelay
    settings: IngestSettings = field(default_factory=IngestSettings)
    # Whether a call is reading a document: its member waits for the answer, these cases can wait a little.
    reading: Callable[[], bool] = lambda: False
    _task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"ingest-sender-{self.relay.member.token}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        member = self.relay.member
        while True:
            try:
                subscription = await jetstream.durable_pull(
                    self.relay.js, subjects.ingest_subject(member), durable=subjects.ingest_durable(member),
                    stream=subjects.INGEST_STREAM, config=api.ConsumerConfig(ack_wait=self.settings.ack_wait_seconds))
                break
            except BusError as error:  # until the operator provisions the stream, or the bus is back
                log.error("ingest_sender_waiting", error=str(error))
                await pause(RETRY_SECONDS)
        try:
            while True:
                await self._room()
                try:
                    messages = await jetstream.fetch_batch(subscription, batch=1, timeout=1.0)
                except ConnectionClosedError:
                    return
                for index, message in enumerate(messages):
                    try:
                        async with _kept_in_progress(message, self.settings.ack_wait_seconds / 3):
                            sent = await self.send(message.data)
                    except asyncio.CancelledError:  # stopping: the next process sends it (its cases out are duplicates)
                        await asyncio.shield(jetstream.give_back(messages[index:]))
                        raise
                    except Exception:  # noqa: BLE001 - left unacknowledged: the bus gives it again after ack_wait
                        log.exception("ingest_chunk_not_sent", stream_seq=message.metadata.sequence.stream)
                        continue
                    if sent is None:
                        await message.term()  # not ours: nothing to send, never again
                        continue
                    await message.ack()
        finally:
            await subscription.unsubscribe()

    async def _room(self) -> None:
        """Wait while the outbox is full enough, and while a call reads a document (the two cores are its)."""
        while self.reading() or self.relay.outbox.pending_count() > self.settings.send_backlog:
            await pause(0.05)

    async def send(self, data: bytes) -> int | None:
        """A chunk's cases committed to the outbox and durable there; how many entries (None: refused)."""
        relay = self.relay
        chunk = verified_chunk(data, relay.signer)
        if chunk is None or chunk.sender != relay.member.enum:
            log.error("ingest_chunk_refused", reason="not signed by this adapter's key", bytes=len(data))
            return None
        request = _ChunkRequest(f"{chunk.ingest_id}/{chunk.chunk}", chunk.note)
        routed = []
        for case in chunk.cases:
            route = plan_route(case, relay.member, chunk.destination)
            if isinstance(route, Rejected):  # routable when accepted: the federation's membership changed since
                log.error("ingested_case_not_sent", case_id=case.case_id, field=route.field, reason=route.reason,
                          ingest_id=chunk.ingest_id)
                relay.quarantine.keep(route, filename=chunk.ingest_id, document=case.SerializeToString(),
                                      request_id=request.request_id)
                continue
            routed.append((case, route))
        outgoing = []
        for (case, route), existing in zip(routed, await relay._records_of(case for case, _ in routed), strict=True):
            _, message = relay._prepare_case(case, route, chunk.flow, request, existing)
            if message is not None:
                outgoing.append(message)
        entry_ids = relay.outbox.commit(outgoing, None, durable=False)
        await relay.outbox.durable()
        relay.drainer.wake()
        log.info("ingest_chunk_queued", ingest_id=chunk.ingest_id, chunk=chunk.chunk, cases=len(chunk.cases),
                 entries=len(entry_ids))
        return len(entry_ids)


@contextlib.asynccontextmanager
async def _kept_in_progress(message, every: float):
    """While the block runs, tell the bus every `every` seconds that the chunk is still being sent. Without it a
    send longer than ack_wait had the chunk given again: nats-py's fetch can leave a pull request waiting on the
    server (one that timed out on our side a moment before the server expired it), and the redelivery lands
    there, to be sent again after this one (a duplicate, harmless but wasted). So ack_wait only has to cover a
    crashed adapter's chunk."""

    async def keep_alive() -> None:
        while True:
            await pause(every)
            try:
                await message.in_progress()
            except Exception as error:  # noqa: BLE001 - the bus away: the chunk may come again, its cases duplicates
                log.warning("ingest_chunk_not_kept_in_progress", error=str(error))

    keeper = asyncio.create_task(keep_alive(), name="ingest-chunk-in-progress")
    try:
        yield
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class _ChunkRequest:
    """What planning a case reads of its request: the id on the envelope, the note."""

    request_id: str
    note: str
