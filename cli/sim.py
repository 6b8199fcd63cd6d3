"""`jjj sim`: simulated member systems against a running federation (harness.sim), clearly marked SIMULATED.

Lives in cli because rendering a generated case in a member's native format is the
codec's encode, and only cli may import the adapters (harness may not: it sees the
federation from outside). The same codec the adapter decodes with renders the
document, so what the simulation sends is what that member's real system would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path

from adapters.registry import codec_for
from kernel import jurisdictions
from jjj.case.v1 import case_pb2

BANNER = "SIMULATED"


def add_parser(commands) -> None:
    sim = commands.add_parser("sim", help="simulated member systems: generate, submit and handle cases (SIMULATED)")
    sim.add_argument("--count", type=int, default=None, help="cases to submit, then wait until they are closed (default: run until Ctrl-C)")
    sim.add_argument("--rate", type=float, default=1.0, help="cases per second (0: as fast as the adapters answer)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--run-tag", type=int, default=None,
                     help="0-99: repeatable native ids from this tag on (default: numbers no earlier run against "
                          "this federation used, from <data_dir>/simulated/next-sequence)")
    members = sim.add_mutually_exclusive_group()
    members.add_argument("--only", action="append", choices=jurisdictions.names(), help="simulate only this member")
    members.add_argument("--except", dest="excluded", action="append", choices=jurisdictions.names(),
                         help="simulate every member but this one (the one under test)")
    sim.add_argument("--receive-only", action="store_true",
                     help="submit nothing: only receive, handle and reply (a member's receiving system)")
    sim.add_argument("--policy", type=Path, default=None, help="behaviour YAML (default harness/sim/policy.yaml)")
    sim.add_argument("--settle", type=float, default=120.0, help="seconds to wait for the cases to close (with --count)")
    sim.add_argument("--state", type=Path, default=None, help="the federation's state file (default <data_dir>/federation.json)")
    sim.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the state file to appear (jjj up starting)")


def render(jurisdiction: str, case: case_pb2.Case) -> bytes:
    return codec_for(jurisdiction).encode([case])


def run(args: argparse.Namespace) -> int:
    from harness.sim.policy import Policy
    from harness.sim.run import Run, await_agreement, chosen_members, simulate

    state = _state(args.state, args.wait)
    members = chosen_members(args.only, args.excluded)
    policy = Policy.load(args.policy) if args.policy else Policy.load()
    spec = Run(count=args.count, rate=args.rate, seed=args.seed, settle_seconds=args.settle, policy=policy,
               submit=not args.receive_only, **numbering_of(state, args.run_tag, args.count, args.receive_only))
    where = (f"run tag {spec.run_tag}" if args.run_tag is not None
             else f"numbers from {spec.first_sequence}" if spec.next_block is None else "numbers reserved as it goes")
    print(f"{BANNER}: simulated member systems {', '.join(members)} (seed {args.seed}, {where}); "
          f"their cases are marked 【模拟】 and their native ids carry a 9 where the real sequence starts",
          file=sys.stderr, flush=True)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        ledger = await simulate(state, members, spec, render, stop)
        summary = ledger.summary()
        print(f"{BANNER}: " + json.dumps(summary, ensure_ascii=False), file=sys.stderr, flush=True)
        if args.count is None or args.receive_only:
            return 0
        counts, problems = await await_agreement(state, ledger)
        print(f"{BANNER}: counts " + json.dumps({k: dict(v) for k, v in counts.items()}, ensure_ascii=False),
              file=sys.stderr)
        for problem in [*problems, *ledger.unexpected_rejections, *ledger.refused_steps]:
            print(f"{BANNER}: {problem}", file=sys.stderr)
        still_open = [r for r in ledger.open_cross_border() if r.destination in members]
        return 1 if problems or still_open or ledger.unexpected_rejections or ledger.missed_rejections else 0

    return asyncio.run(main())


def numbering_of(state, run_tag: int | None, count: int | None, receive_only: bool) -> dict:
    """Run's numbering: an explicit --run-tag (repeatable ids), else numbers reserved in the data directory."""
    from harness.sim import numbering

    if run_tag is not None:
        if not 0 <= run_tag <= 99:
            raise SystemExit(f"jjj sim: --run-tag is 0-99, not {run_tag}")
        return {"run_tag": run_tag}
    if receive_only:
        return {}
    if count is not None:
        return {"first_sequence": numbering.reserve(state.data_dir, count)}
    return {"next_block": numbering.blocks(state.data_dir)}


def _state(path: Path | None, wait: float):
    from harness.state import FederationNotRunning, FederationState

    deadline = time.monotonic() + wait
    while True:
        try:
            return FederationState.load(path)
        except FederationNotRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
