"""Memory over an hour and more: `python -m benchmarks.soak [--minutes 65] [--burst 1024] [--every 15]`.

Starts a federation (`jjj up` on free ports) and drives the bench's closed loop in bursts (a batched
burst of `--burst` referrals every `--every` seconds, the Beijing member submitting, the Hebei member
acknowledging), sampling every process's resident memory (VmRSS) after each burst. The heap keeper
(kernel/heap.py) freezes what a process holds every minute and collects it in full only hourly, so a
run shorter than an hour cannot tell what the freezes keep; this one runs past the first thaw. Writes
`bench/results/soak-<date>.json` (every sample) and prints, per process, the RSS after the warm-up,
at its peak, at the end, and the growth per hour over the second half of the run. Not part of
`make bench` (it takes the hour it measures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import load
from harness.federation import LocalFederation

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares growth of (seconds, MB) points, in MB per hour (0 for fewer than two)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if not spread:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 3600


def summary(samples: list[dict], roles: list[str], *, warm_up_seconds: float) -> dict[str, dict]:
    """Per role: RSS after the warm-up, peak, last, growth per hour over the second half (MB)."""
    end = samples[-1]["seconds"]
    warm = next((s for s in samples if s["seconds"] >= warm_up_seconds), samples[0])
    second_half = [s for s in samples if s["seconds"] >= end / 2]
    return {role: {"after_warm_up": warm["rss_mb"][role], "peak": max(s["rss_mb"][role] for s in samples),
                   "last": samples[-1]["rss_mb"][role],
                   "growth_per_hour_second_half": round(slope_per_hour([(s["seconds"], s["rss_mb"][role])
                                                                        for s in second_half]), 1)}
            for role in roles}


async def soak(federation: LocalFederation, *, minutes: float, burst: int, every: float) -> dict:
    members, orders, pids, meter = load.bench_clients(federation.state)
    await members.open()
    samples: list[dict] = []
    started = time.monotonic()
    referrals = 0
    try:
        await load.saturation(members, orders, meter, in_flight=4, per_call=1, referrals=8)
        while time.monotonic() - started < minutes * 60:
            burst_started = time.monotonic()
            result = await load.saturation(members, orders, meter, in_flight=16, per_call=load.BATCH, referrals=burst)
            referrals += result["referrals"]
            samples.append({"seconds": round(time.monotonic() - started, 1), "referrals": referrals,
                            "burst_per_second": result["referrals_per_second"],
                            "cpu_ms_per_referral": result["cpu_ms_per_referral_total"],
                            # which process's cost grows with the cases held, if any does
                            "cpu_ms_per_referral_by_process": result["cpu_ms_per_referral"],
                            "rss_mb": {role: round(load.status_mb(pid, "VmRSS"), 1) for role, pid in pids.items()}})
            print(json.dumps(samples[-1]), flush=True)
            await asyncio.sleep(max(0.0, every - (time.monotonic() - burst_started)))
    finally:
        await members.close()
    roles = list(pids)
    return {"minutes": minutes, "burst": burst, "every_seconds": every, "referrals": referrals,
            "summary": summary(samples, roles, warm_up_seconds=300.0), "samples": samples}


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m benchmarks.soak")
    options.add_argument("--minutes", type=float, default=65.0)
    options.add_argument("--burst", type=int, default=1024, help="referrals per burst (16 calls of 16 in flight)")
    options.add_argument("--every", type=float, default=15.0, help="seconds from one burst's start to the next")
    arguments = options.parse_args(argv)
    with load.bench_federation(prefix="jjj-soak-") as federation:
        measured = asyncio.run(soak(federation, minutes=arguments.minutes, burst=arguments.burst, every=arguments.every))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"soak-{datetime.now(UTC).strftime('%Y-%m-%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(measured, indent=1) + "\n")
    print(f"\n{measured['referrals']} referrals in {arguments.minutes:g} minutes; RSS MB by process "
          f"(after 5 minutes / peak / last / growth per hour over the second half):")
    for role, figures in measured["summary"].items():
        print(f"  {role:<12} {figures['after_warm_up']:7.1f} {figures['peak']:7.1f} {figures['last']:7.1f}"
              f" {figures['growth_per_hour_second_half']:+7.1f}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
