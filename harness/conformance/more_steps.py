"""The kit's steps beyond referral and reply: what a step reports besides its status (a coded
return, a closing path, a coordination decision, an extension), typed events, signed receipts,
emergency broadcasts, and a member's own system as a sender (`expect_submission`).

A mixin of harness.conformance.runner.Runner: it uses the runner's clients, watchers and
`saved` values, and raises the runner's StepFailed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from harness import names
from harness.conformance.scenario import Step
from harness.errors import Refused
from harness.items import case_id_of
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2

SUBMISSION_PAYLOADS = {"referral": ("referral",), "transfer": ("hotline_transfer",), None: ("referral", "hotline_transfer")}
RECEIPT_FLOWS = {"referral": envelope_pb2.FLOW_REFERRAL, "transfer": envelope_pb2.FLOW_HOTLINE_TRANSFER,
                 "status": envelope_pb2.FLOW_STATUS_UPDATE, "share": envelope_pb2.FLOW_INFORMATION_SHARE}


class StepFailed(Exception):
    def __init__(self, step: Step, expected: str, got: str) -> None:
        super().__init__(f"{step.describe()}: expected {expected}; got {got}")


def saved_value(step: Step, key: str, saved: dict) -> str:
    value = str(step.args[key])
    if value.startswith("$"):
        if value[1:] not in saved:
            raise StepFailed(step, f"{value} saved by an earlier step", f"only {sorted(saved) or 'nothing'} saved")
        return saved[value[1:]]
    return value


class MoreSteps:
    """Mixed into Runner (clients, gateway, watchers, clock, claimed)."""

    def step_facts(self, step: Step, saved: dict) -> dict:
        """MemberClient.step's keyword arguments from a `step` / `expect_refused` step's keys."""
        args = step.args
        facts: dict = {"reason": args.get("reason", ""), "note": args.get("note", ""), "actor": "conformance-kit"}
        if args.get("days_ago") is not None:
            # a step that happened earlier (the federation keeps its clocks from the step's time)
            facts["at"] = self.clock() - timedelta(days=float(args["days_ago"]))
        if "return_reason" in args:
            facts["return_reason"] = names.return_reason(str(args["return_reason"]))
        if "closing" in args:
            facts["closing"] = names.closing(str(args["closing"]))
        if "merged_into" in args:
            facts["merged_into"] = saved_value(step, "merged_into", saved)
        if "event" in args:
            facts["event_type"] = names.event_type(str(args["event"]))
        if "extension" in args:
            facts["extension"] = (str(args["extension"]["step"]), int(args["extension"]["amount"]))
        if "coordination" in args:
            spec = args["coordination"]
            facts["coordination"] = case_pb2.CoordinationDecision(
                body=str(spec.get("body", "")), return_upheld=bool(spec.get("upheld", False)),
                decision=str(spec.get("decision", "")))
        if "satisfaction" in args:
            satisfaction = names.satisfaction(str(args["satisfaction"]))
            facts["feedback"] = case_pb2.Feedback(contacted=True, satisfaction=satisfaction,
                                                  resolved=satisfaction != case_pb2.SATISFACTION_UNSATISFIED)
        return facts

    async def _expect_event(self, step: Step, saved: dict, timeout: float) -> None:
        """The case's trail at a member (GetCase's history) or the gateway (its trail) has an event of a type."""
        where, case_id = self.member(step, "at", saved), saved_value(step, "case", saved)
        wanted = names.event_type(str(step.args["event"]))
        deadline = time.monotonic() + timeout
        while True:
            try:
                if where == "gateway":
                    types = [entry.event_type for entry in (await self.gateway.case_trail(case_id)).trail]
                else:
                    types = [event.type for event in (await self.clients[where].get_case(case_id)).case.history]
                got = ", ".join(case_pb2.EventType.Name(t) for t in types if t) or "no typed event"
                if wanted in types:
                    return
            except Refused as refused:
                got = f"{refused.refusal.code} ({refused.refusal.reason})"
            if time.monotonic() > deadline:
                raise StepFailed(step, f"{case_pb2.EventType.Name(wanted)} on {case_id} at {where}", f"{got} after {timeout:g}s")
            await asyncio.sleep(0.2)

    async def _expect_receipt(self, step: Step, saved: dict, timeout: float) -> None:
        """`at`'s adapter holds a signed receipt from `receiver` for a message `at` sent about the case:
        the receiver's system read its inbox and acknowledged it (GetCaseResponse.receipts)."""
        where, case_id = self.member(step, "at", saved), saved_value(step, "case", saved)
        receiver = names.jurisdiction(self.member(step, "receiver", saved))
        flow = RECEIPT_FLOWS[step.args["flow"]] if "flow" in step.args else None
        deadline = time.monotonic() + timeout
        while True:
            try:
                receipts = [e for e in (await self.clients[where].get_case(case_id)).receipts
                            if e.WhichOneof("payload") == "receipt"]
                got = [f"{names.member_label(e.receipt.receiver)} {names.flow_name(e.receipt.flow)}" for e in receipts]
                if any(e.receipt.receiver == receiver and e.receipt.case_id == case_id and e.sender == receiver
                       and (flow is None or e.receipt.flow == flow) and e.receipt.envelope_id for e in receipts):
                    return
            except Refused as refused:
                got = [f"{refused.refusal.code} ({refused.refusal.reason})"]
            if time.monotonic() > deadline:
                what = f"a receipt from {step.args['receiver']}" + (f" for its {step.args['flow']}" if flow else "")
                raise StepFailed(step, f"{what} in {where}'s record of {case_id}",
                                 f"{got or 'no receipt'} after {timeout:g}s (has that system acknowledged its inbox items?)")
            await asyncio.sleep(0.3)

    async def _expect_submission(self, step: Step, saved: dict, timeout: float) -> None:
        """A case from the member system under test (`from`) arrives in the inbox of a member the kit plays.

        The kit cannot make that system submit: it says what it waits for (`instruct`) and waits."""
        sender = self.member(step, "from", saved)
        receivers = [self.member(step, "to", saved)] if "to" in step.args else [m for m in self.watchers if m != sender]
        payloads = SUBMISSION_PAYLOADS[step.args.get("flow")]
        kind = step.args.get("kind")
        instruct = step.args.get("instruct", "")
        what = (f"a {step.args.get('flow', 'referral or transfer')}{' of a ' + kind if kind else ''} from {sender}'s "
                f"system to {' or '.join(receivers)}")
        print(f"conformance: waiting up to {timeout:g}s for {what}" + (f": {instruct}" if instruct else ""),
              file=sys.stderr, flush=True)

        def matches(item: adapter_pb2.InboxItem) -> bool:
            payload = item.envelope.WhichOneof("payload")
            if payload not in payloads or item.envelope.sender != names.jurisdiction(sender):
                return False
            case = getattr(item.envelope, payload).case
            if kind and case.kind != {"hotline": case_pb2.CASE_KIND_HOTLINE_REQUEST,
                                      "petition": case_pb2.CASE_KIND_PETITION}[kind]:
                return False
            return case_id_of(item) not in self.claimed

        deadline = time.monotonic() + timeout
        while True:
            for receiver in receivers:
                found = next((item for item in self._watcher(step, receiver).items if matches(item)), None)
                if found is not None:
                    case_id = case_id_of(found)
                    self.claimed.add(case_id)
                    saved[step.args["save"]] = case_id
                    if "save_holder" in step.args:
                        saved[step.args["save_holder"]] = receiver
                    return
            left = deadline - time.monotonic()
            if left <= 0:
                hint = f"; on {sender}'s side: {instruct}" if instruct else ""
                raise StepFailed(step, what, f"none after {timeout:g}s{hint}")
            watchers = [self._watcher(step, receiver) for receiver in receivers]
            await asyncio.wait([asyncio.ensure_future(w.changed.wait()) for w in watchers], timeout=min(left, 0.5),
                               return_when=asyncio.FIRST_COMPLETED)
            for watcher in watchers:
                watcher.changed.clear()

    def emergency_share(self, step: Step, saved: dict, title: str) -> dict:
        """ShareInformation's emergency / emergency_ack fields of a `share` step."""
        extra: dict = {}
        if "emergency" in step.args:
            spec = step.args["emergency"]
            broadcast_id = f"conformance-{int(time.time() * 1000)}"
            extra["emergency"] = envelope_pb2.EmergencyBroadcast(
                broadcast_id=broadcast_id, category=str(spec.get("category", "other")),
                level=envelope_pb2.WarningLevel.Value(str(spec.get("level", "WARNING_LEVEL_RED"))),
                admin_codes=[str(code) for code in spec.get("admin_codes", [])], summary=title)
            saved[step.args.get("save", "share")] = broadcast_id
            saved["broadcaster"] = step.args["as"]
        if "ack" in step.args:
            broadcast_id = saved_value(step, "ack", saved)
            broadcaster = saved.get("broadcaster", "")
            extra["emergency_ack"] = envelope_pb2.EmergencyAck(
                broadcast_id=broadcast_id, broadcaster=names.jurisdiction(broadcaster) if broadcaster else 0,
                note=title)
        return extra
