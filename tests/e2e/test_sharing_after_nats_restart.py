"""Repeat detection keeps working after nats-server restarts: the ordered digest and share consumers come back.

A real nats-server stopped and started again on its port and JetStream store, real adapters.
"""

from __future__ import annotations

import grpc

from cli import natsserver
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED
from tests.e2e.test_sharing import hebei_case_of_the_same_citizen
from tests.support.relay import document, eventually

CHAOYANG = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"


def restart(server: natsserver.NatsServer, layout) -> None:
    """The same server again, on its port and JetStream store; the fixture stops it at the end."""
    server.stop()
    again = natsserver.start(server.store_dir.parent, layout, host=server.host, port=server.port)
    server.process, server.log_file = again.process, again.log_file


async def test_a_repeat_request_is_still_linked_after_the_bus_restarted(federation, nats_server):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    sharing = federation.running["hebei"].relay.sharing
    # Something indexed before the restart: the ordered consumer has a position to resume from.
    await beijing.SubmitDocument(adapter_pb2.SubmitDocumentRequest(document=document(SANHE)))
    await eventually(lambda: _value(len(sharing.index) >= 1), timeout=10)

    restart(nats_server, federation.pki)
    await eventually(lambda: _value(federation.running["beijing"].nc.is_connected
                                    and federation.running["hebei"].nc.is_connected), timeout=20)

    async def submitted():
        try:
            await beijing.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
                request_id="after-restart", document=document(CHAOYANG), destination=case_pb2.JURISDICTION_TIANJIN))
        except Exception:  # JetStream may still be starting: the member retries, as a member would
            return False
        return True

    await eventually(submitted, timeout=20, interval=0.5)

    async def linked():
        try:
            answer = await hebei.ShareInformation(adapter_pb2.ShareInformationRequest(
                topic=envelope_pb2.SHARE_TOPIC_CASE_DIGEST, audience=[case_pb2.JURISDICTION_BEIJING],
                document=adapter_pb2.NativeDocument(content=hebei_case_of_the_same_citizen(),
                                                    format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)))
        except grpc.aio.AioRpcError as error:  # Hebei still reconnecting: it says so, and the member retries
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            return None
        return [link.earlier_case_id for link in answer.repeats]

    # Only a digest indexed after the restart can link: the Chaoyang case went out after it.
    assert await eventually(linked, timeout=30, interval=0.5) == ["jjj:BJ:BJ2026112400001234"]


async def _value(value):
    return value
