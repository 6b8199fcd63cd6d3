"""Where the CPU of the end-to-end path goes: `python -m benchmarks.profile_load` (needs py-spy,
`pip install py-spy`; not part of `make bench`, whose numbers a sampling profiler would disturb).

Starts a federation (`jjj up` on free ports), runs the bench's closed-loop load (Beijing member
submits, Hebei member reads and acknowledges), samples every adapter and the gateway with
py-spy meanwhile, and prints per process the functions with the most samples of their own
("self"), the project's own functions by inclusive samples, and the samples by kind of work in µs of
CPU per referral (benchmarks.work_kinds). The collapsed stacks are written
to bench/profiles/<when>/<process>.txt (flame-graph input).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import load
from benchmarks.work_kinds import by_kind
from harness.federation import LocalFederation

ROOT = Path(__file__).resolve().parents[1]
PROFILED = ("beijing", "hebei", "gateway")
OWN_PACKAGES = ("adapters/", "kernel/", "gateway/", "cli/")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed here: pip install py-spy")
    return found


def summarise(collapsed: Path, top: int) -> list[str]:
    """The heaviest frames of one process: by own samples, and the project's own by inclusive samples."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        for frame in set(frames):
            if any(package in frame for package in OWN_PACKAGES):
                inclusive[frame] += samples
    if not total:
        return ["  (no samples)"]
    lines = [f"  {total} samples; most of their own:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("  the project's own functions, inclusive:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return lines


async def drive(federation: LocalFederation, *, in_flight: int, per_call: int, referrals: int) -> dict:
    members = load.Members(federation.state)
    orders = load.WorkOrders(int(time.time()))
    pids = dict(federation.state.pids)
    pids["members"] = __import__("os").getpid()
    meter = load.Meter(pids, federation.state.nats_monitor_url)
    await members.open()
    try:
        await load.saturation(members, orders, meter, in_flight=4, per_call=1, referrals=8)  # warm
        return await load.saturation(members, orders, meter, in_flight=in_flight, per_call=per_call, referrals=referrals)
    finally:
        await members.close()


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m benchmarks.profile_load")
    options.add_argument("--in-flight", type=int, default=64)
    options.add_argument("--per-call", type=int, default=1, help="work orders per SubmitDocument")
    options.add_argument("--referrals", type=int, default=2000)
    options.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    options.add_argument("--top", type=int, default=25)
    options.add_argument("--gil", action="store_true",
                         help="sample only the thread holding the GIL: Python's time on the CPU, without the threads"
                              " waiting in fsync or gRPC's poller")
    options.add_argument("--history", type=int, default=0,
                         help="cases sent through (16 per call) before the profiled run: where the cost grows with them")
    arguments = options.parse_args(argv)
    out = ROOT / "bench" / "profiles" / datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    with load.bench_federation(prefix="jjj-profile-") as federation:
        samplers = []
        try:
            if arguments.history:
                loaded = asyncio.run(drive(federation, in_flight=16, per_call=load.BATCH, referrals=arguments.history))
                print(f"history: {loaded['referrals']} cases at {loaded['referrals_per_second']}/s", flush=True)
                # Profiled once the history's tail (receipts, projection, audit) is done, as the bench's probe is.
                waited = asyncio.run(load.settled(dict(federation.state.pids), timeout=load.HISTORY_SETTLE_SECONDS))
                print(f"settled after {waited} s", flush=True)
            for role in PROFILED:
                pid = federation.state.pids[role]
                samplers.append((role, subprocess.Popen(
                    [py_spy(), "record", "--pid", str(pid), "--rate", str(arguments.rate), "--format", "raw",
                     "--nonblocking", *(["--gil"] if arguments.gil else []), "--output", str(out / f"{role}.txt")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
            result = asyncio.run(drive(federation, in_flight=arguments.in_flight, per_call=arguments.per_call,
                                       referrals=arguments.referrals))
        finally:
            for _, sampler in samplers:
                sampler.send_signal(2)  # py-spy writes its output on SIGINT
            for _, sampler in samplers:
                sampler.wait(timeout=30)
    print(f"{result['referrals']} referrals at {result['referrals_per_second']}/s, "
          f"{result['cpu_ms_per_referral_total']} ms CPU per referral: {result['cpu_ms_per_referral']}")
    for role, _ in samplers:
        print(f"\n{role} ({out / (role + '.txt')}):")
        print("\n".join(summarise(out / f"{role}.txt", arguments.top)))
        print("\n".join(by_kind(out / f"{role}.txt", result["cpu_ms_per_referral"].get(role, 0.0))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
