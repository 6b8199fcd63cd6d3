"""Relay throughput: Beijing member -> adapter -> JetStream -> Hebei adapter -> Hebei member (acknowledged).

Floor, in the same run on the same nats-server: publishing the same envelopes
straight to a JetStream stream and pulling and acknowledging them, with no
adapter, mapping, KV or gRPC in between. Bounded: a few hundred referrals, loopback only.
Both run as `jjj up` does: TLS on the bus (the floor connects as the operator) and
mutual TLS between member systems and adapters.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import grpc

from kernel.normalize.resident_id import gb11643_check_digit
from adapters.service.app import start_adapter
from cli import certs, natsserver
from kernel.bus import jetstream
from kernel.config import Settings, TlsSettings
from kernel.security import pki
from kernel.security.tls import TlsFiles, client_context, grpc_channel_credentials
from kernel.security.keys import init_keys
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc

SAMPLE = Path(__file__).resolve().parents[1] / "tests/fixtures/shared/jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
REFERRALS = 300


def documents(count: int) -> list[bytes]:
    """Distinct work orders from distinct citizens (the same citizen 300 times would be a repeat-matching benchmark)."""
    order = json.loads(SAMPLE.read_bytes())
    result = []
    for n in range(count):
        first17 = f"13108219900101{n:03d}"
        order["gdbh"] = f"BJ20261124{n:08d}"
        order["sqr"]["zjhm"] = first17 + gb11643_check_digit(first17)
        order["sqr"]["lxdh"] = f"139{n:08d}"
        result.append(json.dumps(order, ensure_ascii=False).encode())
    return result


def member_channel(settings: Settings, jurisdiction: str, port: int) -> grpc.aio.Channel:
    layout = settings.pki()
    principal = pki.member_system_principal(jurisdiction)
    files = TlsFiles(layout.ca_cert, layout.cert(principal), layout.key(principal))
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc_channel_credentials(files))


async def relay_rate(settings: Settings, count: int) -> tuple[float, bytes]:
    beijing, hebei = await start_adapter("beijing", settings, port=0), await start_adapter("hebei", settings, port=0)
    async with member_channel(settings, "beijing", beijing.port) as bj, member_channel(settings, "hebei", hebei.port) as he:
        sender, receiver = adapter_pb2_grpc.AdapterServiceStub(bj), adapter_pb2_grpc.AdapterServiceStub(he)
        inbox = receiver.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[1]))
        started = time.perf_counter()

        async def send() -> None:
            for content in documents(count):
                await sender.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
                    document=adapter_pb2.NativeDocument(content=content, format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON)))

        async def receive() -> bytes:
            envelope = b""
            for _ in range(count):
                item = (await asyncio.wait_for(inbox.read(), 30)).item
                await receiver.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
                envelope = item.envelope.SerializeToString()
            return envelope

        _, envelope = await asyncio.gather(send(), receive())
        elapsed = time.perf_counter() - started
        inbox.cancel()
    await beijing.stop(0.2)
    await hebei.stop(0.2)
    return count / elapsed, envelope


async def floor_rate(url: str, layout: pki.PkiLayout, envelope: bytes, count: int) -> float:
    nc = await jetstream.connect(url, name="bench-floor", tls=client_context(certs.operator_files(layout)),
                                 principal=pki.OPERATOR)
    js = nc.jetstream()
    await js.add_stream(name="FLOOR", subjects=["floor.>"])
    subscription = await js.pull_subscribe("floor.he.bj", durable="floor")
    started = time.perf_counter()

    async def send() -> None:
        for n in range(count):
            await js.publish("floor.he.bj", envelope, headers={"Nats-Msg-Id": f"floor-{n}"})

    async def receive() -> None:
        received = 0
        while received < count:
            try:
                for message in await subscription.fetch(batch=16, timeout=1):
                    await message.ack_sync()
                    received += 1
            except (TimeoutError, asyncio.TimeoutError):
                continue

    await asyncio.gather(send(), receive())
    elapsed = time.perf_counter() - started
    await nc.close()
    return count / elapsed


def run(count: int = REFERRALS) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pki"
        layout, _ = certs.init(root, registry_file=root / "registry.yaml", audit_file=Path(tmp) / "audit.jsonl")
        server = natsserver.start(Path(tmp) / "nats", layout)
        try:
            settings = Settings(nats_url=server.url, data_dir=Path(tmp) / "data", log_format="json", log_level="warning",
                                tls=TlsSettings(pki_dir=root))
            asyncio.run(certs.provision_bus(server.url, certs.operator_files(layout),
                                            duplicate_window=settings.duplicate_window_seconds))
            init_keys(settings.keys_dir())
            from kernel import logs

            logs.configure("json", "warning")
            rate, envelope = asyncio.run(relay_rate(settings, count))
            floor = asyncio.run(floor_rate(server.url, layout, envelope, count))
        finally:
            server.stop()
    return {"name": "relay_referrals", "unit": "referrals/s", "referrals": count,
            "referrals_per_second": round(rate, 1), "floor_per_second": round(floor, 1),
            "ratio_to_floor": round(rate / floor, 3)}


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run(), indent=2))
