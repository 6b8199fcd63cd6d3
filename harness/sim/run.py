"""A simulation run: simulated members submit, receive and handle; then what everyone says is compared.

`simulate` plays the chosen members against a running federation (its state file),
waits until every cross-border case between simulated members is closed (or the
time is up), and returns the Ledger; `agreement` asks the origin, the destination and
the gateway about each of those cases and lists where they disagree with the ledger.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.client import GatewayClient, MemberClient
from harness.errors import Refused
from harness.sim.generate import Generator, Mix
from harness.sim.ledger import Ledger
from harness.sim.member import Render, SimulatedMember, submit_cases
from harness.sim.policy import Policy
from harness.state import FederationState
from kernel import jurisdictions
from jjj.case.v1 import case_pb2


def chosen_members(only: list[str] | None = None, excluded: list[str] | None = None) -> list[str]:
    """--only J (repeatable) / --except J: the members to simulate; every member by default."""
    names = jurisdictions.names()
    for name in [*(only or []), *(excluded or [])]:
        jurisdictions.by_name(name)  # UnknownJurisdiction for a typo
    chosen = [n for n in names if (not only or n in only) and n not in (excluded or [])]
    if not chosen:
        raise ValueError("no member left to simulate")
    return chosen


@dataclass
class Run:
    count: int | None  # None: until stopped
    rate: float = 2.0  # cases per second, 0 = as fast as the adapters answer
    seed: int = 0
    run_tag: int = 0
    first_sequence: int = 0  # where the case numbering starts (harness.sim.numbering.reserve)
    next_block: Callable[[], int] | None = None  # an open-ended run's numbering, block by block
    settle_seconds: float = 120.0  # after the last submission, how long to wait for the cases to close
    policy: Policy = field(default_factory=Policy.load)
    mix: Mix = field(default_factory=Mix)
    submit: bool = True  # False: only receive and handle (a member's receiving system, for the conformance kit)


async def simulate(state: FederationState, members: list[str], run: Run, render: Render,
                   stop: asyncio.Event | None = None) -> Ledger:
    ledger = Ledger()
    clients = {name: MemberClient(state, name) for name in members}
    simulated = {name: SimulatedMember(client, run.policy, ledger, run.seed) for name, client in clients.items()}
    readers = [asyncio.create_task(member.work_inbox()) for member in simulated.values()]
    try:
        generator = Generator(seed=run.seed, run_tag=run.run_tag, first_sequence=run.first_sequence,
                              next_block=run.next_block, mix=run.mix)
        if not run.submit:
            await (stop.wait() if stop is not None else asyncio.Event().wait())
        elif run.count is None:
            while stop is None or not stop.is_set():
                await submit_cases(simulated, generator, render, count=len(simulated), rate=run.rate)
        else:
            await submit_cases(simulated, generator, render, count=run.count, rate=run.rate)
            await settle(ledger, set(members), run.settle_seconds, readers)
        for member in simulated.values():
            await member.drain()
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        for client in clients.values():
            await client.close()
    return ledger


async def settle(ledger: Ledger, simulated: set[str], within: float, readers: list[asyncio.Task]) -> None:
    """Until every cross-border case whose both sides are simulated is closed, or `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        failed = [reader for reader in readers if reader.done()]
        if failed:
            failed[0].result()  # an inbox that broke: its error, not a silent wait
        if not [r for r in ledger.open_cross_border() if r.destination in simulated]:
            return
        await asyncio.sleep(0.2)


async def agreement(state: FederationState, ledger: Ledger) -> tuple[dict[str, Counter], list[str]]:
    """Each side's count of the run's cross-border cases by status, and every case where a side disagrees."""
    counts = {"origin": Counter(), "destination": Counter(), "gateway": Counter(), "ledger": Counter()}
    problems: list[str] = []
    clients = {name: MemberClient(state, name) for name in jurisdictions.names()}
    gateway = GatewayClient(state)
    try:
        for record in ledger.cross_border():
            expected = case_pb2.STATUS_CLOSED if record.closed else None
            counts["ledger"][_name(expected) if expected else "open"] += 1
            seen = {}
            for side, name in (("origin", record.origin), ("destination", record.destination)):
                try:
                    seen[side] = (await clients[name].get_case(record.case_id)).case.status
                except Refused as refused:
                    problems.append(f"{record.case_id}: {side} {name}: {refused}")
                    seen[side] = None
            try:
                seen["gateway"] = (await gateway.case_trail(record.case_id)).record.status
            except Refused as refused:
                problems.append(f"{record.case_id}: gateway: {refused}")
                seen["gateway"] = None
            for side, status in seen.items():
                counts[side][_name(status)] += 1
            if len(set(seen.values())) != 1 or (expected and seen["origin"] != expected):
                problems.append(f"{record.case_id}: " + ", ".join(f"{side} {_name(s)}" for side, s in seen.items())
                                + f"; the simulation {'closed it' if record.closed else 'left it open'}")
    finally:
        for client in [*clients.values(), gateway]:
            await client.close()
    return counts, problems


def _name(status: int | None) -> str:
    return "unknown" if status is None else case_pb2.Status.Name(status)


async def await_agreement(state: FederationState, ledger: Ledger, within: float = 15.0) -> tuple[dict[str, Counter], list[str]]:
    """agreement, asked again while the gateway's projection catches up (it folds the bus a little later)."""
    deadline = time.monotonic() + within
    while True:
        counts, problems = await agreement(state, ledger)
        if not problems or time.monotonic() > deadline:
            return counts, problems
        await asyncio.sleep(0.5)
