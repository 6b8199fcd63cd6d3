"""kill -9 of the receiving adapter while its member holds an unacknowledged item: nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.bus.v1 import envelope_pb2
from kernel.jurisdictions import by_name
from tests.support.bus import inbox_consumer, stream_sequence
from tests.support.relay import eventually, free_port, read_items, submit_request
from tests.conftest import SHARED
from tests.support.secure import member_channel

pytestmark = pytest.mark.slow
SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"


def start_hebei(settings, port: int) -> subprocess.Popen:
    env = {**os.environ, "JJJ_NATS_URL": settings.nats_url, "JJJ_DATA_DIR": str(settings.data_dir),
           "JJJ_ACK_WAIT_SECONDS": "2", "JJJ_SECURITY__KEYS_DIR": str(settings.keys_dir()), "JJJ_LOG_FORMAT": "json", "JJJ_TLS__PKI_DIR": str(settings.pki().root),
           "JJJ_TLS__REGISTRY_FILE": str(settings.registry_file())}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "adapter", "hebei", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def serving(layout, port: int) -> bool:
    async with member_channel(layout, "hebei", f"127.0.0.1:{port}") as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_an_item_held_when_the_adapter_dies_is_delivered_again_after_restart(federation, settings):
    await federation.start("beijing")
    port = free_port()
    hebei_process = start_hebei(settings, port)
    try:
        await eventually(lambda: serving(federation.pki, port), timeout=30)
        channel = federation.channel(f"127.0.0.1:{port}", "hebei")
        hebei = adapter_pb2_grpc.AdapterServiceStub(channel)
        await federation.stub("beijing").SubmitDocument(submit_request(SANHE))
        (held,), call = await read_items(hebei, count=1, flows=[envelope_pb2.FLOW_REFERRAL])

        hebei_process.send_signal(signal.SIGKILL)  # no nak, no drain: the adapter just vanishes
        hebei_process.wait()
        call.cancel()
        hebei_process = start_hebei(settings, port)
        await eventually(lambda: serving(federation.pki, port), timeout=30)

        channel = federation.channel(f"127.0.0.1:{port}", "hebei")
        hebei = adapter_pb2_grpc.AdapterServiceStub(channel)
        (again,), call = await read_items(hebei, count=1, flows=[envelope_pb2.FLOW_REFERRAL], timeout=20)
        assert again.item_id == held.item_id and again.delivery_count >= 2
        await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=again.item_id))
        call.cancel()
        # Acknowledged once on the server: delivered no more.
        consumer = await inbox_consumer(settings.nats_url, by_name("hebei").token, envelope_pb2.FLOW_REFERRAL)
        assert consumer.num_ack_pending == 0
        assert consumer.ack_floor.stream_seq == stream_sequence(again.item_id)
    finally:
        hebei_process.kill()
        hebei_process.wait()
