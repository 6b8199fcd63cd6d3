"""Referrals from Tianjin to Hebei through a running federation, as the two member systems make and take them."""

from __future__ import annotations

import time

import grpc

from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from kernel.security import pki
from kernel.security.tls import grpc_channel_credentials
from tests.conftest import SHARED
from tests.support.secure import files_of

LANGFANG = SHARED / "jurisdictions/tianjin/samples/valid/tj_bom_transfer_langfang.xml"
SAMPLE_ORDER = "TJ-26-1124-000900"


def tianjin_referral(number: int) -> tuple[str, adapter_pb2.NativeDocument]:
    """A Tianjin work order to be referred to Hebei (Langfang), its own order number; with its case id."""
    order = f"TJ-26-1124-{700000 + number:06d}"
    content = LANGFANG.read_text(encoding="utf-8-sig").replace(SAMPLE_ORDER, order).encode("utf-8")
    return f"jjj:TJ:{order}", adapter_pb2.NativeDocument(content=content, format=adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML,
                                                         filename=f"{order}.xml")


def member_stub(layout: pki.PkiLayout, jurisdiction: str, port: int) -> tuple[grpc.Channel, adapter_pb2_grpc.AdapterServiceStub]:
    files = files_of(layout, pki.member_system_principal(jurisdiction))
    channel = grpc.secure_channel(f"127.0.0.1:{port}", grpc_channel_credentials(files))
    return channel, adapter_pb2_grpc.AdapterServiceStub(channel)


def refer(layout: pki.PkiLayout, tianjin_port: int, number: int, *, timeout: float = 30.0) -> str:
    """Submits referral `number` at Tianjin's adapter, retrying while it answers UNAVAILABLE; its case id."""
    case_id, document = tianjin_referral(number)
    channel, stub = member_stub(layout, "tianjin", tianjin_port)
    deadline = time.monotonic() + timeout
    with channel:
        while True:
            try:
                reply = stub.SubmitDocument(adapter_pb2.SubmitDocumentRequest(request_id=case_id, document=document),
                                            timeout=10)
                assert [submission.case_id for submission in reply.submissions] == [case_id]
                return case_id
            except grpc.RpcError as error:
                if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) \
                        or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


def take(layout: pki.PkiLayout, hebei_port: int, expected: set[str], *, timeout: float) -> set[str]:
    """Hebei's member system reads and acknowledges its inbox until it has every expected case (or time is up)."""
    taken: set[str] = set()
    deadline = time.monotonic() + timeout
    channel, stub = member_stub(layout, "hebei", hebei_port)
    with channel:
        while not expected <= taken and time.monotonic() < deadline:
            call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(), timeout=max(1.0, deadline - time.monotonic()))
            try:
                for response in call:
                    item = response.item
                    stub.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id), timeout=10)
                    taken.add(item.envelope.referral.case.case_id or item.envelope.hotline_transfer.case.case_id)
                    if expected <= taken:
                        call.cancel()
                        break
            except grpc.RpcError as error:
                if error.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED,
                                        grpc.StatusCode.UNAVAILABLE):
                    raise
                time.sleep(0.3)
    return taken
