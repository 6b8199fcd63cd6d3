"""kill -9 of the sending adapter between accepting submissions and publishing them: nothing is lost, nothing doubled.

A real Hebei adapter process (`jjj adapter hebei`) on its data directory, killed with SIGKILL and started again;
a real nats-server; Beijing's adapter in this process as the receiver.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import subprocess
import sys

import grpc
import pytest

from adapters.hebei.synthetic import synthetic_rows
from adapters.hebei.tables import HEADER
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from tests.support.bus import Bus, messages_on
from tests.support.outbox import NOT_SERVING, SERVING, health, hebei_documents, restart_nats, to_beijing
from tests.support.relay import eventually, free_port, take

pytestmark = pytest.mark.slow
REFERRAL = envelope_pb2.FLOW_REFERRAL
HEBEI_TO_BEIJING = "jjj.referral.bj.he"


def start_hebei(settings, port: int) -> subprocess.Popen:
    env = {**os.environ, "JJJ_NATS_URL": settings.nats_url, "JJJ_DATA_DIR": str(settings.data_dir),
           "JJJ_SECURITY__KEYS_DIR": str(settings.keys_dir()), "JJJ_LOG_FORMAT": "json",
           "JJJ_TLS__PKI_DIR": str(settings.pki().root), "JJJ_TLS__REGISTRY_FILE": str(settings.registry_file())}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "adapter", "hebei", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)  # no drain, no close: the adapter just vanishes
    process.wait()


async def referrals_in_stream_order(url: str) -> list[str]:
    bus = await Bus.connect(url)
    try:
        return [envelope_pb2.Envelope.FromString(m.data).referral.case.case_id for m in await bus.stored("JJJ_REFERRALS")]
    finally:
        await bus.close()


async def test_cases_queued_when_the_adapter_is_killed_during_an_outage_are_relayed_after_restart(
        federation, settings, nats_server):
    await federation.start("beijing")
    port = free_port()
    hebei_process = start_hebei(settings, port)
    try:
        await eventually(lambda: _health_is(federation, port, SERVING), timeout=30)
        hebei = adapter_pb2_grpc.AdapterServiceStub(federation.channel(f"127.0.0.1:{port}", "hebei"))
        nats_server.stop()
        await eventually(lambda: _health_is(federation, port, NOT_SERVING), timeout=10)
        answers = [await hebei.SubmitDocument(to_beijing(document, f"he-{n}"), timeout=10)
                   for n, document in enumerate(hebei_documents(4))]
        assert all(answer.submissions[0].queued for answer in answers)

        kill(hebei_process)
        restart_nats(nats_server, federation.pki)
        hebei_process = start_hebei(settings, port)
        await eventually(lambda: _health_is(federation, port, SERVING), timeout=30)

        expected = [answer.submissions[0].case_id for answer in answers]
        items = await take(federation.stub("beijing"), len(expected), flows=[REFERRAL], timeout=30)
        assert [item.envelope.referral.case.case_id for item in items] == expected
        assert await messages_on(nats_server.url, REFERRAL) == {HEBEI_TO_BEIJING: len(expected)}
        hebei = adapter_pb2_grpc.AdapterServiceStub(federation.channel(f"127.0.0.1:{port}", "hebei"))
        for case_id in expected:
            record = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id=case_id), timeout=10)
            assert (record.holder, record.attempt) == (case_pb2.JURISDICTION_BEIJING, 1), case_id
        # The restarted adapter still knows its first answers.
        again = await hebei.SubmitDocument(to_beijing(hebei_documents(4)[2], "he-2"), timeout=10)
        assert again == answers[2]
    finally:
        kill(hebei_process)


def many_cases(count: int) -> adapter_pb2.NativeDocument:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for serial, row in enumerate(synthetic_rows(count, seed=77)):
        row["内容"] = f"第{serial}号：{row['内容']}"
        writer.writerow(row.values())
    return adapter_pb2.NativeDocument(content=buffer.getvalue().encode("gb18030"), format=adapter_pb2.DOCUMENT_FORMAT_HEBEI_CSV)


async def test_an_adapter_killed_while_relaying_a_document_sends_the_rest_after_restart_each_case_once_in_order(
        federation, settings, nats_server):
    port = free_port()
    hebei_process = start_hebei(settings, port)
    count = 300
    try:
        await eventually(lambda: _health_is(federation, port, SERVING), timeout=30)
        hebei = adapter_pb2_grpc.AdapterServiceStub(federation.channel(f"127.0.0.1:{port}", "hebei"))
        call = asyncio.ensure_future(hebei.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            request_id="big", document=many_cases(count), destination=case_pb2.JURISDICTION_BEIJING), timeout=120))

        async def some_sent() -> int:
            return (await messages_on(nats_server.url, REFERRAL)).get(HEBEI_TO_BEIJING, 0) >= 10

        await eventually(some_sent, timeout=60, interval=0.02)
        kill(hebei_process)
        with pytest.raises(grpc.aio.AioRpcError):
            await call  # never answered: the member would retry with the same request_id
        sent_before_restart = (await messages_on(nats_server.url, REFERRAL))[HEBEI_TO_BEIJING]
        assert sent_before_restart < count, "the kill came too late to show anything"

        hebei_process = start_hebei(settings, port)
        await eventually(lambda: _health_is(federation, port, SERVING), timeout=30)

        async def all_sent() -> bool:
            return (await messages_on(nats_server.url, REFERRAL)).get(HEBEI_TO_BEIJING, 0) >= count

        await eventually(all_sent, timeout=60)
        order = await referrals_in_stream_order(nats_server.url)
        assert len(order) == len(set(order)) == count  # the re-sent head was deduplicated by its Nats-Msg-Id
        retried = await hebei.SubmitDocument(adapter_pb2.SubmitDocumentRequest(
            request_id="big", document=many_cases(count), destination=case_pb2.JURISDICTION_BEIJING), timeout=30)
        assert [s.case_id for s in retried.submissions] == order  # document order is bus order
        assert all(s.queued for s in retried.submissions)  # the answer committed with the cases
        print(f"killed after {sent_before_restart} of {count} cases were on the bus; the rest relayed after restart")
    finally:
        kill(hebei_process)


async def _health_is(federation, port: int, wanted: int) -> bool:
    return await health(federation.pki, f"127.0.0.1:{port}", "hebei") == wanted
