"""A benchmark run written down: bench/results/<date>.json, the table in docs/PERFORMANCE.md, the latency plot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "PERFORMANCE.md"
PLOT = ROOT / "docs" / "performance-latency.svg"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_results(report: dict, results_dir: Path = RESULTS_DIR) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{datetime.now(UTC).strftime('%Y-%m-%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.3f}" if floor else "-"


def table(report: dict) -> str:
    load, floors = report["load"], report["floors"]
    grpc_floor = floors["grpc_unary_echo"]["calls_per_second"]
    server_cpu = floors["grpc_unary_echo"].get("server_cpu_ms_per_call")  # absent from runs before 2026-12-04
    per_call = f", {server_cpu:.3f} ms of the echo server's CPU a call" if server_cpu is not None else ""
    js_floor = floors["jetstream_publish_fetch_ack"]["messages_per_second"]
    lines = [f"Run {report['when']} on {report['machine']}; results file `{report['results_file']}`.", "",
             "Floors (same run): bare grpc.aio echo (mTLS, 64 in flight) "
             f"**{grpc_floor:,.0f} calls/s**{per_call}; bare JetStream publish_async + fetch + ack (64 in flight) "
             f"**{js_floor:,.0f} msgs/s**.", "",
             "| mode | in flight | referrals/s | ratio to floor | p50 ms | p99 ms | CPU ms/referral (all) | NATS in+out msgs/referral |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for mode, rows, floor in (("one per call", load["saturation_one_per_call"], grpc_floor),
                              ("batched (16/call)", load["saturation_batched"], js_floor)):
        for row in rows:
            nats = row.get("nats_in_msgs_per_referral", 0) + row.get("nats_out_msgs_per_referral", 0)
            lines.append(f"| {mode} | {row['in_flight']} | {row['referrals_per_second']:,.1f} | "
                         f"{_ratio(row['referrals_per_second'], floor)} | {row['p50_ms']} | {row['p99_ms']} | "
                         f"{row['cpu_ms_per_referral_total']} | {nats:.1f} |")
    lines += ["", "Latency, submit to the Hebei member holding the item, at fixed offered load (one per call):", "",
              "| offered/s | achieved/s | p50 ms | p95 ms | p99 ms | CPU ms/referral | failed calls |",
              "|---:|---:|---:|---:|---:|---:|---|"]
    for row in load["latency_at_offered_load"]:
        failed = ", ".join(f"{code} {count}" for code, count in row.get("failed_calls", {}).items()) or "none"
        lines.append(f"| {row['offered_per_second']:.0f} | {row['achieved_per_second']} | {row['p50_ms']} | "
                     f"{row['p95_ms']} | {row['p99_ms']} | {row['cpu_ms_per_referral_total']} | {failed} |")
    history = load.get("history")
    if history:
        before, after = history["before"], history["after"]
        lines += ["", f"Cost as history grows, on a federation of its own started empty: the same batched probe "
                  f"({before['referrals']} referrals, {before['in_flight']} calls of {before['per_call']} in flight; "
                  f"{len(history.get('before_runs', [before]))} times on each side after a warm-up run, the median "
                  f"shown) on the empty federation and after "
                  f"{history['loaded']:,} more cases went through (loaded at {history['loading_referrals_per_second']}/s; "
                  f"each probe once the federation settled: {history.get('settled_seconds_before', '-')} s before the first, "
                  f"{history.get('settled_seconds_after_loading', '-')} s after the load):", "",
                  "| | referrals/s | CPU ms/referral | p99 ms |", "|---|---:|---:|---:|",
                  f"| empty | {before['referrals_per_second']} | {before['cpu_ms_per_referral_total']} | {before['p99_ms']} |",
                  f"| after {history['loaded']:,} | {after['referrals_per_second']} | {after['cpu_ms_per_referral_total']} | "
                  f"{after['p99_ms']} |",
                  f"| after / empty | {history['throughput_ratio']} | {history['cpu_ratio']} | |"]
        if history.get("peak_rss_mb"):
            lines += ["", "Peak RSS MB of that federation's processes: " + ", ".join(
                f"{role} {mb}" for role, mb in history["peak_rss_mb"].items() if role != "supervisor") + "."]
    ingest = load.get("ingest")
    if ingest:
        lines += ["", f"Batch ingest: a {ingest['rows']:,}-row GB18030 Hebei export ({ingest['document_bytes'] / 2**20:.1f} MiB) "
                  "streamed to IngestDocument in 1 MiB pieces:", "",
                  "| | value |", "|---|---:|",
                  f"| rows/s, first piece sent to every row durable on the bus (target {ingest['target_rows_per_second']:,}) | "
                  f"{ingest['rows_per_second']:,.0f} |",
                  f"| seconds to the answer | {ingest['durable_on_bus_seconds']} |",
                  f"| accepted / rejected / chunks on the bus | {ingest['accepted']:,} / {ingest['rejected']:,} / "
                  f"{ingest['chunks']:,} |",
                  f"| CPU ms per row, all processes | {ingest['cpu_ms_per_row_total']} |",
                  f"| Hebei adapter RSS MB before / peak during the call | {ingest['hebei_rss_mb_before']} / "
                  f"{ingest['hebei_rss_mb_peak_during']} |",
                  f"| then sent on as referrals: cases/s (cases sent, seconds after the answer) | "
                  f"{ingest['sent_per_second']:,.0f} ({ingest['sent']:,}, {ingest['sent_seconds_after_answer']} s) |",
                  f"| CPU ms per case sent on, all processes | {ingest['sending_cpu_ms_per_case_total']} |"]
    busiest = max(load["saturation_batched"], key=lambda row: row["referrals_per_second"])
    lines += ["", f"CPU ms per referral per process (batched, {busiest['in_flight']} in flight):", "",
              "| process | CPU ms/referral | peak RSS MB |", "|---|---:|---:|"]
    for role, ms in busiest["cpu_ms_per_referral"].items():
        lines.append(f"| {role} | {ms} | {load['peak_rss_mb'].get(role, 0)} |")
    if report.get("mapping"):
        lines += ["", "Mapping and batch ingest (one core, per CPU-second):", "",
                  "| benchmark | rate | floor | ratio |", "|---|---:|---:|---:|"]
        processes = [row for row in report["mapping"] if row["name"].startswith("jjj_map_")]
        for row in report["mapping"]:
            if row in processes:
                continue
            rate = next(v for k, v in row.items() if k.endswith("per_second") and not k.startswith(("floor", "target")))
            lines.append(f"| {row['name']} | {rate:,.0f} {row.get('unit', '/s')} | {row['floor_per_second']:,} | "
                         f"{row['ratio_to_floor']} |")
        if processes:
            lines += ["", "`jjj map --from <jurisdiction>` as a whole process (start to exit, one core; the issue asks "
                      "for at least half of the in-process targets):", "",
                      "| process | records | seconds | rate | in-process rate | half of the target | met |",
                      "|---|---:|---:|---:|---:|---:|---|"]
            lines += [f"| {row['name']} | {row['records']:,} | {row['seconds']} | {row['per_second']:,} {row['unit']} | "
                      f"{row['in_process_per_second']:,} | {row['half_of_target']:,} | {'yes' if row['met'] else 'no'} |"
                      for row in processes]
    lines += ["", f"![latency against offered load]({PLOT.name})"]
    return "\n".join(lines)


def update_doc(report: dict, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{BEGIN}\n{table(report)}\n{END}{tail}", encoding="utf-8")


def plot(report: dict, path: Path = PLOT) -> None:
    """p50/p99 latency against offered load, as a small hand-written SVG (no plotting dependency)."""
    rows = report["load"]["latency_at_offered_load"]
    width, height, margin = 480, 300, 50
    xs = [row["offered_per_second"] for row in rows] or [1]
    top = max([row["p99_ms"] for row in rows] + [1]) * 1.1
    right = max(xs) * 1.1

    def point(x: float, y: float) -> str:
        return f"{margin + x / right * (width - 2 * margin):.1f},{height - margin - y / top * (height - 2 * margin):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="black"/>',
             f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" stroke="black"/>',
             f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">offered load (referrals/s)</text>',
             f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" text-anchor="middle">latency (ms)</text>',
             f'<text x="{margin}" y="{margin - 8}">{top:.0f} ms</text>']
    for key, colour in (("p50_ms", "#1f77b4"), ("p99_ms", "#d62728")):
        points = " ".join(point(row["offered_per_second"], row[key]) for row in rows)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for row in rows:
            x, y = point(row["offered_per_second"], row[key]).split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{width - margin - 40}" y="{margin + (15 if key == "p50_ms" else 30)}" fill="{colour}">{key[:3]}</text>')
    for row in rows:
        x, _ = point(row["offered_per_second"], 0).split(",")
        parts.append(f'<text x="{x}" y="{height - margin + 14}" text-anchor="middle">{row["offered_per_second"]:.0f}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
