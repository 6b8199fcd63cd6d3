"""The gRPC AdapterService: translates calls to the relay; every error answers through kernel/rpc/status.py."""

from __future__ import annotations

import contextlib

import structlog

from kernel.codec import split_outcomes
from kernel.config import OutboxSettings
from kernel.errors import InvalidRequest
from adapters.registry import codec_for_format
from kernel.rpc.translate import translate_errors
from adapters.service import observe
from adapters.service.inbox import Inboxes
from adapters.service.ingest import Ingests
from adapters.service.relay import AdapterRelay
from adapters.service.turns import Turns
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc

log = structlog.get_logger(__name__)
MAX_ACKNOWLEDGED_PER_CALL = 1000


class AdapterServicer(adapter_pb2_grpc.AdapterServiceServicer):
    def __init__(self, relay: AdapterRelay, inboxes: Inboxes, ingests: Ingests | None = None, *,
                 submissions_at_once: int = OutboxSettings().submissions_at_once,
                 submissions_waiting_at_most: int = OutboxSettings().submissions_waiting_at_most) -> None:
        self.relay = relay
        self.inboxes = inboxes
        self.ingests = ingests or Ingests(relay)
        self.submissions = Turns(submissions_at_once, relay.member.name, waiting_at_most=submissions_waiting_at_most)
        self.log_context = {"jurisdiction": relay.member.name}

    @translate_errors
    async def SubmitDocument(self, request, context):
        with observe.server_span(self.relay.member, "SubmitDocument", context):  # the wait for a turn included
            async with self.submissions.turn():
                return await self.relay.submit(request)

    @translate_errors
    async def IngestDocument(self, request_iterator, context):
        with observe.server_span(self.relay.member, "IngestDocument", context):
            return await self.ingests.ingest(request_iterator)

    @translate_errors
    async def OpenInbox(self, request, context):
        session = self.inboxes.open(request.flows, several_per_message=request.items_per_message > 1)
        # Read the peer while the call is alive: after a cancellation grpc may have freed it
        # (context.peer() in the finally crashed the process with SIGSEGV about half the time).
        peer = context.peer()
        log.info("inbox_opened", jurisdiction=self.relay.member.name, peer=peer)
        try:
            # aclosing: a cancellation while this handler waits at its own yield still runs the session's
            # clean-up (unsubscribe, park) here and now, not whenever the generator is collected.
            async with contextlib.aclosing(session.batches()) as batches:
                async for batch in batches:
                    for response in responses_of(batch, request.items_per_message):
                        yield response
        finally:
            self.inboxes.close(session)
            log.info("inbox_closed", jurisdiction=self.relay.member.name, peer=peer)

    @translate_errors
    async def AcknowledgeInboxItem(self, request, context):
        # One id per call; a batch would loop over the same per-item acknowledgement.
        result = await self.inboxes.acknowledge(request.item_id, context)
        if result == adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED:
            log.info("ack_repeated", item_id=request.item_id)
        return adapter_pb2.AcknowledgeInboxItemResponse(result=result)

    @translate_errors
    async def AcknowledgeInboxItems(self, request, context):
        if len(request.item_ids) > MAX_ACKNOWLEDGED_PER_CALL:
            raise InvalidRequest(f"at most {MAX_ACKNOWLEDGED_PER_CALL} item_ids per call, not {len(request.item_ids)}",
                                 violations=[("item_ids", f"at most {MAX_ACKNOWLEDGED_PER_CALL}")])
        results = await self.inboxes.acknowledge_many(list(request.item_ids))
        return adapter_pb2.AcknowledgeInboxItemsResponse(outcomes=[
            adapter_pb2.AcknowledgeInboxItemOutcome(item_id=item_id, result=result or 0, unknown=result is None)
            for item_id, result in zip(request.item_ids, results, strict=True)])

    @translate_errors
    async def ReportStatus(self, request, context):
        with observe.server_span(self.relay.member, "ReportStatus", context):
            return await self.relay.report_status(request)

    @translate_errors
    async def ShareInformation(self, request, context):
        with observe.server_span(self.relay.member, "ShareInformation", context):
            return await self.relay.share(request)

    @translate_errors
    async def GetCase(self, request, context):
        return await self.relay.get_case(request.case_id)

    @translate_errors
    async def MapToCommon(self, request, context):
        codec = self._codec(request.document.format)
        cases, rejected = split_outcomes(codec.decode(request.document.content))
        return adapter_pb2.MapToCommonResponse(cases=cases, rejections=[r.to_proto() for r in rejected])

    @translate_errors
    async def MapFromCommon(self, request, context):
        codec = self.relay.codec
        return adapter_pb2.MapFromCommonResponse(document=adapter_pb2.NativeDocument(
            content=codec.encode(list(request.cases)), format=codec.document_format,
        ))

    def _codec(self, document_format: int):
        if document_format in (adapter_pb2.DOCUMENT_FORMAT_UNSPECIFIED, self.relay.member.document_format):
            return self.relay.codec
        return codec_for_format(document_format)


def responses_of(items: list[adapter_pb2.InboxItem], per_message: int) -> list[adapter_pb2.OpenInboxResponse]:
    """Items ready together, one per response in `item` (as a member that asked for nothing expects), or up
    to `per_message` in `items` of each."""
    if per_message <= 1:
        return [adapter_pb2.OpenInboxResponse(item=item) for item in items]
    return [adapter_pb2.OpenInboxResponse(items=items[start:start + per_message])
            for start in range(0, len(items), per_message)]

