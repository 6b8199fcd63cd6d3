"""`make bench`: mapping per jurisdiction on one core, then end-to-end load on a real federation
(`jjj up`), each with its floors measured in the same run; writes bench/results/<date>.json, the
table in docs/PERFORMANCE.md and the latency plot. `--smoke`: a few referrals per phase, no
file written (what `make test` runs; no timing is asserted)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import os
import platform
import sys
from datetime import UTC, datetime

from benchmarks import bench_jjj_map, floors, load, report, transport_floors

# module, key of its result to compare, floor function
MAPPING = [
    ("benchmarks.bench_mapping_beijing", "batch_documents_per_second", floors.beijing_floor),
    ("benchmarks.bench_mapping_tianjin", "batch_documents_per_second", floors.tianjin_floor),
    ("benchmarks.bench_mapping_hebei", "decode_rows_per_second", floors.hebei_floor),
]


def mapping() -> list[dict]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the targets are stated
    results = []
    try:
        for module_name, key, floor in MAPPING:
            result = importlib.import_module(module_name).run()
            floor_rate = floor()
            rate = result.get(key) or next(v for k, v in result.items() if k.endswith("per_second"))
            result.update(floor_per_second=round(floor_rate), ratio_to_floor=round(rate / floor_rate, 3))
            results.append(result)
            print(f"{result['name']:<18} {rate:>10,.0f} {result.get('unit', '/s'):<12} floor {floor_rate:>10,.0f}"
                  f"  ratio {result['ratio_to_floor']:.3f}", flush=True)
        in_process = {row["name"].removeprefix("mapping_"): next(v for k, v in row.items() if k.endswith("per_second")
                                                                 and not k.startswith(("floor", "target")))
                      for row in results}
        for row in bench_jjj_map.run(in_process):
            results.append(row)
            print(f"{row['name']:<18} {row['per_second']:>10,} {row['unit']:<12} half of target {row['half_of_target']:>7,}"
                  f"  {'met' if row['met'] else 'NOT met'}", flush=True)
    finally:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))  # the federation: every core
    return results


def end_to_end(plan: load.Plan) -> tuple[dict, dict]:
    with load.bench_federation(prefix="jjj-bench-") as federation:
        monitor = f"http://127.0.0.1:{federation.ports['nats_monitor']}"
        measured = asyncio.run(load.measure(federation.state, plan, monitor_url=monitor))
        count = 256 if plan is load.SMOKE else 4096
        floor = asyncio.run(transport_floors.measure(federation.state, submit_bytes=1400, envelope_bytes=2600,
                                                     count=count))
    measured["history"] = history(plan) if plan.history else None
    return measured, floor


def history(plan: load.Plan) -> dict:
    """The flat-cost probes on a federation of their own, started empty."""
    with load.bench_federation(prefix="jjj-bench-history-") as federation:
        monitor = f"http://127.0.0.1:{federation.ports['nats_monitor']}"
        return asyncio.run(load.measure_history(federation.state, plan, monitor_url=monitor))


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m benchmarks")
    options.add_argument("--smoke", action="store_true", help="a few referrals per phase; nothing written")
    options.add_argument("--quick", action="store_true", help="fewer phases and referrals (written all the same)")
    options.add_argument("--skip-mapping", action="store_true")
    options.add_argument("--history", type=int, default=None,
                         help="cases loaded between the two probes of flat cost (default: the plan's, 100,000 in full)")
    options.add_argument("--ingest-rows", type=int, default=None,
                         help="rows of the Hebei export streamed to IngestDocument (default: the plan's, 100,000 in full)")
    arguments = options.parse_args(argv)
    plan = load.SMOKE if arguments.smoke else load.QUICK if arguments.quick else load.Plan()
    if arguments.history is not None:
        plan = dataclasses.replace(plan, history=arguments.history)
    if arguments.ingest_rows is not None:
        plan = dataclasses.replace(plan, ingest_rows=arguments.ingest_rows)
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "mapping": [] if arguments.smoke or arguments.skip_mapping else mapping()}
    result["load"], result["floors"] = end_to_end(plan)
    if arguments.smoke:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    path = report.write_results(result)
    result["results_file"] = str(path.relative_to(report.ROOT))
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report.update_doc(result)
    report.plot(result)
    print(report.table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
