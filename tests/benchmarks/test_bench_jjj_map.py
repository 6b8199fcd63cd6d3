"""The `jjj map` process benchmark still runs (small documents; no timing asserted)."""

from __future__ import annotations

from benchmarks import bench_jjj_map


def test_each_jurisdictions_jjj_map_process_is_measured_on_its_whole_document():
    rows = bench_jjj_map.run({"beijing": 1.0, "hebei": 1.0}, beijing=20, tianjin=10, hebei=50)
    assert [(row["name"], row["records"]) for row in rows] == [
        ("jjj_map_beijing", 20), ("jjj_map_tianjin", 10), ("jjj_map_hebei", 50)]
    assert all(row["per_second"] > 0 and row["half_of_target"] > 0 for row in rows)
