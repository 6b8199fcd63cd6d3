"""The harness's clients against a real `jjj up`: the state file it writes, a referral from Beijing to
Hebei signed for, its trail at the gateway, a refusal decoded to its field, and the file gone on stop."""

from __future__ import annotations

import json

import pytest

from harness.client import GatewayClient, MemberClient, health
from harness.errors import Refused
from harness.federation import LocalFederation
from harness.items import case_id_of
from harness.processes import running
from harness.state import FederationNotRunning, FederationState
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
MISSING_GDBH = SHARED / "jurisdictions/beijing/samples/invalid/bj_missing_gdbh.json"


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    running = LocalFederation.start(tmp_path_factory.mktemp("harness-client") / "var")
    yield running
    running.stop()


def test_the_state_file_names_every_process(federation):
    state = FederationState.load(federation.state_file)
    raw = json.loads(federation.state_file.read_text())
    assert raw["version"] == 1
    assert state.gateway.port == federation.ports["gateway"]
    assert {name: endpoint.port for name, endpoint in state.adapters.items()} == {
        name: federation.ports[name] for name in ("beijing", "tianjin", "hebei")}
    assert state.nats_url == f"tls://127.0.0.1:{federation.ports['nats']}"
    assert state.pids["supervisor"] == federation.process.pid
    assert set(state.pids) == {"supervisor", "nats", "gateway", "beijing", "tianjin", "hebei"}
    assert state.member_files("hebei").cert_file.is_file()


async def test_referral_signed_for_and_its_trail(federation):
    state = federation.state
    async with MemberClient(state, "beijing") as beijing, MemberClient(state, "hebei") as hebei, \
            GatewayClient(state) as gateway:
        sent = await beijing.submit(SANHE.read_bytes(), to="hebei", filename=SANHE.name)
        (submission,) = sent.submissions
        assert submission.destination == case_pb2.JURISDICTION_HEBEI
        item = None
        async for item in hebei.inbox(follow=True):
            if case_id_of(item) == submission.case_id:
                break
        assert item is not None and case_id_of(item) == submission.case_id
        assert await hebei.ack(item.item_id) == adapter_pb2.ACK_RESULT_ACKNOWLEDGED
        again, made_up = await hebei.ack_many([item.item_id, "JJJ_REFERRALS:999999"])
        assert (again.result, again.unknown) == (adapter_pb2.ACK_RESULT_ALREADY_ACKNOWLEDGED, False)
        assert made_up.unknown and made_up.item_id == "JJJ_REFERRALS:999999"
        stepped = await hebei.step(submission.case_id, "signed", note="签收")
        assert stepped.status == case_pb2.STATUS_RECEIVED
        case = await beijing.get_case(submission.case_id)
        assert case.case.case_id == submission.case_id
        trail = await gateway.case_trail(submission.case_id)
        assert trail.record.case_id == submission.case_id
        for endpoint in [state.gateway, *state.adapters.values()]:
            assert await health(endpoint, state.operator_files()) == 1


async def referred_at(client: MemberClient, case_id: str, within: float = 20.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + within
    while True:
        try:
            await client.get_case(case_id)
            return
        except Refused:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_step_at_a_time_with_a_coded_return_and_an_extension(federation):
    from datetime import datetime, timedelta, timezone

    chaoyang = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_complaint_chaoyang.json"
    petition = SHARED / "jurisdictions/beijing/samples/valid/bj_xf_petition_visit.json"
    async with MemberClient(federation.state, "beijing") as beijing, MemberClient(federation.state, "tianjin") as tianjin:
        ticket = (await beijing.submit_file(chaoyang, to="tianjin")).submissions[0].case_id
        letter = (await beijing.submit_file(petition, to="tianjin")).submissions[0].case_id
        for case_id in (ticket, letter):  # Tianjin's adapter records the referral on its own time
            await referred_at(tianjin, case_id)
        signed_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
        await tianjin.step(ticket, "signed", at=signed_at)
        record = await tianjin.get_case(ticket)
        assert record.case.history[-1].at.ToDatetime(tzinfo=timezone.utc) == signed_at
        with pytest.raises(Refused) as refused:
            await tianjin.step(ticket, "returned", reason="不属于本地管辖")
        assert refused.value.refusal.code == "FAILED_PRECONDITION" and "coded return reason" in str(refused.value)
        returned = await tianjin.step(ticket, "returned", reason="不属于本地管辖", return_reason="not_ours")
        assert returned.status == case_pb2.STATUS_RETURNED
        await tianjin.step(letter, "signed")
        await tianjin.step(letter, "accepted")
        await tianjin.step(letter, "accepted", reason="需调取外省合同", extension=("petition_handle", 30))
        last = (await tianjin.get_case(letter)).case.history[-1]
        assert last.type == case_pb2.EVENT_TYPE_EXTENSION and (last.extension.step, last.extension.amount) == (
            "petition_handle", 30)


async def test_a_rejected_document_names_its_field(federation):
    async with MemberClient(federation.state, "beijing") as beijing:
        with pytest.raises(Refused) as refused:
            await beijing.submit(MISSING_GDBH.read_bytes(), filename=MISSING_GDBH.name)
    refusal = refused.value.refusal
    assert refusal.code == "INVALID_ARGUMENT" and refusal.reason == "DOCUMENT_REJECTED"
    assert "gdbh" in [violation.field for violation in refusal.violations], refusal


def test_no_state_file_is_federation_not_running(tmp_path):
    with pytest.raises(FederationNotRunning, match="no federation running"):
        FederationState.load(tmp_path / "federation.json")


def test_stop_removes_the_state_file(tmp_path):
    running = LocalFederation.start(tmp_path / "var")
    assert running.state_file.exists()
    assert running.stop() == 0
    assert not running.state_file.exists()


def test_a_restarted_process_is_in_the_state_file_with_its_new_pid(federation):
    """jjj up rewrites the state file when it restarts a process: a harness finds the running one."""
    import os
    import signal
    import time

    before = FederationState.load(federation.state_file).pids["tianjin"]
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        after = FederationState.load(federation.state_file).pids["tianjin"]
        if after != before:
            break
        assert time.monotonic() < deadline, federation.output()
        time.sleep(0.1)
    assert running(after)
    assert FederationState.load(federation.state_file).pids["supervisor"] == federation.process.pid


async def test_a_large_export_is_ingested_from_its_file_and_sent_on(federation, tmp_path):
    from adapters.hebei.synthetic import synthetic_document, synthetic_rows

    export = tmp_path / "hebei-export.csv"
    with export.open("wb") as out:
        for part in synthetic_document(1_500, seed=99):
            out.write(part)
    async with MemberClient(federation.state, "hebei") as hebei, MemberClient(federation.state, "beijing") as beijing:
        answer = await hebei.ingest_file(export, to="beijing", request_id="harness-export-1", piece_bytes=64 * 1024)
        assert (answer.rows, answer.accepted, answer.rejected, answer.chunks) == (1_500, 1_500, 0, 8)
        again = await hebei.ingest_file(export, to="beijing", request_id="harness-export-1")  # other pieces, same bytes
        assert again == answer
        case_ids = [f"jjj:HE:{row['件号']}" for row in synthetic_rows(1_500, seed=99)]
        await referred_at(beijing, case_ids[-1], within=60)  # sent on in order: the last one comes last
        assert (await hebei.get_case(case_ids[0])).holder == case_pb2.JURISDICTION_BEIJING
