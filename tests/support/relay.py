"""Helpers for tests that talk to adapters as a member system would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jjj.adapter.v1 import adapter_pb2
from kernel import ports

FORMATS = {".json": adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, ".xml": adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML,
           ".csv": adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV, ".jsonl": adapter_pb2.DOCUMENT_FORMAT_COMMON_JSONL}


def document(path: Path) -> adapter_pb2.NativeDocument:
    return adapter_pb2.NativeDocument(content=path.read_bytes(), format=FORMATS[path.suffix], filename=path.name)


def submit_request(path: Path, request_id: str = "", **kwargs) -> adapter_pb2.SubmitDocumentRequest:
    return adapter_pb2.SubmitDocumentRequest(request_id=request_id, document=document(path), **kwargs)


async def read_items(stub, *, count: int, timeout: float = 10.0, flows=()) -> tuple[list[adapter_pb2.InboxItem], object]:
    """Open an inbox and read `count` items; returns them with the still-open call."""
    call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(flows=flows))
    items = []
    for _ in range(count):
        response = await asyncio.wait_for(call.read(), timeout)
        items.append(response.item)
    return items, call


async def take(stub, count: int, *, flows=(), timeout: float = 10.0) -> list[adapter_pb2.InboxItem]:
    """Read and acknowledge `count` inbox items, then close the inbox."""
    items, call = await read_items(stub, count=count, flows=flows, timeout=timeout)
    for item in items:
        await stub.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
    call.cancel()
    return items


async def eventually(probe, *, timeout: float = 10.0, interval: float = 0.05):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)


def free_port() -> int:
    return ports.free_port()
