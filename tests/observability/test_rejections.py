"""Every refused call is counted by its ErrorInfo reason and the adapter's jurisdiction, over a real gRPC server."""

from __future__ import annotations

import grpc
import pytest

from kernel.errors import DocumentRejected
from kernel.observability import metrics
from kernel.rpc.server import serve
from kernel.security import pki
from tests.kernel.rpc.test_translate import ADAPTER_SERVICE, Probe
from tests.support.secure import files_of, member_channel
from tests.support.status import from_call
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc


class TianjinProbe(Probe):
    log_context = {"jurisdiction": "tianjin"}


async def test_a_refusal_counts_under_its_reason_and_jurisdiction(pki_layout):
    servicer = TianjinProbe()
    servicer.error = DocumentRejected("no case could be sent", violations=[("content", "bad")])
    served = await serve(ADAPTER_SERVICE.full_name, lambda s: adapter_pb2_grpc.add_AdapterServiceServicer_to_server(servicer, s),
                         "127.0.0.1:0", tls=files_of(pki_layout, pki.adapter_principal("tianjin")))
    channel = member_channel(pki_layout, "tianjin", f"127.0.0.1:{served.port}")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await adapter_pb2_grpc.AdapterServiceStub(channel).GetCase(adapter_pb2.GetCaseRequest(case_id="x"), timeout=5)
        reason = from_call(raised.value).error_info.reason
        counted = metrics.REJECTIONS.labels("tianjin", reason)._value.get()
        with pytest.raises(grpc.aio.AioRpcError):
            await adapter_pb2_grpc.AdapterServiceStub(channel).GetCase(adapter_pb2.GetCaseRequest(case_id="x"), timeout=5)
    finally:
        await channel.close()
        await served.stop(0)
    assert reason and counted >= 1
    assert metrics.REJECTIONS.labels("tianjin", reason)._value.get() == counted + 1
