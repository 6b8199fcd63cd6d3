"""A short run of `make bench` against a real `jjj up` (no timing asserted): the harness works end to end,
every referral is received and acknowledged, and the report renders from what it measured."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from benchmarks import load, report, transport_floors
from harness.federation import LocalFederation


@pytest.mark.timeout(300)
def test_smoke_run_measures_every_phase_and_renders_the_report(tmp_path: Path) -> None:
    federation = LocalFederation.start(tmp_path / "data", extra_env={"JJJ_LOG_LEVEL": "warning"})
    try:
        monitor = f"http://127.0.0.1:{federation.ports['nats_monitor']}"
        measured = asyncio.run(load.measure(federation.state, load.SMOKE, monitor_url=monitor))
        assert "history" not in measured  # `make bench` runs it on a federation of its own, started empty
        measured["history"] = asyncio.run(load.measure_history(federation.state, load.SMOKE, monitor_url=monitor))
        floors = asyncio.run(transport_floors.measure(federation.state, submit_bytes=1400, envelope_bytes=2600, count=64))
    finally:
        federation.stop()
    single, batched = measured["saturation_one_per_call"], measured["saturation_batched"]
    assert [row["in_flight"] for row in single] == list(load.SMOKE.in_flight)
    assert all(row["per_call"] == load.BATCH for row in batched)
    # Every call accepted and counted (concurrent workers must not lose counts), every referral received.
    assert [row["referrals"] for row in single] == [8, 8] and [row["referrals"] for row in batched] == [16, 64]
    assert all(row["failed_calls"] == {} for row in single + batched)
    rows = single + batched + measured["latency_at_offered_load"]
    # /proc counts CPU in ticks of 10 ms: a row of 8 referrals may cost the receiver less than one. Every row
    # names both adapters; over the smoke run as a whole each of them took some.
    for row in rows:
        assert row["cpu_ms_per_referral"]["beijing"] >= 0 and row["cpu_ms_per_referral"]["hebei"] >= 0
        assert row["nats_in_msgs_per_referral"] > 0
        assert 0 < row["p50_ms"] <= row["p99_ms"]
    for adapter in ("beijing", "hebei"):
        assert sum(row["cpu_ms_per_referral"][adapter] for row in rows) > 0, adapter
    history = measured["history"]
    assert (history["loaded"], history["before"]["referrals"], history["after"]["referrals"]) == (load.SMOKE.history, 16, 16)
    assert history["throughput_ratio"] > 0 and history["cpu_ratio"] > 0
    # Each side's probes are all kept, and the row shown is one of them (the median of an even count: the lower).
    assert [len(history["before_runs"]), len(history["after_runs"])] == [load.SMOKE.history_probes] * 2
    assert history["before"] in history["before_runs"] and history["after"] in history["after_runs"]
    assert history["before"]["referrals_per_second"] == min(run["referrals_per_second"] for run in history["before_runs"])
    assert history["peak_rss_mb"]["gateway"] > 0 and history["peak_rss_mb"]["hebei"] > 0
    assert measured["peak_rss_mb"]["beijing"] > 0
    assert floors["grpc_unary_echo"]["calls_per_second"] > 0
    # CPU is counted in clock ticks: a smoke run's few calls may fall within one.
    assert floors["grpc_unary_echo"]["server_cpu_ms_per_call"] >= 0 and floors["grpc_unary_echo"]["client_cpu_ms_per_call"] > 0
    assert floors["jetstream_publish_fetch_ack"]["messages_per_second"] > 0

    result = {"when": "now", "machine": "test", "results_file": "bench/results/x.json", "mapping": [],
              "load": measured, "floors": floors}
    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text(f"# Performance\n\nbefore\n\n{report.BEGIN}\nSTALE-TABLE\n{report.END}\n\nafter\n", encoding="utf-8")
    report.update_doc(result, doc)
    text = doc.read_text(encoding="utf-8")
    assert "ms of the echo server's CPU a call" in text
    assert "STALE-TABLE" not in text and text.startswith("# Performance\n\nbefore") and text.rstrip().endswith("after")
    assert "| one per call | 1 |" in text and "| batched (16/call) | 4 |" in text
    assert f"| after {load.SMOKE.history} |" in text and "| empty |" in text
    assert "Peak RSS MB of that federation's processes: " in text and "gateway " in text
    report.plot(result, tmp_path / "plot.svg")
    assert (tmp_path / "plot.svg").read_text().count("<polyline") == 2
    saved = report.write_results(result, tmp_path / "results")
    assert json.loads(saved.read_text(encoding="utf-8"))["load"]["saturation_batched"] == batched
