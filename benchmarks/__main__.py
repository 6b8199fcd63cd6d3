"""`make bench`: mapping throughput per jurisdiction on one core and end-to-end relay throughput,
each as a ratio to a floor measured in the same run."""

from __future__ import annotations

import importlib
import json
import os
import sys

from benchmarks import floors

# module, key of its result to compare, floor function
MAPPING = [
    ("benchmarks.bench_mapping_beijing", "batch_documents_per_second", floors.beijing_floor),
    ("benchmarks.bench_mapping_tianjin", "batch_documents_per_second", floors.tianjin_floor),
    ("benchmarks.bench_mapping_hebei", "decode_rows_per_second", floors.hebei_floor),
]


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the targets are stated
    report = []
    for module_name, key, floor in MAPPING:
        result = importlib.import_module(module_name).run()
        floor_rate = floor()
        rate = result.get(key) or next(v for k, v in result.items() if k.endswith("per_second"))
        result.update(floor_per_second=round(floor_rate), ratio_to_floor=round(rate / floor_rate, 3))
        report.append(result)
        print(f"{result['name']:<18} {rate:>10,.0f} {result.get('unit', '/s'):<12} floor {floor_rate:>10,.0f}"
              f"  ratio {result['ratio_to_floor']:.3f}  target {result.get('target_documents_per_second') or result.get('target_rows_per_second')}"
              f"  {'ok' if result.get('meets_target') else 'BELOW TARGET'}", flush=True)
    from benchmarks import bench_relay

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))  # the whole federation: every core
    relay = bench_relay.run()
    print(f"{relay['name']:<18} {relay['referrals_per_second']:>10,.1f} {relay['unit']:<12} floor "
          f"{relay['floor_per_second']:>10,.1f}  ratio {relay['ratio_to_floor']:.3f}", flush=True)
    report.append(relay)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
