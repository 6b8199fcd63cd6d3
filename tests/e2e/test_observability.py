"""Observability of a running `jjj up`: one referral is one trace across processes, every process
serves its metrics on the port the banner names, and neither holds a citizen's personal data."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.state import FederationState
from kernel.security import pki
from tests.conftest import SHARED
from tests.support import relay as relay_support
from tests.support.personal_data import leaks
from tests.support.processes import start_up, up_environment
from tests.support.relay import eventually, read_items
from tests.support.secure import member_channel
from jjj.adapter.v1 import adapter_pb2, adapter_pb2_grpc
from jjj.case.v1 import case_pb2

pytestmark = pytest.mark.slow

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
SANHE_ID = "jjj:BJ:BJ2026112400002001"
LANGFANG = SHARED / "jurisdictions/tianjin/samples/valid/tj_bom_transfer_langfang.xml"
MEMBER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{MEMBER_TRACE_ID}-b7ad6b7169203331-01"
PROCESSES = ("gateway", "beijing", "tianjin", "hebei")


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("obs") / "var"
    _ports, env = up_environment(data_dir)
    running = start_up(env)
    try:
        deadline = time.monotonic() + 90
        while not running.banner_shown():
            assert running.process.poll() is None and time.monotonic() < deadline, "".join(running.lines)
            time.sleep(0.1)
        yield running, FederationState.load(data_dir / "federation.json")
    finally:
        running.process.send_signal(signal.SIGINT)
        try:
            running.process.wait(timeout=30)
        except Exception:
            running.process.kill()
            running.process.wait()


@pytest.fixture(scope="module")
def referral(up):
    """Beijing's member submits with its own traceparent; Hebei's member reads and acknowledges it."""
    import asyncio

    _running, state = up
    layout = pki.PkiLayout(state.data_dir / "pki")

    async def exchange():
        async with member_channel(layout, "beijing", state.adapter("beijing").address) as bj, \
                member_channel(layout, "hebei", state.adapter("hebei").address) as he:
            beijing, hebei = adapter_pb2_grpc.AdapterServiceStub(bj), adapter_pb2_grpc.AdapterServiceStub(he)
            response = await beijing.SubmitDocument(relay_support.submit_request(SANHE, "obs-1"),
                                                    metadata=(("traceparent", TRACEPARENT),), timeout=20)
            assert [s.case_id for s in response.submissions] == [SANHE_ID]
            (item,), call = await read_items(hebei, count=1, timeout=30)
            await hebei.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id), timeout=20)
            call.cancel()
            return item

    return asyncio.run(exchange())


def _spans(state: FederationState) -> list[dict]:
    spans = []
    for path in sorted((state.data_dir / "traces").glob("*.jsonl*")):
        spans += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return spans


def _scrape(state: FederationState, role: str) -> str:
    endpoint = state.metrics[role]
    with urllib.request.urlopen(f"http://{endpoint.address}/metrics", timeout=5) as answer:
        return answer.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_the_banner_and_the_state_file_name_each_process_metrics_port(up):
    running, state = up
    banner = "".join(running.lines)
    assert set(state.metrics) == set(PROCESSES)
    (metrics_line,) = [line for line in banner.splitlines() if line.strip().startswith("metrics")]
    for role in PROCESSES:
        assert f"{role} {state.metrics[role].address}" in metrics_line
    assert len({endpoint.port for endpoint in state.metrics.values()}) == len(PROCESSES)


async def test_one_referral_is_one_trace_from_submit_to_acknowledgement(up, referral):
    _running, state = up

    async def spans_of_trace():
        found = [span for span in _spans(state) if span["trace_id"] == MEMBER_TRACE_ID]
        names = {(span["process"], span["name"]) for span in found}
        wanted = {("adapter-beijing", "SubmitDocument"), ("adapter-hebei", "inbox.deliver"),
                  ("adapter-hebei", "inbox.acknowledge"), ("gateway", "gateway.project")}
        return found if wanted <= names else None

    spans = await eventually(spans_of_trace, timeout=20)
    submit = next(s for s in spans if s["name"] == "SubmitDocument")
    assert submit["parent_id"] == "b7ad6b7169203331"  # the member's own span
    assert submit["kind"] == "SERVER"
    deliver = next(s for s in spans if s["name"] == "inbox.deliver")
    assert deliver["attributes"]["jjj.envelope_id"] == referral.envelope.envelope_id
    assert deliver["attributes"]["jjj.sender"] == "beijing" and deliver["attributes"]["jjj.receiver"] == "hebei"
    # The gateway keeps the trace id with the trail entry (committed with the projector's next batch).
    async def kept_trace():
        db = sqlite3.connect(state.data_dir / "gateway" / "projection.sqlite3")
        try:
            return db.execute("SELECT trace_id FROM trail_traces WHERE envelope_id=?",
                              (referral.envelope.envelope_id,)).fetchone()
        finally:
            db.close()

    assert await eventually(kept_trace, timeout=10) == (MEMBER_TRACE_ID,)
    assert leaks(json.dumps(_spans(state), ensure_ascii=False)) == []


async def test_each_process_counts_the_referral_for_its_pair(up, referral):
    _running, state = up
    pair = {"flow": "referral", "sender": "beijing", "receiver": "hebei"}

    async def counted():
        hebei = _samples(_scrape(state, "hebei"))
        if not _value(hebei, "jjj_relay_latency_seconds_count", **pair):
            return None
        if _value(hebei, "jjj_inbox_pending_messages", receiver="hebei") is None:
            return None
        return hebei

    hebei = await eventually(counted, timeout=20)
    assert _value(hebei, "jjj_relayed_messages_total", **pair, stage="delivered") >= 1
    assert _value(hebei, "jjj_relayed_messages_total", **pair, stage="acknowledged") >= 1
    assert _value(hebei, "jjj_relay_latency_seconds_count", **pair) >= 1
    assert _value(hebei, "jjj_inbox_oldest_pending_age_seconds", receiver="hebei") is not None
    beijing = _samples(_scrape(state, "beijing"))
    assert _value(beijing, "jjj_relayed_messages_total", **pair, stage="published") >= 1
    assert _value(beijing, "jjj_relayed_messages_total", **pair, stage="acknowledged") is None  # the receiver counts that
    gateway = _samples(_scrape(state, "gateway"))
    assert _value(gateway, "jjj_deadlines", state="running", holder="all") is not None
    for role in PROCESSES:
        text = _scrape(state, role)
        assert leaks(text) == []
        assert SANHE_ID not in text and "BJ2026112400002001" not in text
        # Every jjj_ metric's labels are of the bounded set.
        for family in text_string_to_metric_families(text):
            if family.name.startswith("jjj_"):
                for sample in family.samples:
                    assert set(sample.labels) <= {"flow", "sender", "receiver", "stage", "reason", "jurisdiction", "state",
                                                  "holder", "le"}, sample
    assert re.fullmatch(r"[0-9a-f]{32}", MEMBER_TRACE_ID)


def _console(up) -> tuple[str, str]:
    running, state = up
    from tests.support.console import http

    banner = "".join(running.lines)
    (url,) = re.findall(r"console\s+(http://127\.0\.0\.1:\d+/)", banner)
    (password,) = re.findall(r"first login: admin / (\S+)", banner)
    password = _CHOSEN.get(id(running), password)
    status, headers, answer = http(url + "api/login", method="POST", body={"name": "admin", "password": password})
    assert status == 200, answer
    cookie = headers["set-cookie"].split(";")[0]
    if id(running) not in _CHOSEN:  # the printed password is changed at the first login
        status, headers, answer = http(url + "api/password", method="POST",
                                       body={"current": password, "new": "observability-operator-1"},
                                       headers={"cookie": cookie, "x-csrf-token": answer["csrf"]})
        assert status == 200, answer
        cookie = headers["set-cookie"].split(";")[0]
        _CHOSEN[id(running)] = "observability-operator-1"
    return url, cookie


_CHOSEN: dict[int, str] = {}  # the federation's operator password once changed from the printed one


async def test_the_case_view_links_each_hop_to_its_trace_and_the_trace_page_assembles_it(up, referral):
    from tests.support.console import http

    url, cookie = _console(up)

    async def traced_entry():
        _, _, view = http(url + f"api/cases/{SANHE_ID}", headers={"cookie": cookie})
        entries = [e for e in view.get("timeline", []) if e["envelope_id"] == referral.envelope.envelope_id]
        return entries[0] if entries and entries[0]["trace_id"] else None

    entry = await eventually(traced_entry, timeout=20)
    assert entry["trace_id"] == MEMBER_TRACE_ID

    async def assembled():
        status, _, view = http(url + f"api/traces/{MEMBER_TRACE_ID}", headers={"cookie": cookie})
        return view if status == 200 and {"adapter-beijing", "adapter-hebei", "gateway"} <= set(view["processes"]) else None

    view = await eventually(assembled, timeout=20)
    assert view["cases"] == [SANHE_ID]
    assert {s["trace_id"] for s in view["spans"]} == {MEMBER_TRACE_ID}
    submit = next(s for s in view["spans"] if s["name"] == "SubmitDocument")
    assert submit["depth"] == 0 and all(s["depth"] >= 1 for s in view["spans"] if s is not submit)
    assert http(url + "api/traces/not-a-trace", headers={"cookie": cookie})[0] == 400
    assert http(url + f"api/traces/{'0' * 31}1", headers={"cookie": cookie})[0] == 404
    assert http(url + f"api/traces/{MEMBER_TRACE_ID}")[0] == 401  # the console's rules: a session first
    request = urllib.request.Request(url + f"traces/{MEMBER_TRACE_ID}")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=5)
    assert redirect.value.code == 303 and redirect.value.headers["location"] == f"/#/trace/{MEMBER_TRACE_ID}"


async def test_the_console_health_view_reads_the_processes_metrics(up, referral):
    from tests.support.console import http

    url, cookie = _console(up)

    async def scraped():
        _, _, overview = http(url + "api/overview", headers={"cookie": cookie})
        metrics = {item["name"]: item.get("metrics") for item in overview["health"]}
        inboxes = {item["member"]: item for item in overview["inboxes"]}
        ready = all(metrics.get(role) == "up" for role in PROCESSES) and "metrics_pending" in inboxes.get("hebei", {})
        return (metrics, inboxes) if ready else None

    _metrics, inboxes = await eventually(scraped, timeout=30)
    for member in ("beijing", "tianjin", "hebei"):  # each adapter's own figures, beside the console's sampling
        assert inboxes[member]["metrics_pending"] >= 0 and inboxes[member]["metrics_oldest_pending_seconds"] >= 0


async def test_a_referral_nobody_reads_shows_as_inbox_lag_with_its_age(up, referral):
    _running, state = up
    layout = pki.PkiLayout(state.data_dir / "pki")
    async with member_channel(layout, "tianjin", state.adapter("tianjin").address) as tj:
        tianjin = adapter_pb2_grpc.AdapterServiceStub(tj)
        response = await tianjin.SubmitDocument(relay_support.submit_request(LANGFANG, "obs-lag-1"), timeout=20)
    assert [s.destination for s in response.submissions] == [case_pb2.JURISDICTION_HEBEI]

    async def lagging():
        hebei = _samples(_scrape(state, "hebei"))
        pending = _value(hebei, "jjj_inbox_pending_messages", receiver="hebei") or 0
        oldest = _value(hebei, "jjj_inbox_oldest_pending_age_seconds", receiver="hebei") or 0
        return (pending, oldest) if pending >= 1 and oldest > 0 else None

    pending, oldest = await eventually(lagging, timeout=30, interval=0.5)
    assert pending == 1
    assert 0 < oldest < 60


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
