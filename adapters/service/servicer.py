"""The gRPC AdapterService: translates calls to the relay and errors to google.rpc.Status."""

from __future__ import annotations

import functools

import grpc
import structlog

from kernel.codec import split_outcomes
from adapters.registry import codec_for_format
from kernel.bus.jetstream import BusError
from kernel.rpc.status import abort
from adapters.service.inbox import Inboxes
from adapters.service.relay import AdapterRelay, RelayError
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc

log = structlog.get_logger(__name__)


def _translating_errors(method):
    @functools.wraps(method)
    async def wrapper(self, request, context):
        structlog.contextvars.bind_contextvars(rpc=method.__name__, jurisdiction=self.relay.member.name)
        try:
            return await method(self, request, context)
        except RelayError as error:
            await abort(context, grpc.StatusCode[error.code_name], str(error), reason=error.reason,
                        field_violations=error.violations)
        except BusError as error:
            await _bus_unavailable(context, error)
        finally:
            structlog.contextvars.unbind_contextvars("rpc", "jurisdiction")

    return wrapper


async def _bus_unavailable(context, error: BusError) -> None:
    """A stream or bucket missing, or the bus not answering: retryable once the operator fixed it."""
    log.error("bus_unavailable", error=str(error))
    await abort(context, grpc.StatusCode.UNAVAILABLE, f"the bus cannot serve this request: {error}", reason="BUS_UNAVAILABLE")


class AdapterServicer(adapter_pb2_grpc.AdapterServiceServicer):
    def __init__(self, relay: AdapterRelay, inboxes: Inboxes) -> None:
        self.relay = relay
        self.inboxes = inboxes

    @_translating_errors
    async def SubmitDocument(self, request, context):
        return await self.relay.submit(request)

    async def OpenInbox(self, request, context):
        session = self.inboxes.open(request.flows)
        log.info("inbox_opened", jurisdiction=self.relay.member.name, peer=context.peer())
        try:
            async for item in session.items():
                yield adapter_pb2.OpenInboxResponse(item=item)
        except BusError as error:
            await _bus_unavailable(context, error)
        finally:
            self.inboxes.close(session)
            log.info("inbox_closed", jurisdiction=self.relay.member.name, peer=context.peer())

    async def AcknowledgeInboxItem(self, request, context):
        if not await self.inboxes.acknowledge(request.item_id):
            # Acknowledging twice, or after the session ended, is not an error for the member:
            # the item is either done or will be delivered again.
            log.info("ack_not_pending", item_id=request.item_id)
        return adapter_pb2.AcknowledgeInboxItemResponse()

    @_translating_errors
    async def ReportStatus(self, request, context):
        return await self.relay.report_status(request)

    @_translating_errors
    async def ShareInformation(self, request, context):
        return await self.relay.share(request)

    @_translating_errors
    async def GetCase(self, request, context):
        return await self.relay.get_case(request.case_id)

    @_translating_errors
    async def MapToCommon(self, request, context):
        codec = self._codec(request.document.format)
        cases, rejected = split_outcomes(codec.decode(request.document.content))
        return adapter_pb2.MapToCommonResponse(cases=cases, rejections=[r.to_proto() for r in rejected])

    @_translating_errors
    async def MapFromCommon(self, request, context):
        codec = self.relay.codec
        return adapter_pb2.MapFromCommonResponse(document=adapter_pb2.NativeDocument(
            content=codec.encode(list(request.cases)), format=codec.document_format,
        ))

    def _codec(self, document_format: int):
        if document_format in (adapter_pb2.DOCUMENT_FORMAT_UNSPECIFIED, self.relay.member.document_format):
            return self.relay.codec
        try:
            return codec_for_format(document_format)
        except LookupError as error:
            raise RelayError(str(error)) from None
