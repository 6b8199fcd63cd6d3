"""One fault-injection run: the stream of referrals, the fault in the middle of it, then the verdict."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2
from jjj.gateway.v1 import gateway_pb2
from tests.faults.federation import UpFederation
from tests.support.secure import member_channel
from tests.faults.workload import STEPS, Ledger, Receiver, Reporter, Sender, Sizes

Fault = Callable[["Stream"], Awaitable[None]]
EXPECTED_TRAIL = [case_pb2.STATUS_REFERRED, *STEPS]
# How long one case's trail is read again while the reads time out or find the service away.
TRAIL_READ_RETRY_SECONDS = 60.0
UNANSWERED = (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)


@dataclass
class Result:
    fault: str
    sizes: Sizes
    submitted: int
    accepted: int
    queued: int
    refused: int
    delivered: int
    lost: list[str]
    duplicated: list[tuple[str, int]]
    status_lost: list[str]
    recovery_seconds: float | None
    trail_problems: list[str]
    trails_checked: int
    step_errors: list[tuple[str, str]]
    unexpected: list[str]
    errors: dict[str, int]
    notes: list[str] = field(default_factory=list)
    longest_pause_seconds: float | None = None  # the longest time without a delivery after a fault

    def summary(self) -> str:
        recovery = "-" if self.recovery_seconds is None else f"{self.recovery_seconds:.1f}s"
        return (f"{self.fault}: submitted={self.submitted} accepted={self.accepted} (queued {self.queued}, "
                f"refused {self.refused}) delivered={self.delivered} lost={len(self.lost)} "
                f"duplicated={len(self.duplicated)} status_lost={len(self.status_lost)} recovery={recovery} "
                f"longest_pause={'-' if self.longest_pause_seconds is None else f'{self.longest_pause_seconds:.1f}s'} "
                f"trails_checked={self.trails_checked} trail_problems={len(self.trail_problems)} "
                f"step_errors={len(self.step_errors)} errors={self.errors} notes={self.notes}")


class Stream:
    """The workload running against a federation, with what a fault needs to time itself."""

    def __init__(self, federation: UpFederation, sizes: Sizes, *, settle_seconds: float | None = None) -> None:
        self.federation, self.sizes = federation, sizes
        # Waits scale with the run: a long run takes minutes to get a quarter through.
        self.patience = max(120.0, sizes.referrals * 0.1)
        # After the fault the backlog drains at what this machine relays (tens per second when loaded):
        # the settle window grows with the run (JJJ_FAULT_SETTLE_SECONDS_PER_REFERRAL; `make chaos` allows more).
        per_referral = float(os.environ.get("JJJ_FAULT_SETTLE_SECONDS_PER_REFERRAL", "0.02"))
        self.settle_seconds = settle_seconds if settle_seconds is not None else max(25.0, sizes.referrals * per_referral)
        self.ledger = Ledger()
        self.sender = Sender(federation, self.ledger, sizes)
        self.reporter = Reporter(federation, self.ledger)
        self.receiver = Receiver(federation, self.ledger, "hebei", envelope_pb2.FLOW_REFERRAL, on_item=self.reporter,
                                 workers=sizes.ack_workers)
        self.origin = Receiver(federation, self.ledger, "beijing", envelope_pb2.FLOW_STATUS_UPDATE, workers=4)
        self.fault_moments: list[float] = []
        self.phase = "streaming"
        self.notes: list[str] = []
        self.unanswered_trail_reads: dict[str, int] = {}
        self.poisoned: list[envelope_pb2.DeadLetter] = []  # what the poison fault found dead-lettered
        self.outage: tuple[float, float | None] | None = None  # the bus-unreachable fault's start and end

    # -- for faults ----------------------------------------------------------

    async def when(self, condition: Callable[[], bool], *, timeout: float | None = None, what: str = "") -> None:
        deadline = time.monotonic() + (timeout or self.patience)
        while not condition():
            if self.sender_failed():
                raise AssertionError(f"no submission answered OK: {list(self.ledger.refused.values())[:3]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what or 'condition'} not within {timeout}s:\n{self.federation.log_tail()}")
            await asyncio.sleep(0.02)

    def sender_failed(self) -> bool:
        return bool(self.ledger.refused) and not self.ledger.accepted and len(self.ledger.refused) >= self.sizes.batch * 2

    def accepted_share(self) -> float:
        return len(self.ledger.accepted) / self.sizes.referrals

    def delivered_share(self) -> float:
        return sum(1 for e in self.ledger.deliveries if "/referral/" in e) / self.sizes.referrals

    def fault_now(self) -> float:
        moment = time.monotonic()
        self.fault_moments.append(moment)
        return moment

    # -- the run -------------------------------------------------------------

    def progress(self) -> str:
        ledger = self.ledger
        return (f"{self.phase}: accepted {len(ledger.accepted)}/{self.sizes.referrals}, delivered {len(ledger.deliveries)} envelopes, "
                f"acknowledged {len(ledger.acknowledged)}, reported {len(ledger.reported)}, in flight "
                f"{self.sender.in_flight}, faults {len(self.fault_moments)}, sessions {self.receiver.sessions}")

    async def _report_progress(self) -> None:
        """Every few seconds on stderr (`make chaos` runs for long; pytest -s shows it)."""
        while True:
            await asyncio.sleep(float(os.environ.get("JJJ_FAULT_PROGRESS_SECONDS", "10")))
            print(f"[faults] {self.progress()}", file=sys.stderr, flush=True)

    async def run(self, name: str, fault: Fault) -> Result:
        progress = asyncio.create_task(self._report_progress())
        try:
            return await self._run(name, fault)
        finally:
            progress.cancel()

    async def _run(self, name: str, fault: Fault) -> Result:
        receiving = asyncio.create_task(self.receiver.run())
        origin = asyncio.create_task(self.origin.run())
        sending = asyncio.create_task(self.sender.send_all())
        try:
            await asyncio.gather(sending, fault(self))
            self.phase = "settling"
            await self._settle()
        finally:
            self.phase = "stopping the members"
            self.receiver.stopping.set()
            self.origin.stopping.set()
            await asyncio.gather(receiving, origin, return_exceptions=True)
            await self.reporter.close()
        self.phase = "checking trails"
        problems, checked = await self._check_trails()
        return self._result(name, problems, checked)

    def _missing(self) -> list[str]:
        """What has not arrived yet: referrals unacknowledged, steps unreported, status updates unacknowledged."""
        ledger = self.ledger
        # An acknowledgement left unanswered (the member closed that connection) that was never followed by a
        # redelivery did reach the bus: that referral is done.
        settled = set(ledger.acknowledged) | ledger.ack_unanswered
        missing = [f"referral {case} unacknowledged" for case in ledger.accepted if ledger.referral_id(case) not in settled]
        missing += [f"{case}: steps reported {ledger.reported.get(case)}" for case in ledger.accepted
                    if ledger.referral_id(case) in settled and len(ledger.reported.get(case, ())) < len(STEPS)]
        missing += [f"{case}/status/{n} unacknowledged at the origin" for case in ledger.accepted
                    for n in range(1, len(ledger.reported.get(case, ())) + 1)
                    if f"{case}/status/{n}" not in settled]
        return missing

    def _done(self) -> bool:
        return not self._missing()

    async def _settle(self) -> None:
        """Until every accepted referral and its steps arrived, then one ack wait more, for late duplicates."""
        deadline = time.monotonic() + self.settle_seconds
        while not self._done() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if not self._done():
            missing = self._missing()
            self.notes.append(f"not settled within {self.settle_seconds:.0f}s: {len(missing)} missing, e.g. {missing[:3]}")
        await asyncio.sleep(float(self.federation.extra_env.get("JJJ_ACK_WAIT_SECONDS", "30")) + 2)

    async def _check_trails(self, sample: int = 400) -> tuple[list[str], int]:
        """Origin (GetCase) and gateway (GetCaseTrail) of the reported cases: steps complete and in order.
        Every case up to `sample` cases, else an evenly spread sample of that many."""
        cases = sorted(case for case, steps in self.ledger.reported.items() if list(steps) == list(STEPS))
        if len(cases) > sample:
            stride = len(cases) / sample
            cases = [cases[int(i * stride)] for i in range(sample)]
        problems: list[str] = []
        # The gateway admits any registered member system: Beijing's certificate serves both questions.
        gateway_address = f"127.0.0.1:{self.federation.ports['gateway']}"
        async with self.federation.member_channel("beijing") as origin_channel, \
                member_channel(self.federation.layout, "beijing", gateway_address) as gateway_channel:
            origin = self.federation.adapter_stub(origin_channel)
            gateway = self.federation.gateway_stub(gateway_channel)
            deadline = time.monotonic() + max(15.0, self.sizes.referrals * 0.01)
            for case in cases:
                problem = await self._trail_problem(origin, gateway, case, deadline)
                if problem:
                    problems.append(problem)
        return problems, len(cases)

    async def _trail_problem(self, origin, gateway, case: str, deadline: float) -> str | None:
        # A read that timed out or found the service away shows nothing about the trail: it is read
        # again for a while of its own (the shared deadline may be spent by then), and counted in the notes.
        unanswered_until = time.monotonic() + TRAIL_READ_RETRY_SECONDS
        while True:
            problem = None
            asking = "origin GetCase"
            try:
                record = await origin.GetCase(adapter_pb2.GetCaseRequest(case_id=case), timeout=10)
                at_origin = [e.action for e in record.case.history if e.action.startswith("STATUS_")]
                wanted = [case_pb2.Status.Name(s) for s in STEPS]
                if at_origin != wanted or record.case.status != STEPS[-1]:
                    problem = f"{case}: origin history {at_origin}, status {case_pb2.Status.Name(record.case.status)}"
                asking = "gateway GetCaseTrail"
                trail = await gateway.GetCaseTrail(gateway_pb2.GetCaseTrailRequest(case_id=case), timeout=10)
                statuses = [e.status for e in trail.trail]
                sequences = [e.sequence for e in trail.trail]
                if problem is None and (statuses != EXPECTED_TRAIL or sequences != sorted(sequences)):
                    problem = (f"{case}: gateway trail {[case_pb2.Status.Name(s) for s in statuses]} "
                               f"sequences {sequences}")
            except grpc.aio.AioRpcError as error:
                problem = f"{case}: {asking} {error.code().name} {error.details()}"
                if error.code() in UNANSWERED and time.monotonic() < unanswered_until:
                    self.unanswered_trail_reads[asking] = self.unanswered_trail_reads.get(asking, 0) + 1
                    await asyncio.sleep(1.0)
                    continue
            if problem is None or time.monotonic() > deadline:
                return problem
            await asyncio.sleep(0.5)

    def _result(self, name: str, problems: list[str], checked: int) -> Result:
        ledger = self.ledger
        recoveries = [r for r in (ledger.recovery_after(m) for m in self.fault_moments) if r is not None]
        pauses = [p for p in (ledger.longest_pause_after(m) for m in self.fault_moments) if p is not None]
        if self.unanswered_trail_reads:
            self.notes.append(f"trail reads that timed out or found the service away, then read again: "
                              f"{self.unanswered_trail_reads}")
        unanswered = sorted(e for e in ledger.ack_unanswered if e not in ledger.acknowledged)
        if unanswered:
            self.notes.append(f"{len(unanswered)} acknowledgements never answered and never redelivered "
                              f"(taken by the bus), e.g. {unanswered[:3]}")
        unrecovered = len(self.fault_moments) - len(recoveries)
        if unrecovered:
            self.notes.append(f"{unrecovered} of {len(self.fault_moments)} faults without a delivery after them")
        status_lost = sorted(f"{case}/status/{n}" for case, steps in ledger.reported.items()
                             for n in range(1, len(steps) + 1) if f"{case}/status/{n}" not in ledger.deliveries)
        return Result(
            fault=name, sizes=self.sizes, submitted=len(ledger.attempted), accepted=len(ledger.accepted),
            queued=len(ledger.queued), refused=len(ledger.refused),
            delivered=sum(1 for case in ledger.accepted if ledger.referral_id(case) in ledger.deliveries),
            lost=ledger.lost(), duplicated=list(ledger.duplicates), status_lost=status_lost,
            recovery_seconds=max(recoveries) if recoveries else None, longest_pause_seconds=max(pauses) if pauses else None,
            trail_problems=problems, trails_checked=checked,
            step_errors=list(ledger.step_errors), unexpected=list(ledger.unexpected), errors=dict(ledger.errors),
            notes=self.notes + ([f"{len(ledger.raced)} re-shown while their acknowledgement was in flight "
                                 f"(not counted as duplicated): {ledger.raced[:5]}"] if ledger.raced else []),
        )
