"""`python -m benchmarks.soak`: memory of every process sampled burst after burst (a short run here)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks import load, soak


def test_growth_per_hour_is_the_least_squares_slope():
    assert soak.slope_per_hour([(0, 100.0), (1800, 110.0), (3600, 120.0)]) == pytest.approx(20.0)
    assert soak.slope_per_hour([(0, 100.0), (3600, 100.0)]) == 0.0
    assert soak.slope_per_hour([(5, 100.0)]) == 0.0


@pytest.mark.timeout(300)
def test_a_short_soak_samples_every_process_after_each_burst(tmp_path: Path) -> None:
    with load.bench_federation(tmp_path / "data") as federation:
        measured = asyncio.run(soak.soak(federation, minutes=0.05, burst=64, every=1.0))
    samples = measured["samples"]
    assert samples and measured["referrals"] == samples[-1]["referrals"] >= 64
    for role in ("nats", "gateway", "beijing", "hebei", "members"):
        assert all(sample["rss_mb"][role] > 10 for sample in samples), role
        # /proc counts CPU in 10 ms ticks: a burst of 64 may cost a light process less than one
        assert all(sample["cpu_ms_per_referral_by_process"][role] >= 0 for sample in samples), role
        assert sum(sample["cpu_ms_per_referral_by_process"][role] for sample in samples) > 0, role
        figures = measured["summary"][role]
        assert figures["peak"] >= figures["last"] > 10
