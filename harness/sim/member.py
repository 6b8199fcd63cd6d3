"""A simulated member system on the wire: submits generated documents, works its inbox.

Thin: what to do next is harness.sim.policy.next_step, what happened is the Ledger;
this module only calls the member's adapter (harness.client.MemberClient) and waits
the policy's delays. Rendering a case in the member's native format is handed in
(`render`), since harness may not import the codecs (cli/sim.py passes the codec's encode).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import structlog

from harness.errors import Refused
from harness.items import case_id_of
from harness.sim.defects import without_required_field
from harness.sim.generate import BAD_PHONE, MISSING_FIELD, GeneratedCase, Generator
from harness.sim.ledger import Ledger
from harness.sim.policy import HOLDER, ORIGIN, Past, Policy, Step, next_step
from kernel import jurisdictions
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

Render = Callable[[str, case_pb2.Case], bytes]  # (jurisdiction, case) -> its native document
SIM_ACTOR = "SIMULATED"
log = structlog.get_logger("jjj.sim")


@dataclass
class SimulatedMember:
    """One jurisdiction's simulated system: `client` is a MemberClient of that jurisdiction."""

    client: object
    policy: Policy
    ledger: Ledger
    seed: int
    pending: set[asyncio.Task] = field(default_factory=set)
    # the inbox items this side already answered ((case_id, flow, attempt or sequence)): a redelivered
    # item must not make a second step
    answered: set[tuple[str, str, int]] = field(default_factory=set)
    past: dict[str, Past] = field(default_factory=dict)  # case_id -> what this side did on it already

    def __post_init__(self) -> None:
        self.jurisdiction: str = self.client.jurisdiction
        self.kinds: dict[str, int] = {}  # case kind of each case referred to this side
        self.rng = random.Random(f"{self.seed}/{self.jurisdiction}")

    async def work_inbox(self) -> None:
        """Read and acknowledge every inbox item, taking this side's steps after the policy's delays."""
        async for item in self.client.inbox(follow=True):
            try:
                self._take(item.envelope)
            finally:
                await self.client.ack(item.item_id)

    def _take(self, envelope: envelope_pb2.Envelope) -> None:
        payload = envelope.WhichOneof("payload")
        case_id = case_id_of(envelope)
        if payload in ("referral", "hotline_transfer"):
            referral = getattr(envelope, payload)
            self.ledger.delivered(case_id)
            self.kinds[case_id] = referral.case.kind
            status = case_pb2.STATUS_REFERRED if payload == "referral" else case_pb2.STATUS_DISPATCHED
            attempt = referral.attempt if payload == "referral" else 1
            self._schedule((case_id, payload, attempt), HOLDER, status, referral.case.kind)
        elif payload == "status_update":
            update = envelope.status_update
            key = (case_id, payload, update.sequence)
            if jurisdictions.origin_of_case_id(case_id).name == self.jurisdiction:
                record = self.ledger.cases.get(case_id)
                kind = record.kind if record else case_pb2.CASE_KIND_HOTLINE_REQUEST
                self._schedule(key, ORIGIN, update.status, kind)
            elif update.status == case_pb2.STATUS_RECEIVED and update.coordination.body:
                # the coordination overruled our return: the case is ours to handle again
                self._schedule(key, HOLDER, update.status, self.kinds.get(case_id, case_pb2.CASE_KIND_HOTLINE_REQUEST))
        elif payload == "information_share":
            self.ledger.shares[self.jurisdiction] += 1

    def _schedule(self, key: tuple[str, str, int] | str, role: str, status: int, kind: int) -> None:
        """This side's next step on a case; `key`: the inbox item it answers (once), or the case id
        after this side's own step."""
        if isinstance(key, tuple):
            if key in self.answered:
                return
            self.answered.add(key)
        case_id = key[0] if isinstance(key, tuple) else key
        step = next_step(self.policy, self.rng, role=role, status=status, kind=kind,
                         past=self.past.get(case_id, Past()))
        if step is None:
            return
        task = asyncio.get_running_loop().create_task(self._take_step(case_id, role, step, kind))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _take_step(self, case_id: str, role: str, step: Step, kind: int) -> None:
        await asyncio.sleep(step.delay)
        try:
            await self.client.step(case_id, step.status, actor=SIM_ACTOR, **step.options())
        except Refused as refused:
            self.ledger.refused_steps.append(f"{case_id} {case_pb2.Status.Name(step.status)}: {refused}")
            log.warning("sim_step_refused", case_id=case_id, status=case_pb2.Status.Name(step.status))
            return
        self.ledger.stepped(case_id, step.status, extended=step.extension is not None)
        past = self.past.get(case_id, Past())
        self.past[case_id] = Past(returned=past.returned or step.status == case_pb2.STATUS_RETURNED and role == HOLDER,
                                  disputed=past.disputed or step.status == case_pb2.STATUS_RETURN_DISPUTED,
                                  extended=past.extended or step.extension is not None)
        self._schedule(case_id, role, step.status, kind)

    async def submit(self, generated: GeneratedCase, render: Render) -> None:
        """One generated case as a native document to this member's adapter; the outcome into the ledger."""
        document = render(self.jurisdiction, generated.case)
        if generated.defect == MISSING_FIELD:
            document = without_required_field(self.jurisdiction, document)
        case_id = generated.case.case_id
        # in the ledger before it is sent: the destination may see the referral before submit returns
        self.ledger.submitted(case_id, self.jurisdiction, generated.destination, generated.case.kind)
        try:
            response = await self.client.submit(document)
        except Refused as refused:
            self.ledger.cases.pop(case_id, None)
            # a document whose every case was rejected is refused whole (INVALID_ARGUMENT, DOCUMENT_REJECTED)
            fields = [violation.field for violation in refused.refusal.violations]
            if generated.expect_rejection and refused.refusal.reason == "DOCUMENT_REJECTED":
                self.ledger.expected_rejections[self.jurisdiction] += 1
            else:
                self.ledger.unexpected_rejections.append(f"{self.jurisdiction}: {','.join(fields)}: {refused}")
            return
        if generated.expect_rejection:
            self.ledger.missed_rejections.append(case_id)
        if generated.defect == BAD_PHONE:
            self.ledger.flagged[self.jurisdiction] += 1
        if [s.case_id for s in response.submissions] != [case_id]:
            self.ledger.unexpected_rejections.append(f"{self.jurisdiction}: {case_id} answered as "
                                                     f"{[s.case_id for s in response.submissions]}")

    async def drain(self) -> None:
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)


async def submit_cases(members: dict[str, SimulatedMember], generator: Generator, render: Render, *, count: int,
                       rate: float, origins: list[str] | None = None, clock: Callable[[], datetime] | None = None) -> None:
    """`count` cases from the simulated members in turn (or from `origins`), `rate` per second (0: at once)."""
    origins = origins or sorted(members)
    clock = clock or (lambda: datetime.now(timezone.utc))
    for number in range(count):
        origin = origins[number % len(origins)]
        await members[origin].submit(generator.case(origin, now=clock()), render)
        if rate > 0:
            await asyncio.sleep(1.0 / rate)
