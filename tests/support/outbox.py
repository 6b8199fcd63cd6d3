"""Helpers for the outbox tests: distinct one-case documents, a bus that goes away and comes back."""

from __future__ import annotations

import csv
import io

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.hebei.synthetic import synthetic_rows
from adapters.hebei.tables import HEADER
from cli import natsserver
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from tests.support.secure import member_channel


def hebei_documents(count: int, *, seed: int = 2026) -> list[adapter_pb2.NativeDocument]:
    """`count` one-row Hebei CSV documents, each a different case, all for Beijing."""
    documents = []
    for serial, row in enumerate(synthetic_rows(count, seed)):
        row["内容"] = f"第{serial}号诉求：{row['内容']}"  # distinct content: no repeat links between them
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerow(row.values())
        documents.append(adapter_pb2.NativeDocument(content=buffer.getvalue().encode("gb18030"),
                                                    format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV,
                                                    filename=f"case-{serial}.csv"))
    return documents


def to_beijing(document: adapter_pb2.NativeDocument, request_id: str) -> adapter_pb2.SubmitDocumentRequest:
    return adapter_pb2.SubmitDocumentRequest(request_id=request_id, document=document,
                                             destination=case_pb2.JURISDICTION_BEIJING)


def restart_nats(server: natsserver.NatsServer, layout) -> None:
    """The same server again, on its port and JetStream store; the fixture stops it at the end."""
    again = natsserver.start(server.store_dir.parent, layout, host=server.host, port=server.port)
    server.process, server.log_file = again.process, again.log_file


async def health(layout, address: str, member: str) -> int | None:
    """The adapter's overall health status, None when it does not answer."""
    async with member_channel(layout, member, address) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError:
            return None
        return reply.status


SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


def every_thread_stopped(pid: int) -> bool:
    """SIGSTOP takes effect thread by thread, after kill() returned."""
    from pathlib import Path

    states = [(path / "stat").read_text().rsplit(")", 1)[1].split()[0] for path in Path(f"/proc/{pid}/task").iterdir()]
    return bool(states) and all(state in ("T", "t") for state in states)
