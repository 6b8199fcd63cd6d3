"""Case numbers across runs against one federation: one counter in its data directory, never reused."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest

from harness.sim import numbering
from harness.sim.generate import Generator, is_simulated_native_id

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def test_each_reservation_starts_where_the_last_ended(tmp_path: Path):
    assert numbering.reserve(tmp_path, 12) == 0
    assert numbering.reserve(tmp_path, 0) == 12
    assert numbering.reserve(tmp_path, 5) == 12
    assert (tmp_path / "simulated" / "next-sequence").read_text() == "17\n"
    with pytest.raises(ValueError):
        numbering.reserve(tmp_path, -1)


def _reserve_many(data_dir: str) -> list[int]:
    return [numbering.reserve(Path(data_dir), 3) for _ in range(40)]


def test_runs_starting_at_the_same_moment_get_disjoint_blocks(tmp_path: Path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        firsts = [first for firsts in pool.map(_reserve_many, [str(tmp_path)] * 4) for first in firsts]
    assert sorted(firsts) == list(range(0, 4 * 40 * 3, 3))


@pytest.mark.parametrize("origin", ["beijing", "tianjin", "hebei"])
def test_more_runs_than_run_tags_never_meet_an_earlier_runs_id(tmp_path: Path, origin):
    # the old default (the minute modulo 100) gave the 101st run the first run's ids
    seen: set[str] = set()
    for run in range(150):
        generator = Generator(seed=run % 3, first_sequence=numbering.reserve(tmp_path, 7))
        ids = {generator.case(origin, now=NOW).case.native_id for _ in range(7)}
        assert len(ids) == 7 and not ids & seen, f"run {run} reused {sorted(ids & seen)}"
        seen |= ids
    assert all(is_simulated_native_id(native) for native in seen)


def test_an_open_ended_run_takes_block_after_block_and_a_kit_run_in_between_keeps_its_own(tmp_path: Path):
    generator = Generator(seed=4, next_block=numbering.blocks(tmp_path, size=10), block_size=10)
    first = [generator.case("tianjin", now=NOW).case.native_id for _ in range(10)]
    kit = numbering.reserve(tmp_path, 5)  # a conformance run meanwhile
    later = [generator.case("tianjin", now=NOW).case.native_id for _ in range(15)]
    assert kit == 10
    kit_generator = Generator(seed=9, first_sequence=kit)
    kit_ids = {kit_generator.case("tianjin", now=NOW).case.native_id for _ in range(5)}
    assert len(set(first + later)) == 25 and not kit_ids & set(first + later)
    assert numbering.reserve(tmp_path, 1) == 35  # blocks 0-9, the kit's 10-14, blocks 15-24 and 25-34
