"""IngestDocument: a Hebei export streamed in pieces, its cases durable on the bus before the answer,
then sent one by one exactly once, after an adapter restart too."""

from __future__ import annotations

import asyncio
import hashlib

import grpc
import nats.errors
import pytest
from grpc_status import rpc_status

from adapters.hebei.synthetic import synthetic_document
from adapters.service.ingest_sender import IngestSender
from kernel.bus import subjects
from kernel.jurisdictions import by_name
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.support.bus import inspecting, messages_on
from tests.support.relay import eventually
from tests.support.status import parse

REFERRAL = envelope_pb2.FLOW_REFERRAL
PIECE = 7_777  # odd: rows and GB18030 characters straddle pieces


def document_with_bad_rows(rows: int) -> tuple[bytes, list[int]]:
    """A synthetic GB18030 export of `rows` rows, two of them (rows 5 and 40 of the file) made bad."""
    lines = b"".join(synthetic_document(rows, seed=7)).split(b"\r\n")  # its rows have no line break inside
    bad = [5, 40]
    for row in bad:  # row n is lines[n - 1]; its case number (the first cell) made malformed
        lines[row - 1] = b"X," + lines[row - 1].split(b",", 1)[1]
    return b"\r\n".join(lines), bad


def pieces(content: bytes, *, request_id: str, destination=case_pb2.JURISDICTION_BEIJING, filename: str = "export.csv"):
    yield adapter_pb2.IngestDocumentRequest(request_id=request_id, format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV,
                                            filename=filename, destination=destination, content=content[:PIECE])
    for start in range(PIECE, len(content), PIECE):
        yield adapter_pb2.IngestDocumentRequest(content=content[start:start + PIECE])


async def read_acknowledging(stub, count: int) -> list[adapter_pb2.InboxItem]:
    """`count` referrals from an inbox, acknowledged as they come (the inbox shows a window at a time)."""
    call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[REFERRAL]))
    items: list[adapter_pb2.InboxItem] = []
    try:
        while len(items) < count:
            items.append((await asyncio.wait_for(call.read(), 30)).item)
            await stub.AcknowledgeInboxItems(adapter_pb2.AcknowledgeInboxItemsRequest(item_ids=[items[-1].item_id]))
    finally:
        call.cancel()
    return items


async def ingest_stream_holds(url: str) -> int:
    async with inspecting(url) as js:
        return (await js.stream_info(subjects.INGEST_STREAM)).state.messages


async def referral_ids_on_bus(url: str) -> list[str]:
    """Every referral message the stream holds (its case ids, duplicates kept)."""
    async with inspecting(url) as js:
        subscription = await js.pull_subscribe("jjj.referral.>", stream="JJJ_REFERRALS")
        ids = []
        while True:
            try:
                messages = await subscription.fetch(batch=500, timeout=1.0)
            except Exception:  # noqa: BLE001 - nothing more
                break
            for message in messages:
                envelope = envelope_pb2.Envelope.FromString(message.data)
                ids.append(envelope.referral.case.case_id)
        await subscription.unsubscribe()
        return ids


async def test_a_streamed_export_is_answered_once_durable_and_every_good_row_is_sent_once(federation, settings, nats_server):
    await federation.start("beijing", "hebei")
    hebei = federation.stub("hebei")
    rows = 600
    content, bad = document_with_bad_rows(rows)

    answer = await hebei.IngestDocument(pieces(content, request_id="export-2026-11"))

    assert (answer.rows, answer.accepted, answer.rejected) == (rows, rows - len(bad), len(bad))
    assert [(r.row, r.field) for r in answer.rejections] == [(row, "件号") for row in bad]
    assert all(r.quarantine_id for r in answer.rejections)
    assert answer.chunks == -(-(rows - len(bad)) // settings.ingest.chunk_cases)
    assert (answer.document_bytes, answer.document_sha256) == (len(content), hashlib.sha256(content).hexdigest())

    # Sent one by one from the ingest stream: each good row once to Beijing, the chunks consumed.
    to_beijing = subjects.subject(REFERRAL, by_name("beijing"), by_name("hebei"))

    async def all_sent():
        return (await messages_on(nats_server.url, REFERRAL)).get(to_beijing) == rows - len(bad)
    await eventually(all_sent, timeout=60)
    await eventually(lambda: _is_zero(ingest_stream_holds(nats_server.url)), timeout=10)
    items = await read_acknowledging(federation.stub("beijing"), rows - len(bad))
    received = [item.envelope.referral.case for item in items]
    assert len({case.case_id for case in received}) == rows - len(bad)
    assert {envelope.request_id for envelope in (item.envelope for item in items)} == {
        f"{answer.ingest_id}/{n}" for n in range(answer.chunks)}
    record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=received[0].case_id))
    assert record.holder == case_pb2.JURISDICTION_BEIJING

    # A retry of the same bytes is answered as the first, storing nothing again; other bytes are refused.
    again = await hebei.IngestDocument(pieces(content, request_id="export-2026-11"))
    assert again == answer
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await hebei.IngestDocument(pieces(content[:-200], request_id="export-2026-11"))
    assert parse(rpc_status.from_call(refused.value)).error_info.reason == "REQUEST_ID_REUSED"
    assert await ingest_stream_holds(nats_server.url) == 0
    assert (await messages_on(nats_server.url, REFERRAL)).get(to_beijing) == rows - len(bad)


async def _is_zero(count) -> bool:
    return await count == 0


async def test_cases_accepted_before_the_adapter_stopped_are_sent_after_it_restarts_each_once(federation, settings, nats_server):
    settings.ingest.chunk_cases = 25  # many chunks, sent slowly: most still on the ingest stream when it stops
    settings.ingest.send_backlog = 10
    await federation.start("beijing", "hebei")
    rows = 400
    content = b"".join(synthetic_document(rows, seed=11))

    answer = await federation.stub("hebei").IngestDocument(pieces(content, request_id="export-restart"))
    assert answer.accepted == rows
    await federation.stop("hebei")
    left = await ingest_stream_holds(nats_server.url)
    assert left > 0  # what the restart has to send

    await federation.start("hebei")
    to_beijing = subjects.subject(REFERRAL, by_name("beijing"), by_name("hebei"))

    async def all_sent():
        return (await messages_on(nats_server.url, REFERRAL)).get(to_beijing) == rows
    await eventually(all_sent, timeout=90)
    await eventually(lambda: _is_zero(ingest_stream_holds(nats_server.url)), timeout=10)
    ids = await referral_ids_on_bus(nats_server.url)
    assert len(ids) == rows and len(set(ids)) == rows


async def test_a_chunk_in_hand_when_the_adapter_stops_is_sent_by_the_next_start_at_once(federation, settings, nats_server,
                                                                                       monkeypatch):
    """Not after the chunk's ack_wait: the stopping sender gives it back to the bus."""
    settings.ingest.chunk_cases = 25
    settings.ingest.ack_wait_seconds = 120.0  # far beyond the wait below: only the give-back can pass it
    in_hand = asyncio.Event()
    send = IngestSender.send

    async def stuck_on_the_second_chunk(self, data):
        if self.relay.member.name == "hebei" and not in_hand.is_set() and sent_chunks:
            in_hand.set()
            await asyncio.Event().wait()  # until the stop cancels it
        sent_chunks.append(await send(self, data))
        return sent_chunks[-1]
    sent_chunks: list[int | None] = []
    monkeypatch.setattr(IngestSender, "send", stuck_on_the_second_chunk)

    await federation.start("beijing", "hebei")
    rows = 200
    answer = await federation.stub("hebei").IngestDocument(
        pieces(b"".join(synthetic_document(rows, seed=13)), request_id="export-in-hand"))
    assert answer.accepted == rows and answer.chunks == 8
    await asyncio.wait_for(in_hand.wait(), 30)
    await federation.stop("hebei")
    assert await ingest_stream_holds(nats_server.url) == answer.chunks - 1

    await federation.start("hebei")
    to_beijing = subjects.subject(REFERRAL, by_name("beijing"), by_name("hebei"))

    async def all_sent():
        return (await messages_on(nats_server.url, REFERRAL)).get(to_beijing) == rows
    await eventually(all_sent, timeout=30)
    await eventually(lambda: _is_zero(ingest_stream_holds(nats_server.url)), timeout=10)
    ids = await referral_ids_on_bus(nats_server.url)
    assert len(ids) == rows and len(set(ids)) == rows


async def test_a_send_slower_than_the_ack_wait_is_not_given_to_the_sender_again(federation, settings, nats_server,
                                                                                  monkeypatch):
    """The chunk being sent is kept in progress: a pull waiting on the same consumer meanwhile (nats-py's fetch
    can leave one behind) gets no redelivery of it, however long the send takes beyond ack_wait."""
    settings.ingest.chunk_cases = 50
    settings.ingest.ack_wait_seconds = 1.0
    send = IngestSender.send
    sends: list[str] = []
    sending = asyncio.Event()

    async def slow_send(self, data):
        sends.append(hashlib.sha256(data).hexdigest())
        sending.set()
        await asyncio.sleep(3.0)  # three ack waits
        return await send(self, data)
    monkeypatch.setattr(IngestSender, "send", slow_send)

    await federation.start("beijing", "hebei")
    rows = 50  # one chunk
    answer = await federation.stub("hebei").IngestDocument(
        pieces(b"".join(synthetic_document(rows, seed=17)), request_id="export-slow"))
    assert answer.accepted == rows and answer.chunks == 1
    await asyncio.wait_for(sending.wait(), 10)
    async with inspecting(nats_server.url) as js:  # a second pull on the sender's own consumer, while it sends
        other = await js.pull_subscribe(subjects.ingest_subject(by_name("hebei")), durable=subjects.ingest_durable(
            by_name("hebei")), stream=subjects.INGEST_STREAM)
        try:
            redelivered = [m.data for m in await other.fetch(batch=1, timeout=2.5)]
        except nats.errors.TimeoutError:  # nothing was given again
            redelivered = []
        finally:
            await other.unsubscribe()
    assert redelivered == []
    to_beijing = subjects.subject(REFERRAL, by_name("beijing"), by_name("hebei"))

    async def all_sent():
        return (await messages_on(nats_server.url, REFERRAL)).get(to_beijing) == rows
    await eventually(all_sent, timeout=30)
    await eventually(lambda: _is_zero(ingest_stream_holds(nats_server.url)), timeout=10)
    assert len(sends) == 1


async def test_only_a_format_read_as_it_streams_is_ingested_and_the_header_comes_first(federation):
    await federation.start("beijing", "hebei")
    with pytest.raises(grpc.aio.AioRpcError) as json_export:
        await federation.stub("beijing").IngestDocument(iter([adapter_pb2.IngestDocumentRequest(
            request_id="bj-1", format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, content=b"[]")]))
    answered = parse(rpc_status.from_call(json_export.value))
    assert (json_export.value.code(), answered.error_info.reason) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                                      "UNSUPPORTED_DOCUMENT_FORMAT")
    assert "SubmitDocument" in json_export.value.details()

    hebei = federation.stub("hebei")
    with pytest.raises(grpc.aio.AioRpcError) as no_id:
        await hebei.IngestDocument(iter([adapter_pb2.IngestDocumentRequest(content=b"x")]))
    assert no_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert parse(rpc_status.from_call(no_id.value)).violations[0][0] == "request_id"

    content = b"".join(synthetic_document(3, seed=3))
    with pytest.raises(grpc.aio.AioRpcError) as late_header:
        await hebei.IngestDocument(iter([
            adapter_pb2.IngestDocumentRequest(request_id="hb-1", destination=case_pb2.JURISDICTION_BEIJING,
                                              content=content[:100]),
            adapter_pb2.IngestDocumentRequest(request_id="hb-1", content=content[100:])]))
    assert late_header.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "first message" in late_header.value.details()
