"""`jjj map --from <jurisdiction>` as a whole process: records per wall-clock second from start to exit
(interpreter start, reading, mapping, canonical JSON on stdout), on the one core `make bench`'s mapping
phase runs on. The issue asks for at least half of the in-process mapping targets (Beijing 5,000
documents/s, Tianjin 2,000, Hebei 20,000 rows/s); the in-process rate of the same run is beside it.

Documents: Beijing 20,000 orders and Tianjin 5,000 in one batch each (as the in-process benchmarks
build them), Hebei a synthetic 100,000-row GB18030 export.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from adapters.hebei.synthetic import synthetic_document
from benchmarks import bench_mapping_beijing, bench_mapping_hebei, bench_mapping_tianjin

JJJ = Path(sys.executable).with_name("jjj")
TARGETS = {"beijing": bench_mapping_beijing.TARGET_PER_SECOND, "tianjin": bench_mapping_tianjin.TARGET_PER_SECOND,
           "hebei": bench_mapping_hebei.TARGET_ROWS_PER_SECOND}


def _documents(directory: Path, *, beijing: int, tianjin: int, hebei: int) -> list[tuple[str, Path, int, str]]:
    order = json.loads(bench_mapping_beijing.SAMPLE.read_bytes())
    beijing_file = directory / "beijing.json"
    beijing_file.write_text(json.dumps([order] * beijing, ensure_ascii=False), encoding="utf-8")
    tianjin_file = directory / "tianjin.xml"
    tianjin_file.write_bytes(bench_mapping_tianjin._batch_of(bench_mapping_tianjin.SAMPLE.read_bytes(), tianjin))
    hebei_file = directory / "hebei.csv"
    with hebei_file.open("wb") as out:
        for part in synthetic_document(hebei, seed=31):
            out.write(part)
    return [("beijing", beijing_file, beijing, "documents/s"), ("tianjin", tianjin_file, tianjin, "documents/s"),
            ("hebei", hebei_file, hebei, "rows/s")]


def run(in_process: dict[str, float], *, beijing: int = 20_000, tianjin: int = 5_000, hebei: int = 100_000) -> list[dict]:
    """One result per jurisdiction: the process's rate, and its ratio to `in_process` (name -> rate)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="jjj-map-bench-") as tmp:
        for name, path, count, unit in _documents(Path(tmp), beijing=beijing, tianjin=tianjin, hebei=hebei):
            output = Path(tmp) / f"{name}.jsonl"
            with output.open("wb") as out:
                started = time.perf_counter()
                done = subprocess.run([str(JJJ), "map", "--from", name, str(path)], stdout=out, stderr=subprocess.PIPE,
                                      check=False)
                seconds = time.perf_counter() - started
            with output.open("rb") as written:
                lines = sum(1 for _ in written)
            if done.returncode != 0 or lines != count:
                raise AssertionError(f"jjj map --from {name}: exit {done.returncode}, {lines} of {count} cases: "
                                     f"{done.stderr.decode(errors='replace')[-300:]}")
            rate = count / seconds
            mapping = in_process.get(name, 0.0)
            results.append({"name": f"jjj_map_{name}", "unit": unit, "records": count, "seconds": round(seconds, 2),
                            "per_second": round(rate), "in_process_per_second": round(mapping),
                            "half_of_target": TARGETS[name] // 2, "met": rate >= TARGETS[name] / 2})
    return results
