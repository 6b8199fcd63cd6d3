"""The metrics of every process: served on a loopback port, bounded labels; how `jjj up` assigns ports;
the gateway's deadline states, the adapters' oldest-pending bookkeeping and the console's scrape."""

from __future__ import annotations

import os
import socket
import sqlite3
import urllib.request
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

from adapters.service import observe as adapter_observe
from cli import metrics_ports
from gateway import observe as gateway_observe
from gateway.console import scrape, traces
from harness.state import Endpoint, FederationState
from kernel import jurisdictions
from kernel.config import Settings
from kernel.domain.deadlines import DeadlinePolicy
from kernel.domain.watcher import DeadlineWatcher
from kernel.observability import metrics
from tests.support.relay import free_port

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_every_metric_is_named_jjj_with_bounded_labels():
    allowed = {"flow", "sender", "receiver", "stage", "reason", "jurisdiction", "state", "holder"}
    for metric in (metrics.RELAYED, metrics.LATENCY, metrics.INBOX_PENDING, metrics.INBOX_OLDEST, metrics.DEAD_LETTERS,
                   metrics.REJECTIONS, metrics.DEADLINES):
        assert metric._name.startswith("jjj_")
        assert set(metric._labelnames) <= allowed, metric._name
    assert metrics.LATENCY._name.endswith("_seconds")


def test_metrics_are_served_on_loopback_and_port_zero_is_off():
    registry = CollectorRegistry()
    Counter("jjj_probe_total", "a probe", registry=registry).inc(3)
    port = free_port()
    assert metrics.serve(0, registry=registry) is None
    assert metrics.serve(port, registry=registry) == port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "jjj_probe"]
    assert family.samples[0].value == 3.0


def test_a_taken_metrics_port_does_not_stop_the_process():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert metrics.serve(taken.getsockname()[1], registry=CollectorRegistry()) is None


def test_latency_is_observed_from_the_sent_time():
    before = metrics.LATENCY.labels("referral", "tianjin", "beijing")._sum.get()
    assert metrics.record_latency("referral", "tianjin", "beijing", T0, now=T0 + timedelta(seconds=2.5)) == 2.5
    assert metrics.LATENCY.labels("referral", "tianjin", "beijing")._sum.get() - before == pytest.approx(2.5)


def test_jjj_up_assigns_fixed_ports_from_the_base_free_ones_on_request_or_none():
    roles = ["gateway", *jurisdictions.names()]
    fixed = metrics_ports.assign(Settings(observability={"metrics_port_base": 9600}), roles)
    assert fixed == {"gateway": 9600, "beijing": 9601, "tianjin": 9602, "hebei": 9603}
    free = metrics_ports.assign(Settings(observability={"metrics_free_ports": True}), roles)
    assert list(free) == roles and len(set(free.values())) == len(roles) and 9460 not in free.values()
    assert metrics_ports.assign(Settings(observability={"metrics_port_base": 0}), roles) == {}
    (line,) = metrics_ports.banner_lines("127.0.0.1", fixed)
    assert "gateway 127.0.0.1:9600" in line and "hebei 127.0.0.1:9603" in line
    assert "off" in metrics_ports.banner_lines("127.0.0.1", {})[0]


def test_free_metrics_ports_are_none_of_the_federations_own(monkeypatch):
    # The test (or the harness) chose the federation's ports a moment ago; its processes are not up yet.
    low = 20_000 + os.getpid() % 5_000
    monkeypatch.setenv("JJJ_PORT_RANGE", f"{low}-{low + 9}")
    monkeypatch.setattr("kernel.ports._handed_out", set())
    settings = Settings(nats_url=f"tls://127.0.0.1:{low}", gateway_port=low + 1,
                        adapter_ports={"beijing": low + 2, "tianjin": low + 3, "hebei": low + 4},
                        console={"port": low + 5, "nats_monitor_port": low + 6},
                        observability={"metrics_free_ports": True})
    assert metrics_ports.federation_ports(settings) == set(range(low, low + 7))
    given = metrics_ports.assign(settings, ["gateway", "beijing", "tianjin"])
    assert sorted(given.values()) == [low + 7, low + 8, low + 9]


def test_the_state_file_keeps_the_metrics_endpoints(tmp_path):
    state = FederationState(data_dir=tmp_path, nats_url="tls://127.0.0.1:1", gateway=Endpoint("127.0.0.1", 2), adapters={},
                            ca_file=tmp_path / "ca.crt", identities={}, metrics={"gateway": Endpoint("127.0.0.1", 9460)})
    state.write(tmp_path / "federation.json")
    assert FederationState.load(tmp_path / "federation.json").metrics == {"gateway": Endpoint("127.0.0.1", 9460)}
    older = state.to_dict()
    del older["metrics"]
    assert FederationState.from_dict(older).metrics == {}  # a file written before metrics existed


def test_deadline_clocks_count_as_running_due_soon_or_overdue():
    policy = DeadlinePolicy.load()
    watcher = DeadlineWatcher(policy, lambda: T0)
    with_reminder = [name for name, step in policy.steps.items()
                     if step.reminder_hours is not None or getattr(step, "reminder_fraction", None) is not None]
    step = with_reminder[0]
    deadline = watcher.track("jjj:BJ:1", step, start=T0, jurisdiction="hebei")
    remind_at = policy.reminder_at(deadline)
    assert remind_at is not None and T0 < remind_at < deadline.due_at
    assert gateway_observe.deadline_states(watcher, T0) == {("running", "hebei"): 1}
    assert gateway_observe.deadline_states(watcher, remind_at) == {("due_soon", "hebei"): 1}
    assert gateway_observe.deadline_states(watcher, deadline.due_at) == {("overdue", "hebei"): 1}
    gateway_observe.sample_deadlines(watcher, deadline.due_at)
    assert metrics.DEADLINES.labels("overdue", "all")._value.get() == 1
    assert metrics.DEADLINES.labels("running", "all")._value.get() == 0


def _message(stream: str, sequence: int, at: datetime):
    return SimpleNamespace(metadata=SimpleNamespace(stream=stream, sequence=SimpleNamespace(stream=sequence), timestamp=at))


def test_the_oldest_pending_message_is_the_first_above_the_ack_floor():
    member = jurisdictions.by_name("tianjin")
    for sequence in (1, 2, 3):
        adapter_observe.saw(member, _message("JJJ_TEST", sequence, T0 + timedelta(seconds=sequence)))
    assert adapter_observe.oldest_above(member, "JJJ_TEST", 0) == T0 + timedelta(seconds=1)
    assert adapter_observe.oldest_above(member, "JJJ_TEST", 2) == T0 + timedelta(seconds=3)
    assert adapter_observe.oldest_above(member, "JJJ_TEST", 3) is None
    assert adapter_observe.oldest_above(member, "JJJ_OTHER", 0) is None


def test_dead_letter_reasons_are_counted_by_their_enum_name():
    member = jurisdictions.by_name("hebei")
    counter = metrics.DEAD_LETTERS.labels("hebei", "BAD_SIGNATURE")
    before = counter._value.get()
    adapter_observe.dead_lettered(member, adapter_observe.envelope_pb2.DEAD_LETTER_REASON_BAD_SIGNATURE)
    assert counter._value.get() == before + 1


def test_the_console_merges_what_the_processes_report():
    text = ('# TYPE jjj_inbox_pending_messages gauge\njjj_inbox_pending_messages{receiver="hebei"} 4.0\n'
            '# TYPE jjj_inbox_oldest_pending_age_seconds gauge\njjj_inbox_oldest_pending_age_seconds{receiver="hebei"} 12.5\n')
    health = [{"name": "hebei", "state": "green", "reason": "SERVING"}, {"name": "gateway", "state": "green", "reason": "SERVING"},
              {"name": "nats", "state": "green", "reason": "ok"}]
    inboxes = [{"member": "hebei", "pending": 4}, {"member": "beijing", "pending": 0}]
    scrape.merge(health, inboxes, {"hebei": scrape.parse(text), "gateway": {"up": False, "error": "URLError"}})
    assert health[0]["metrics"] == "up" and health[0]["state"] == "green"
    assert health[1]["metrics"] == "down" and health[1]["state"] == "yellow" and "not answering" in health[1]["reason"]
    assert "metrics" not in health[2]
    assert inboxes[0]["metrics_pending"] == 4.0 and inboxes[0]["metrics_oldest_pending_seconds"] == 12.5
    assert "metrics_pending" not in inboxes[1]


async def test_a_process_whose_metrics_port_is_closed_is_reported_down():
    (answer,) = (await scrape.scrape_all("127.0.0.1", {"hebei": free_port()})).values()
    assert answer["up"] is False


def test_a_trace_is_assembled_from_every_process_file_in_start_order(tmp_path):
    tid = "ab" * 16
    lines = {
        "adapter-beijing.jsonl": [{"trace_id": tid, "span_id": "01" * 8, "parent_id": None, "name": "SubmitDocument",
                                   "process": "adapter-beijing", "start_ns": 100, "end_ns": 500}],
        "adapter-hebei.jsonl.1": [{"trace_id": tid, "span_id": "02" * 8, "parent_id": "01" * 8, "name": "inbox.deliver",
                                   "process": "adapter-hebei", "start_ns": 2_000_100, "end_ns": 2_000_200}],
        "gateway.jsonl": [{"trace_id": "cd" * 16, "span_id": "03" * 8, "parent_id": None, "name": "other",
                           "process": "gateway", "start_ns": 1, "end_ns": 2}],
    }
    import json

    for name, spans in lines.items():
        (tmp_path / name).write_text("".join(json.dumps(s) + "\n" for s in spans) + '{"trace_id": "' + tid + '", broken\n')
    view = traces.trace_view(tmp_path, tid)
    assert [s["name"] for s in view["spans"]] == ["SubmitDocument", "inbox.deliver"]
    assert [s["depth"] for s in view["spans"]] == [0, 1]
    assert view["processes"] == ["adapter-beijing", "adapter-hebei"]
    assert view["spans"][1]["offset_ms"] == 2.0


def test_trail_entries_get_the_trace_id_the_gateway_kept():
    db = sqlite3.connect(":memory:")
    gateway_observe.ensure_trace_table(db)
    db.execute("INSERT INTO trail_traces VALUES ('e1', ?)", ("ab" * 16,))
    timeline = traces.annotate(db, [{"envelope_id": "e1"}, {"envelope_id": "e2"}, {"envelope_id": None}])
    assert [entry["trace_id"] for entry in timeline] == ["ab" * 16, "", ""]
    assert traces.annotate(sqlite3.connect(":memory:"), [{"envelope_id": "e1"}])[0]["trace_id"] == ""
