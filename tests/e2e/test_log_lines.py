"""`jjj up` under load: every line of its stdout is one whole JSON record, whichever process logged it.

Beijing and Tianjin submit a few hundred referrals to Hebei concurrently while Hebei's
member system takes and acknowledges them, so four processes (three adapters and the
gateway) log at once. Then the federation is stopped and every line it wrote is parsed.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time

import pytest

from kernel.security import pki
from tests.support.processes import up_environment
from tests.support.secure import member_channel
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
LANGFANG = SHARED / "jurisdictions/tianjin/samples/valid/tj_bom_transfer_langfang.xml"
PER_SENDER = 150
IN_FLIGHT = 24


def beijing_documents(count: int) -> dict[str, adapter_pb2.NativeDocument]:
    sample = json.loads(SANHE.read_text(encoding="utf-8"))
    documents = {}
    for number in range(count):
        sample["gdbh"] = f"BJ20261124{90000000 + number:08d}"
        content = json.dumps(sample, ensure_ascii=False).encode("utf-8")
        documents[f"jjj:BJ:{sample['gdbh']}"] = adapter_pb2.NativeDocument(
            content=content, format=adapter_pb2.DOCUMENT_FORMAT_BEIJING_JSON, filename=f"{sample['gdbh']}.json")
    return documents


def tianjin_documents(count: int) -> dict[str, adapter_pb2.NativeDocument]:
    sample = LANGFANG.read_text(encoding="utf-8-sig")
    assert "<OrderNo>TJ-26-1124-000900</OrderNo>" in sample
    documents = {}
    for number in range(count):
        order = f"TJ-26-1124-{500000 + number:06d}"
        content = sample.replace("TJ-26-1124-000900", order).encode("utf-8")
        documents[f"jjj:TJ:{order}"] = adapter_pb2.NativeDocument(
            content=content, format=adapter_pb2.DOCUMENT_FORMAT_TIANJIN_XML, filename=f"{order}.xml")
    return documents


async def submit_all(layout: pki.PkiLayout, jurisdiction: str, port: int,
                     documents: dict[str, adapter_pb2.NativeDocument]) -> None:
    async with member_channel(layout, jurisdiction, f"127.0.0.1:{port}") as channel:
        stub = adapter_pb2_grpc.AdapterServiceStub(channel)
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def submit(case_id: str, document: adapter_pb2.NativeDocument) -> None:
            async with gate:
                reply = await stub.SubmitDocument(adapter_pb2.SubmitDocumentRequest(request_id=case_id, document=document),
                                                  timeout=30)
            assert [submission.case_id for submission in reply.submissions] == [case_id]

        await asyncio.gather(*(submit(case_id, document) for case_id, document in documents.items()))


async def take_all(layout: pki.PkiLayout, port: int, expected: set[str], timeout: float) -> set[str]:
    """Hebei's member system: reads and acknowledges items until it has every expected case.

    Other items (a federation notice, e.g. the cross-border cluster warning this traffic may raise) are acknowledged too."""
    taken: set[str] = set()
    async with member_channel(layout, "hebei", f"127.0.0.1:{port}") as channel:
        stub = adapter_pb2_grpc.AdapterServiceStub(channel)
        call = stub.OpenInbox(adapter_pb2.OpenInboxRequest())
        try:
            async with asyncio.timeout(timeout):
                while not expected <= taken:
                    item = (await call.read()).item
                    await stub.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
                    if item.envelope.HasField("referral"):  # not the console's alert notices (a deadline wave, a backlog)
                        taken.add(item.envelope.referral.case.case_id)
        finally:
            call.cancel()
    return taken


async def banner_shown(outputs: list[list[bytes]], process: subprocess.Popen, timeout: float) -> None:
    """The supervisor says so once every process serves (on whichever stream it prints to)."""
    deadline = time.monotonic() + timeout
    while not any(b"Ctrl-C stops everything" in line for output in outputs for line in output):
        assert process.poll() is None, "jjj up exited while starting"
        assert time.monotonic() < deadline, f"jjj up not up after {timeout}s"
        await asyncio.sleep(0.1)


async def test_every_line_of_the_supervised_federation_is_one_json_record(tmp_path):
    ports, env = up_environment(tmp_path / "var")
    env.update({
        "JJJ_LOG_FORMAT": "auto",  # off a TTY: JSON, for the children too
    })
    up = subprocess.Popen([sys.executable, "-m", "cli.main", "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[bytes] = []
    errors: list[bytes] = []
    readers = [threading.Thread(target=lambda: lines.extend(up.stdout), daemon=True),
               threading.Thread(target=lambda: errors.extend(up.stderr), daemon=True)]
    for reader in readers:
        reader.start()
    beijing, tianjin = beijing_documents(PER_SENDER), tianjin_documents(PER_SENDER)
    try:
        await banner_shown([lines, errors], up, timeout=60)
        layout = pki.PkiLayout(tmp_path / "var" / "pki")  # made by jjj up on its first start
        taker = asyncio.create_task(take_all(layout, ports["hebei"], set(beijing) | set(tianjin), timeout=40))
        await asyncio.gather(submit_all(layout, "beijing", ports["beijing"], beijing),
                             submit_all(layout, "tianjin", ports["tianjin"], tianjin))
        assert await taker == set(beijing) | set(tianjin)
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=30) == 0, b"".join(errors).decode(errors="replace")
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    for reader in readers:
        reader.join(10)

    records = []
    for number, line in enumerate(lines, 1):
        assert line.endswith(b"\n"), f"line {number} unterminated: {line[:200]!r}"
        try:
            record = json.loads(line)
        except ValueError as error:
            raise AssertionError(f"line {number} is not one JSON record ({error}): {line[:300]!r}") from None
        assert isinstance(record, dict) and {"event", "level"} <= record.keys(), line
        records.append(record)

    assert b"Ctrl-C stops everything" in b"".join(errors)  # the operator's banner, on stderr

    def case_ids(event: str, **fields) -> list[str]:
        return [r["case_id"] for r in records if r["event"] == event and all(r.get(k) == v for k, v in fields.items())]

    # Each process's lines, all of them: one case_sent per submission, one relayed per acknowledgement.
    assert sorted(case_ids("case_sent", sender="beijing")) == sorted(beijing)
    assert sorted(case_ids("case_sent", sender="tianjin")) == sorted(tianjin)
    # Hebei may also have taken a federation notice (the cross-border cluster warning): a share about no case.
    relayed = [r for r in records if r["event"] == "relayed" and r.get("to") == "hebei"]
    assert {r["case_id"] for r in relayed if r["flow"] != "share"} == set(beijing) | set(tianjin)
    assert all(r["case_id"] == "" for r in relayed if r["flow"] == "share"), relayed
    assert case_ids("observed"), "no line from the gateway"
    assert [r["event"] for r in records if r["event"].startswith("federation_")] == ["federation_up", "federation_stopped"]
