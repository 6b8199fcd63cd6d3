"""The decorator over a real grpc.aio server: every row reaches the client as a rich status, unary or streaming."""

from __future__ import annotations

import grpc
import pytest

from kernel.security import pki
from tests.support.secure import files_of, member_channel
from structlog.testing import capture_logs

from adapters.service.servicer import AdapterServicer
from gateway.query import GatewayQueryServicer
from kernel.errors import BusUnavailable, DocumentRejected
from kernel.rpc.server import serve
from kernel.rpc.translate import TRANSLATED, translate_errors
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.gateway.v1 import gateway_pb2
from tests.kernel.test_errors import ROWS
from tests.support.status import from_call

ADAPTER_SERVICE = adapter_pb2.DESCRIPTOR.services_by_name["AdapterService"]
GATEWAY_SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["GatewayQueryService"]


class Probe(adapter_pb2_grpc.AdapterServiceServicer):
    """Raises whatever the test hands it, from a unary and from a streaming method."""

    error: BaseException = RuntimeError("unset")

    @translate_errors
    async def GetCase(self, request, context):
        raise self.error

    @translate_errors
    async def OpenInbox(self, request, context):
        yield adapter_pb2.OpenInboxResponse(item=adapter_pb2.InboxItem(item_id="first"))
        raise self.error

    @translate_errors
    async def AcknowledgeInboxItem(self, request, context):
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "aborted by the method itself")


@pytest.fixture
async def probe(pki_layout):
    servicer = Probe()
    served = await serve(ADAPTER_SERVICE.full_name, lambda s: adapter_pb2_grpc.add_AdapterServiceServicer_to_server(servicer, s),
                         "127.0.0.1:0", tls=files_of(pki_layout, pki.adapter_principal("beijing")))
    channel = member_channel(pki_layout, "beijing", f"127.0.0.1:{served.port}")
    yield servicer, adapter_pb2_grpc.AdapterServiceStub(channel)
    await channel.close()
    await served.stop(0)


@pytest.mark.parametrize(("error", "code", "reason", "retry_delay", "internal"), ROWS, ids=[type(r[0]).__name__ for r in ROWS])
async def test_a_unary_method_answers_each_row_over_the_wire(probe, error, code, reason, retry_delay, internal):
    servicer, stub = probe
    servicer.error = error
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetCase(adapter_pb2.GetCaseRequest(case_id="x"), timeout=5)
    answered = from_call(raised.value)
    assert (answered.code, answered.error_info.reason, answered.retry_delay) == (code, reason, retry_delay)
    assert answered.violations == list(getattr(error, "violations", []))
    assert ("correlationId" in answered.error_info.metadata) == internal


async def test_a_stream_that_fails_after_an_item_ends_with_the_rich_status(probe):
    servicer, stub = probe
    servicer.error = BusUnavailable("the bus is unavailable (reconnecting to nats); retry shortly")
    call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(), timeout=5)
    first = await call.read()
    assert first.item.item_id == "first"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call.read()
    answered = from_call(raised.value)
    assert (answered.code, answered.error_info.reason, answered.retry_delay) == (grpc.StatusCode.UNAVAILABLE, "BUS_UNAVAILABLE", 2.0)


async def test_an_unexpected_exception_is_internal_with_a_correlation_id_that_the_log_has_with_its_traceback(probe):
    servicer, stub = probe
    servicer.error = ZeroDivisionError("division by zero in some internal computation")
    with capture_logs() as logs:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.GetCase(adapter_pb2.GetCaseRequest(case_id="x"), timeout=5)
    answered = from_call(raised.value)
    assert answered.code == grpc.StatusCode.INTERNAL
    assert answered.error_info.reason == "INTERNAL_ERROR"
    assert "division" not in answered.message
    correlation_id = answered.error_info.metadata["correlationId"]
    (logged,) = [entry for entry in logs if entry["event"] == "rpc_failed"]
    assert logged["correlation_id"] == correlation_id and logged["exc_info"] is servicer.error
    assert logged["rpc"] == "GetCase" and logged["log_level"] == "error"


async def test_a_refusal_is_logged_by_reason_without_its_message(probe):
    servicer, stub = probe
    servicer.error = DocumentRejected("first: xm: 张三 is not a valid name", violations=[("xm", "invalid")])
    with capture_logs() as logs:
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.GetCase(adapter_pb2.GetCaseRequest(case_id="x"), timeout=5)
    (logged,) = [entry for entry in logs if entry["event"] == "rpc_refused"]
    assert (logged["code"], logged["reason"]) == ("INVALID_ARGUMENT", "DOCUMENT_REJECTED")
    assert "张三" not in repr(logged)


async def test_an_abort_inside_the_method_passes_through_unchanged(probe):
    _, stub = probe
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id="x"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.details() == "aborted by the method itself"


@pytest.mark.parametrize(("servicer", "service"), [(AdapterServicer, ADAPTER_SERVICE), (GatewayQueryServicer, GATEWAY_SERVICE)],
                         ids=["AdapterService", "GatewayQueryService"])
def test_every_method_of_every_servicer_translates_errors(servicer, service):
    methods = [method.name for method in service.methods]
    assert len(methods) >= 3
    assert [name for name in methods if not getattr(getattr(servicer, name), TRANSLATED, False)] == []

