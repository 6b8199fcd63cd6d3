"""Clients of a running federation, as a member system's engineer or test harness calls it.

`MemberClient(state, "beijing")` calls Beijing's adapter over real gRPC with mutual TLS
and Beijing's member-system certificate (the one the adapter admits); `GatewayClient`
asks the gateway's query service (it admits any registered member system); `health`
asks any process's gRPC health service (a CA certificate is enough). Every failed call
raises `Refused` with the federation's reasons decoded (harness.errors) or
`Unreachable` when nobody answered.

The clients are asyncio: one per event loop, closed with `await client.close()` or
`async with`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness import documents, names
from harness.errors import Refused, translated
from harness.state import Endpoint, FederationState
from kernel import jurisdictions
from kernel.errors import UnknownJurisdiction
from kernel.security import pki
from kernel.security.tls import TlsFiles, grpc_channel_credentials
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2, gateway_pb2_grpc

DEFAULT_TIMEOUT = 30.0
# Calls carry documents up to the adapters' default limit (8 MiB) and a margin.
MAX_MESSAGE_BYTES = 9 * 1024 * 1024
# A document of more cases than this is sent in several calls by `submit(..., cases_per_call=None)`.
CASES_PER_CALL = 200
# IngestDocument pieces: well under the adapter's gRPC message limit, large enough to keep the stream busy.
INGEST_PIECE_BYTES = 1024 * 1024
# Items the adapter may put in one inbox message (it puts those ready together; at most 64).
ITEMS_PER_MESSAGE = 64
SERVING = health_pb2.HealthCheckResponse.SERVING


def secure_channel(address: str, files: TlsFiles) -> grpc.aio.Channel:
    """An asyncio channel with mutual TLS: the server checked against the CA, our certificate presented."""
    options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES), ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    return grpc.aio.secure_channel(address, grpc_channel_credentials(files), options=options)


def new_request_id() -> str:
    return uuid.uuid4().hex


class _Client:
    def __init__(self, endpoint: Endpoint, files: TlsFiles, timeout: float) -> None:
        self.endpoint = endpoint
        self.files = files
        self.timeout = timeout
        self._channel: grpc.aio.Channel | None = None

    @property
    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._channel = secure_channel(self.endpoint.address, self.files)
        return self._channel

    async def _call(self, method, request, timeout: float | None = None):
        try:
            return await method(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise translated(error, self.endpoint.address) from None

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.close()


class MemberClient(_Client):
    """`jurisdiction`'s member system calling its own adapter."""

    def __init__(self, state: FederationState, jurisdiction: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.jurisdiction = jurisdictions.by_name(jurisdiction).name
        super().__init__(state.adapter(self.jurisdiction), state.member_files(self.jurisdiction), timeout)
        self.stub = adapter_pb2_grpc.AdapterServiceStub(self.channel)

    async def submit(self, document: bytes, *, to: str | None = None, transfer: bool = False, request_id: str | None = None,
                     document_format: int | None = None, filename: str = "", note: str = "",
                     cases_per_call: int | None = 0,
                     progress: Callable[[int, int], None] | None = None) -> adapter_pb2.SubmitDocumentResponse:
        """Sends a native document (the jurisdiction's own format unless told) as referrals, or hotline
        transfers with `transfer`, to `to` or wherever each case's location says.

        `cases_per_call`: 0 sends the document in one call; None splits a document of more than
        CASES_PER_CALL cases into several calls (request ids `<request_id>/<n>`); a number splits at that
        size. `progress(cases_sent, cases_total)` is called after each call. The answer of several calls is
        one response with rejections numbered in the whole document."""
        document_format = document_format or documents.format_for(self.jurisdiction, filename)
        request_id = request_id or new_request_id()
        size = CASES_PER_CALL if cases_per_call is None else cases_per_call
        pieces = documents.split(document, document_format, size) if size else [documents.Piece(document, 0, 1)]
        total = sum(piece.cases for piece in pieces)
        merged = adapter_pb2.SubmitDocumentResponse()
        if progress is not None and len(pieces) > 1:
            progress(0, total)
        for index, piece in enumerate(pieces):
            request = adapter_pb2.SubmitDocumentRequest(
                request_id=request_id if len(pieces) == 1 else f"{request_id}/{index + 1}",
                document=adapter_pb2.NativeDocument(content=piece.content, format=document_format, filename=filename),
                flow=envelope_pb2.FLOW_HOTLINE_TRANSFER if transfer else envelope_pb2.FLOW_REFERRAL,
                destination=names.jurisdiction(to) if to else case_pb2.JURISDICTION_UNSPECIFIED, note=note)
            try:
                response = await self._call(self.stub.SubmitDocument, request)
            except Refused as refused:
                if len(pieces) == 1 or refused.refusal.reason != "DOCUMENT_REJECTED":
                    raise
                # One piece rejected whole: the others still go; its cases are rejections of the whole document.
                response = documents.rejected_piece(refused.refusal.violations, document_format)
            merged.submissions.extend(response.submissions)
            merged.rejections.extend(documents.shifted(rejection, piece.first_case) for rejection in response.rejections)
            if progress is not None:
                progress(piece.first_case + piece.cases, total)
        return merged

    async def submit_file(self, path: Path | str, **options) -> adapter_pb2.SubmitDocumentResponse:
        path = Path(path)
        return await self.submit(path.read_bytes(), filename=path.name, **options)

    async def ingest_file(self, path: Path | str, *, to: str | None = None, transfer: bool = False,
                          request_id: str | None = None, note: str = "", piece_bytes: int = INGEST_PIECE_BYTES,
                          timeout: float | None = None) -> adapter_pb2.IngestDocumentResponse:
        """Streams a large export (Hebei CSV) to IngestDocument, read from the file a piece at a time: answered
        once every accepted row is durable on the bus; the adapter sends the cases on by itself afterwards.
        A retry with the same `request_id` and the same file gets the same answer."""
        path = Path(path)
        request_id = request_id or new_request_id()

        def pieces():
            with path.open("rb") as source:
                piece = source.read(piece_bytes)
                yield adapter_pb2.IngestDocumentRequest(
                    request_id=request_id, filename=path.name, note=note, content=piece,
                    flow=envelope_pb2.FLOW_HOTLINE_TRANSFER if transfer else envelope_pb2.FLOW_REFERRAL,
                    destination=names.jurisdiction(to) if to else case_pb2.JURISDICTION_UNSPECIFIED)
                while piece := source.read(piece_bytes):
                    yield adapter_pb2.IngestDocumentRequest(content=piece)

        return await self._call(self.stub.IngestDocument, pieces(), timeout=timeout or max(self.timeout, 600.0))

    async def inbox(self, *, follow: bool = True, flows: Sequence[int | str] = (),
                    idle_seconds: float = 1.0) -> AsyncIterator[adapter_pb2.InboxItem]:
        """Inbound items as they come. Without `follow`, stops once nothing more came for `idle_seconds`
        (what is waiting now). An item not acknowledged (`ack`) comes again on the next inbox."""
        request = adapter_pb2.OpenInboxRequest(flows=[names.flow(f) if isinstance(f, str) else f for f in flows],
                                               items_per_message=ITEMS_PER_MESSAGE)
        call = self.stub.OpenInbox(request)
        try:
            while True:
                try:
                    response = await (call.read() if follow else asyncio.wait_for(call.read(), idle_seconds))
                except asyncio.TimeoutError:
                    return
                except grpc.RpcError as error:
                    raise translated(error, self.endpoint.address) from None
                if response is grpc.aio.EOF:
                    return
                for item in response.items or [response.item]:  # an adapter from before items_per_message: one
                    yield item
        finally:
            call.cancel()

    async def ack(self, item_id: str) -> int:
        """The AckResult: ACKNOWLEDGED, or ALREADY_ACKNOWLEDGED; an id the adapter does not know raises NotFound."""
        response = await self._call(self.stub.AcknowledgeInboxItem, adapter_pb2.AcknowledgeInboxItemRequest(item_id=item_id))
        return response.result

    async def ack_many(self, item_ids: Sequence[str]) -> list[adapter_pb2.AcknowledgeInboxItemOutcome]:
        """Up to 1000 ids in one call, one outcome each in their order (`unknown` for an id the adapter
        does not know, rather than failing the call)."""
        response = await self._call(self.stub.AcknowledgeInboxItems,
                                    adapter_pb2.AcknowledgeInboxItemsRequest(item_ids=list(item_ids)))
        return list(response.outcomes)

    async def step(self, case_id: str, status: int | str, *, reason: str = "", note: str = "", actor: str = "",
                   request_id: str | None = None, feedback: case_pb2.Feedback | None = None,
                   at: datetime | None = None, event_type: int | str = 0,
                   extension: case_pb2.DeadlineExtension | tuple[str, int] | None = None,
                   return_reason: int | str = 0, closing: int | str = 0, merged_into: str = "",
                   coordination: case_pb2.CoordinationDecision | None = None) -> adapter_pb2.ReportStatusResponse:
        """A lifecycle step (status by value or name: `STATUS_RECEIVED`, `received`, `signed`).

        `at`: when it happened (an aware datetime; now when None). The rest are the step's facts
        (schemas/lifecycle.yaml), by value or name: a return's `return_reason` (`not_ours`), a
        `closing` path (`withdrawn`, `merged` with `merged_into`, `informed`), the `coordination`
        decision on a disputed return, an `event_type` (`extension` with `extension` = (step, amount),
        `urging`, ...) for a step that repeats the current status."""
        request = adapter_pb2.ReportStatusRequest(
            request_id=request_id or new_request_id(), case_id=case_id,
            status=names.status(status) if isinstance(status, str) else status, actor=actor, note=note, reason=reason,
            feedback=feedback, merged_into=merged_into, coordination=coordination,
            event_type=names.event_type(event_type) if isinstance(event_type, str) else event_type,
            return_reason=names.return_reason(return_reason) if isinstance(return_reason, str) else return_reason,
            closing=names.closing(closing) if isinstance(closing, str) else closing)
        if isinstance(extension, tuple):
            extension = case_pb2.DeadlineExtension(step=extension[0], amount=int(extension[1]))
        if extension is not None:
            request.extension.CopyFrom(extension)
            if not request.event_type:
                request.event_type = case_pb2.EVENT_TYPE_EXTENSION
        if at is not None:
            request.at.FromDatetime(at.astimezone(timezone.utc))
        return await self._call(self.stub.ReportStatus, request)

    async def get_case(self, case_id: str) -> adapter_pb2.GetCaseResponse:
        return await self._call(self.stub.GetCase, adapter_pb2.GetCaseRequest(case_id=case_id))

    async def share(self, *, topic: int | str, classification: int | str = "internal", audience: Iterable[str] = (),
                    title: str = "", body: str = "", document: bytes | None = None, filename: str = "",
                    request_id: str | None = None, emergency: envelope_pb2.EmergencyBroadcast | None = None,
                    emergency_ack: envelope_pb2.EmergencyAck | None = None) -> adapter_pb2.ShareInformationResponse:
        """Information sharing: a notice, statistics, an early warning, case digests of `document`, an
        emergency broadcast (topic `emergency`) or its acknowledgement (`emergency_ack`)."""
        request = adapter_pb2.ShareInformationRequest(
            request_id=request_id or new_request_id(), emergency=emergency, emergency_ack=emergency_ack,
            topic=names.share_topic(topic) if isinstance(topic, str) else topic,
            classification=names.classification(classification) if isinstance(classification, str) else classification,
            audience=[names.jurisdiction(member) for member in audience], title=title, body=body)
        if document is not None:
            request.document.CopyFrom(adapter_pb2.NativeDocument(
                content=document, format=documents.format_for(self.jurisdiction, filename), filename=filename))
        return await self._call(self.stub.ShareInformation, request)

    async def map_to_common(self, document: bytes, *, filename: str = "") -> adapter_pb2.MapToCommonResponse:
        native = adapter_pb2.NativeDocument(content=document, format=documents.format_for(self.jurisdiction, filename),
                                            filename=filename)
        return await self._call(self.stub.MapToCommon, adapter_pb2.MapToCommonRequest(document=native))


class GatewayClient(_Client):
    """The gateway's query service, called with a member system's certificate (`as_member`)."""

    def __init__(self, state: FederationState, *, as_member: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        member = jurisdictions.by_name(as_member).name if as_member else jurisdictions.names()[0]
        super().__init__(state.gateway, state.member_files(member), timeout)
        self.stub = gateway_pb2_grpc.GatewayQueryServiceStub(self.channel)

    async def case_trail(self, case_id: str) -> gateway_pb2.GetCaseTrailResponse:
        return await self._call(self.stub.GetCaseTrail, gateway_pb2.GetCaseTrailRequest(case_id=case_id))

    async def list_cases(self, *, origin: str | None = None, holder: str | None = None, native_id: str = "", day: str = "",
                         page_size: int = 0, page_token: str = "") -> gateway_pb2.ListCasesResponse:
        request = gateway_pb2.ListCasesRequest(
            native_id=native_id, day=day, page_size=page_size, page_token=page_token,
            origin=names.jurisdiction(origin) if origin else case_pb2.JURISDICTION_UNSPECIFIED,
            holder=names.jurisdiction(holder) if holder else case_pb2.JURISDICTION_UNSPECIFIED)
        return await self._call(self.stub.ListCases, request)

    async def statistics(self, day: str = "") -> gateway_pb2.GetRelayStatisticsResponse:
        return await self._call(self.stub.GetRelayStatistics, gateway_pb2.GetRelayStatisticsRequest(day=day))


def origin_of(case_id: str) -> str | None:
    """The member whose short code a case id carries (`jjj:BJ:...` -> beijing), None when it carries none."""
    try:
        return jurisdictions.origin_of_case_id(case_id).name
    except UnknownJurisdiction:
        return None


async def health(endpoint: Endpoint, files: TlsFiles, *, service: str = "", timeout: float = 3.0) -> int | None:
    """A process's gRPC health status for `service` (HealthCheckResponse.ServingStatus), None when nobody answers."""
    async with secure_channel(endpoint.address, files) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                                    timeout=timeout)
        except grpc.RpcError:
            return None
        return reply.status


async def nats_reachable(state: FederationState, *, timeout: float = 3.0) -> str | None:
    """None when the bus accepts the operator's certificate, else why not."""
    import nats

    from kernel.bus import subjects
    from kernel.security.tls import client_context

    # asyncio's SSL transport warns about nats-py's EOF handling: noise on an engineer's terminal.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    async def quiet(_error) -> None:  # nats-py logs each failed attempt with a traceback otherwise
        return None

    try:
        # nats-py retries the first connect by itself; the deadline is ours.
        connection = await asyncio.wait_for(
            nats.connect(state.nats_url, tls=client_context(state.operator_files()), connect_timeout=timeout,
                         max_reconnect_attempts=1, allow_reconnect=False, name="jjj-status", error_cb=quiet,
                         inbox_prefix=subjects.inbox_prefix(pki.OPERATOR)), timeout)
    except asyncio.TimeoutError:
        return f"no answer within {timeout:g}s"
    except Exception as error:  # nats-py raises several unrelated types for "nobody there"
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    await connection.close()
    return None
