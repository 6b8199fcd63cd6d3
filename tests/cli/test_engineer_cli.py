"""The engineer's commands against one real `jjj up` (module-scoped): submit -> inbox -> step -> case,
share, status, --json parsed, a big document in several calls, and every error exit: a rejected
document names its field (1), an unknown jurisdiction or status is usage (2), no federation (3)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from cli.main import main as jjj
from harness.federation import LocalFederation
from kernel.ports import free_port
from harness.state import Endpoint, FederationState
from tests.conftest import SHARED
from tests.support.personal_data import leaks

pytestmark = pytest.mark.slow

SAMPLES = SHARED / "jurisdictions"
SANHE = SAMPLES / "beijing/samples/valid/bj_rx_transfer_sanhe.json"
CHAOYANG = SAMPLES / "beijing/samples/valid/bj_rx_complaint_chaoyang.json"
MISSING_GDBH = SAMPLES / "beijing/samples/invalid/bj_missing_gdbh.json"
TIANJIN_FIVE = SAMPLES / "tianjin/samples/valid/tj_batch_five.xml"
HEBEI_FOUR = SAMPLES / "hebei/samples/valid/hb_mixed_four.csv"
LANGFANG = SAMPLES / "tianjin/samples/valid/tj_bom_transfer_langfang.xml"


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    running = LocalFederation.start(tmp_path_factory.mktemp("engineer-cli") / "var")
    yield running
    running.stop()


@pytest.fixture
def run(federation, capsys):
    """`jjj ARGS --state <the federation's>`: (exit code, stdout, stderr)."""
    def invoke(*args: str, state=None) -> tuple[int, str, str]:
        capsys.readouterr()
        code = jjj([*map(str, args), "--state", str(state or federation.state_file)])
        out, err = capsys.readouterr()
        assert not leaks(out + err), f"personal data printed: {leaks(out + err)}"
        return code, out, err
    return invoke


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def inbox_until(run, member: str, predicate, *, timeout: float = 20.0) -> list[dict]:
    """`jjj inbox MEMBER --ack --json` until an item satisfying `predicate` came; every item read."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, out, err = run("inbox", member, "--ack", "--json", "--idle", "1")
        assert code == 0, err
        seen += json_lines(out)
        if any(predicate(item) for item in seen):
            return seen
    raise AssertionError(f"no matching item in {member}'s inbox within {timeout}s; came: {seen}")


def test_status_shows_every_process_serving(run, federation):
    code, out, err = run("status", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["healthy"] is True
    assert [row["process"] for row in report["processes"]] == ["nats", "gateway", "beijing", "tianjin", "hebei"]
    assert {row["process"]: row["pid"] for row in report["processes"]} == {
        role: pid for role, pid in federation.state.pids.items() if role != "supervisor"}
    assert all(row["health"] == "SERVING" and row["running"] is True for row in report["processes"]), report
    code, out, _ = run("status")
    assert code == 0
    for role in ("nats", "gateway", "beijing", "tianjin", "hebei"):
        assert role in out
    assert f"127.0.0.1:{federation.ports['hebei']}" in out


def test_submit_inbox_step_case(run):
    code, out, err = run("submit", "beijing", SANHE, "--to", "hebei", "--json")
    assert code == 0, err
    (submission,) = json.loads(out)["submissions"]
    case_id = submission["case_id"]
    assert submission["destination"] == "JURISDICTION_HEBEI" and submission["envelope_id"] == f"{case_id}/referral/1"

    items = inbox_until(run, "hebei", lambda item: item["case_id"] == case_id and item["flow"] == "FLOW_REFERRAL")
    referral = next(item for item in items if item["case_id"] == case_id)
    assert referral["sender"] == "beijing" and referral["acknowledged"] is True

    code, out, err = run("step", "hebei", case_id, "signed", "--note", "[签收] 已转三河市", "--json")
    assert code == 0, err
    assert json.loads(out) == {"case_id": case_id, "status": "STATUS_RECEIVED", "sequence": "1", "queued": False}

    inbox_until(run, "beijing", lambda item: item["case_id"] == case_id and item["detail"] == "STATUS_RECEIVED")

    deadline = time.monotonic() + 20
    while True:  # the gateway's projection follows the bus
        code, out, err = run("case", case_id, "--json")
        trail = json.loads(out) if code == 0 else {}
        if [entry.get("status") for entry in trail.get("trail", [])] == ["STATUS_REFERRED", "STATUS_RECEIVED"]:
            break
        assert time.monotonic() < deadline, (code, out, err)
        time.sleep(0.3)
    assert trail["record"]["holder"] == "JURISDICTION_HEBEI" and trail["record"]["status"] == "STATUS_RECEIVED"
    code, out, _ = run("case", case_id)  # the table
    assert code == 0
    assert case_id in out and "STATUS_REFERRED" in out and "STATUS_RECEIVED" in out and "hebei" in out
    assert "[签收] 已转三河市" in out  # a note is text, not rich markup


def test_inbox_lines_on_a_terminal_name_the_item_and_whether_it_was_acknowledged(run):
    code, out, err = run("share", "tianjin", "--topic", "early_warning", "--title", "[预警] 寒潮", "--to", "hebei", "--json")
    assert code == 0, err
    deadline = time.monotonic() + 20
    seen = ""
    while "[预警] 寒潮" not in seen:
        assert time.monotonic() < deadline, seen
        code, out, err = run("inbox", "hebei", "--idle", "1", "--flow", "share")
        assert code == 0, err
        seen += out
    (line,) = [line for line in seen.splitlines() if "[预警] 寒潮" in line]
    assert "FLOW_INFORMATION_SHARE" in line and "from tianjin" in line and "SHARE_TOPIC_EARLY_WARNING" in line
    assert "[held, delivery" in line and "item " in line, line
    assert "not acknowledged: they come again" in err


def test_submit_prints_a_table_on_a_terminal_and_json_with_the_flag(run):
    code, out, err = run("submit", "beijing", CHAOYANG, "--to", "tianjin")
    assert code == 0, err
    assert "jjj:BJ:BJ2026112400001234" in out and "tianjin" in out and "explicit" in out, out
    # The same document again: a duplicate, nothing new on the bus.
    code, out, err = run("submit", "beijing", CHAOYANG, "--to", "tianjin", "--json")
    assert code == 0, err
    (submission,) = json.loads(out)["submissions"]
    assert submission["duplicate"] is True


def test_a_big_document_goes_in_several_calls(run):
    code, out, err = run("submit", "tianjin", TIANJIN_FIVE, "--to", "beijing", "--batch", "2", "--request-id", "five-in-3",
                         "--json")
    assert code == 0, err
    case_ids = [submission["case_id"] for submission in json.loads(out)["submissions"]]
    assert len(case_ids) == 5 and len(set(case_ids)) == 5
    items: list[dict] = []
    deadline = time.monotonic() + 20
    while not set(case_ids) <= {item["case_id"] for item in items}:
        assert time.monotonic() < deadline, items
        code, out, _ = run("inbox", "beijing", "--ack", "--json", "--idle", "1", "--flow", "referral")
        items += json_lines(out)
    request_ids = {item["request_id"] for item in items if item["case_id"] in case_ids}
    assert request_ids == {"five-in-3/1", "five-in-3/2", "five-in-3/3"}


@pytest.mark.parametrize("batch", ["0", "1"])
def test_rejected_rows_are_named_by_row_and_field_and_the_others_go(run, batch):
    """hb_mixed_four.csv: three rows are in Hebei (no referral to itself), one goes to Beijing; in several
    calls (--batch 1) too, with the rows numbered in the whole file."""
    code, out, err = run("submit", "hebei", HEBEI_FOUR, "--batch", batch, "--json")
    assert code == 1, err
    answer = json.loads(out)
    assert [s["destination"] for s in answer["submissions"]] == ["JURISDICTION_BEIJING"]
    # The adapter names no row for a routing rejection (row 0); split in one-row calls, each call's row is known.
    rows = [2, 3, 4] if batch == "1" else [0, 0, 0]
    assert [(r["row"], r["field"]) for r in answer["rejections"]] == [(row, "destination") for row in rows]
    assert all(r["reason"] == "JURISDICTION_HEBEI cannot refer a case to itself" for r in answer["rejections"])
    code, out, err = run("submit", "hebei", HEBEI_FOUR, "--batch", batch)
    assert code == 1 and "rejected (fix the field, then submit again)" in out and "destination" in out


def test_share_a_notice_to_beijing(run):
    code, out, err = run("share", "hebei", "--topic", "notice", "--title", "停水通知", "--body", "燕郊明日停水",
                         "--to", "beijing", "--json")
    assert code == 0, err
    (envelope_id,) = json.loads(out)["envelope_ids"]
    items = inbox_until(run, "beijing", lambda item: item["envelope_id"] == envelope_id)
    share = next(item for item in items if item["envelope_id"] == envelope_id)
    assert share["flow"] == "FLOW_INFORMATION_SHARE" and share["detail"] == "SHARE_TOPIC_NOTICE: 停水通知"


def test_a_rejected_document_names_the_field(run):
    code, out, err = run("submit", "beijing", MISSING_GDBH)
    assert code == 1
    assert "DOCUMENT_REJECTED" in err and "field gdbh: required field missing" in err
    assert "what to do: fix the named field(s)" in err
    code, out, err = run("submit", "beijing", MISSING_GDBH, "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "INVALID_ARGUMENT" and error["reason"] == "DOCUMENT_REJECTED"
    assert {"field": "gdbh", "description": "required field missing"} in error["violations"]


def test_a_refused_step_says_what_may_come_next(run):
    code, out, err = run("submit", "beijing", SANHE, "--to", "hebei", "--json")
    case_id = json.loads(out)["submissions"][0]["case_id"]
    code, out, err = run("step", "hebei", case_id, "STATUS_CLOSED")
    assert code == 1
    assert "TRANSITION_REFUSED" in err and "STATUS_CLOSED" in err and "what to do:" in err


def test_an_unknown_case_is_not_found_with_advice(run):
    code, out, err = run("case", "jjj:HE:HB-NO-SUCH-CASE")
    assert code == 1
    assert "NOT_FOUND (CASE_NOT_FOUND)" in err and "what to do: check the case id" in err
    code, out, err = run("step", "tianjin", "jjj:HE:HB-NO-SUCH-CASE", "signed", "--json")
    assert code == 1 and json.loads(out)["error"]["reason"] == "CASE_NOT_FOUND"


@pytest.mark.parametrize(("args", "message"), [
    (("submit", "wuhan", SANHE), "unknown jurisdiction 'wuhan'; one of beijing, tianjin, hebei"),
    (("submit", "beijing", SANHE, "--to", "shanghai"), "unknown jurisdiction 'shanghai'"),
    (("step", "hebei", "jjj:BJ:X", "bogus"), "unknown status 'bogus'; one of registered,"),
    (("inbox", "hebei", "--flow", "telegram"), "unknown flow 'telegram'"),
    (("submit", "beijing", "/nonexistent/order.json"), "/nonexistent/order.json: No such file or directory"),
])
def test_usage_errors_exit_2_and_say_why(run, args, message):
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert message in err


def test_status_with_one_adapter_away_is_exit_1_naming_it(run, federation, tmp_path):
    state = FederationState.load(federation.state_file)
    partial = FederationState(**{**state.__dict__, "adapters": {**state.adapters, "hebei": Endpoint("127.0.0.1", free_port())}})
    path = tmp_path / "federation.json"
    partial.write(path)
    code, out, err = run("status", "--json", state=path)
    assert code == 1, err
    health = {row["process"]: row["health"] for row in json.loads(out)["processes"]}
    assert health == {"nats": "SERVING", "gateway": "SERVING", "beijing": "SERVING", "tianjin": "SERVING",
                      "hebei": "UNREACHABLE"}


def test_a_hotline_transfer_arrives_as_one_with_its_native_document(run, tmp_path):
    code, out, err = run("submit", "tianjin", LANGFANG, "--transfer", "--json")
    assert code == 0, err
    (submission,) = json.loads(out)["submissions"]
    assert submission["envelope_id"] == f"{submission['case_id']}/transfer/1", submission
    saved = tmp_path / "saved"
    seen: list[dict] = []
    deadline = time.monotonic() + 20
    while not any(item["case_id"] == submission["case_id"] for item in seen):
        assert time.monotonic() < deadline, seen
        code, out, err = run("inbox", "hebei", "--ack", "--json", "--idle", "1", "--flow", "transfer", "--save", saved)
        seen += json_lines(out)
    assert {item["flow"] for item in seen} == {"FLOW_HOTLINE_TRANSFER"}
    document = saved / (submission["case_id"].replace(":", "_") + ".csv")
    assert document.read_bytes().splitlines()[0].decode("gb18030").startswith("件号,"), sorted(saved.iterdir())


def test_no_federation_is_exit_3_with_a_clear_message(run, tmp_path):
    missing = tmp_path / "federation.json"
    code, out, err = run("submit", "beijing", SANHE, state=missing)
    assert code == 3
    assert f"no federation running: {missing} does not exist (start one with `jjj up`" in err
    code, out, err = run("status", "--json", state=missing)
    assert code == 3 and json.loads(out)["error"]["kind"] == "federation_not_running"


def test_a_federation_gone_away_is_exit_3(run, federation, tmp_path):
    """A state file left behind (jjj up killed with -9): nobody answers where it says."""
    state = FederationState.load(federation.state_file)
    stale = FederationState(**{**state.__dict__, "adapters": {name: Endpoint("127.0.0.1", free_port()) for name in state.adapters},
                               "gateway": Endpoint("127.0.0.1", free_port()), "nats_url": f"tls://127.0.0.1:{free_port()}"})
    path = tmp_path / "federation.json"
    stale.write(path)
    code, out, err = run("submit", "beijing", SANHE, state=path)
    assert code == 3
    assert "nobody answers at 127.0.0.1:" in err and "is `jjj up` running?" in err
    code, out, err = run("status", state=path)
    assert code == 3
    assert "UNREACHABLE" in out


def test_the_installed_command_documents_its_exit_codes(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "cli.main", "inbox", "--help"], capture_output=True, text=True,
                               timeout=60).stdout
    assert "3 federation not running or unreachable" in help_text
    run = subprocess.run([sys.executable, "-m", "cli.main", "status", "--state", str(tmp_path / "none.json")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3 and "no federation running" in run.stderr


ANONYMOUS_WEB = SAMPLES / "beijing/samples/valid/bj_rx_anonymous_web.json"


def test_a_coded_return_disputed_and_overruled_by_coordination_then_closed_informed(run):
    code, out, err = run("submit", "beijing", ANONYMOUS_WEB, "--to", "hebei", "--json")
    assert code == 0, err
    case_id = json.loads(out)["submissions"][0]["case_id"]
    inbox_until(run, "hebei", lambda item: item["case_id"] == case_id and item["flow"] == "FLOW_REFERRAL")
    assert run("step", "hebei", case_id, "signed")[0] == 0
    code, _, err = run("step", "hebei", case_id, "returned", "--reason", "不属于本地管辖")
    assert code == 1 and "needs a coded return reason" in err
    code, out, err = run("step", "hebei", case_id, "returned", "--reason", "不属于本地管辖", "--return-reason", "not_ours",
                         "--json")
    assert code == 0 and json.loads(out)["status"] == "STATUS_RETURNED", err
    inbox_until(run, "beijing", lambda item: item["case_id"] == case_id and item["detail"].startswith("STATUS_RETURNED"))
    assert run("step", "beijing", case_id, "return_disputed", "--reason", "事发地在三河市")[0] == 0
    code, _, err = run("step", "beijing", case_id, "received", "--reason", "联席会议决定由河北办理")
    assert code == 1 and "coordination decision" in err
    code, out, err = run("step", "beijing", case_id, "received", "--reason", "联席会议决定由河北办理",
                         "--coordination", "京津冀12345联席会议", "--decision", "由河北办理", "--json")
    assert code == 0 and json.loads(out)["status"] == "STATUS_RECEIVED", err
    inbox_until(run, "hebei", lambda item: item["case_id"] == case_id and item["detail"].startswith("STATUS_RECEIVED"))
    code, out, err = run("step", "hebei", case_id, "closed", "--closing", "informed", "--reason", "已告知诉求人向物业反映",
                         "--json")
    assert code == 0 and json.loads(out)["status"] == "STATUS_CLOSED", err


@pytest.mark.parametrize(("flags", "message"), [
    (("--return-reason", "bogus"), "unknown return_reason 'bogus'; one of not_ours, wrong_place"),
    (("--closing", "forgotten"), "unknown closing 'forgotten'; one of handled, withdrawn"),
    (("--extension", "petition_handle"), "--extension 'petition_handle': STEP:AMOUNT"),
    (("--return-upheld",), "--return-upheld and --decision go with --coordination BODY"),
    (("--at", "yesterday"), "--at 'yesterday' is no ISO 8601 time"),
])
def test_step_flags_that_make_no_sense_are_usage_errors(run, flags, message):
    code, out, err = run("step", "hebei", "jjj:BJ:X", "returned", *flags)
    assert code == 2, (out, err)
    assert message in err
