"""Runs conformance scenarios against a running federation, the kit playing the member systems.

Each member the kit plays has an inbox watcher that reads and acknowledges every item
(as a member system must) and keeps them, so an expectation can match an item that came
before it was asked for. With `--member J` the kit plays the others only: J's inbox is
left to J's own system, and the scenario's expectations wait for what that system does.

A failed expectation names the step, what was expected and what came.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from kernel.waiting import wait_until_set
from harness import names
from harness.client import GatewayClient, MemberClient
from harness.conformance.more_steps import MoreSteps, StepFailed, saved_value
from harness.conformance.scenario import Scenario, Step
from harness.errors import Refused
from harness.items import case_id_of
from harness.state import FederationState
from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from jjj.case.v1 import case_pb2


class Documents(Protocol):
    """Where a scenario's documents come from (cli/conformance.py renders with the codecs)."""

    def sample(self, relative: str) -> tuple[bytes, str]:
        """(content, filename) of a shared sample, `beijing/samples/valid/x.json`."""

    def generate(self, origin: str, *, to: str, kind: str, urgent: bool, missing_field: bool,
                 repeat_of: str = "") -> tuple[bytes, str]:
        """(content, case_id) of a new case of `origin` located in `to`, in origin's native format;
        `repeat_of`: the same requester raising the same matter as that earlier generated case."""


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool
    seconds: float
    failure: str = ""


class InboxWatcher:
    """One member's inbox, read and acknowledged as it comes; every item kept for the expectations."""

    def __init__(self, client: MemberClient) -> None:
        self.client = client
        self.items: list[adapter_pb2.InboxItem] = []
        self.changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for item in self.client.inbox(follow=True):
            await self.client.ack(item.item_id)
            self.items.append(item)
            self.changed.set()

    async def wait_for(self, matches: Callable[[adapter_pb2.InboxItem], bool], timeout: float) -> adapter_pb2.InboxItem | None:
        deadline = time.monotonic() + timeout
        while True:
            found = next((item for item in self.items if matches(item)), None)
            if found is not None:
                return found
            if self.task.done():
                self.task.result()  # the inbox broke: say so rather than time out
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.changed.clear()
            await wait_until_set(self.changed, min(left, 0.5))


def describe_item(item: adapter_pb2.InboxItem) -> str:
    envelope = item.envelope
    payload = envelope.WhichOneof("payload")
    if payload == "status_update":
        update = envelope.status_update
        facts = [case_pb2.Closing.Name(update.closing) if update.closing else "",
                 case_pb2.ReturnReason.Name(update.return_reason) if update.return_reason else "",
                 case_pb2.EventType.Name(update.event.type) if update.event.type else ""]
        return " ".join(filter(None, [f"status update {case_pb2.Status.Name(update.status)}", *facts]))
    if payload == "referral":
        return f"referral (attempt {envelope.referral.attempt})"
    if payload == "information_share":
        share = envelope.information_share
        return f"share {envelope_pb2.ShareTopic.Name(share.topic)} {share.title!r} ({len(share.digests)} digests)"
    return payload or "empty envelope"


@dataclass
class Runner(MoreSteps):
    state: FederationState
    documents: Documents
    played: list[str]  # the members whose systems the kit plays
    target: dict[str, str] = field(default_factory=dict)  # member -> host:port of its adapter, when not the state's
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    # what was sent per case id (content, filename), so a scenario can send it again (a re-route)
    sent: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # cases from a member system under test that an expect_submission took already
    claimed: set[str] = field(default_factory=set)

    async def __aenter__(self) -> "Runner":
        names = sorted(set(self.played) | set(self.target) | set(self.state.adapters))
        self.clients = {name: MemberClient(self._state_for(name), name) for name in names}
        self.gateway = GatewayClient(self.state)
        self.watchers = {name: InboxWatcher(self.clients[name]) for name in self.played}
        return self

    async def __aexit__(self, *_exc) -> None:
        for watcher in self.watchers.values():
            watcher.task.cancel()
        await asyncio.gather(*(w.task for w in self.watchers.values()), return_exceptions=True)
        for client in [*self.clients.values(), self.gateway]:
            await client.close()

    def _state_for(self, name: str) -> FederationState:
        if name not in self.target:
            return self.state
        import dataclasses

        from harness.state import Endpoint

        host, _, port = self.target[name].rpartition(":")
        return dataclasses.replace(self.state, adapters={**self.state.adapters, name: Endpoint(host, int(port))})

    async def run(self, scenarios: list[Scenario]) -> list[Outcome]:
        return [await self.run_one(scenario) for scenario in scenarios]

    async def run_one(self, scenario: Scenario) -> Outcome:
        started = time.monotonic()
        saved: dict[str, str] = {}
        try:
            for step in scenario.steps:
                await getattr(self, f"_{step.kind}")(step, saved, scenario.timeout)
        except StepFailed as failed:
            return Outcome(scenario, False, time.monotonic() - started, str(failed))
        except Exception as error:  # noqa: BLE001 - a broken step fails its scenario, not the run
            return Outcome(scenario, False, time.monotonic() - started, f"{type(error).__name__}: {error}")
        return Outcome(scenario, True, time.monotonic() - started)

    # ---------------------------------------------------------------- steps

    def member(self, step: Step, key: str, saved: dict) -> str:
        """A member named by a step: literally, or `$name` that an earlier step saved."""
        return saved_value(step, key, saved)

    def _document(self, step: Step, saved: dict, *, missing_field: bool = False) -> tuple[bytes, str, str]:
        """(content, filename, case_id or "") of a step's sample or generated document, or one sent `again`."""
        if "again" in step.args:
            case_id = saved_value(step, "again", saved)
            if case_id not in self.sent:
                raise StepFailed(step, f"a document the kit sent for {case_id}", "none sent by this run")
            content, filename = self.sent[case_id]
            return content, filename, case_id
        if "sample" in step.args:
            content, filename = self.documents.sample(step.args["sample"])
            return content, filename, ""
        spec = step.args["generate"] or {}
        content, case_id = self.documents.generate(
            step.args["as"], to=spec.get("to", step.args.get("to", "")), kind=spec.get("kind", "hotline"),
            urgent=bool(spec.get("urgent", False)), missing_field=missing_field,
            repeat_of=saved_value(Step(step.kind, spec, step.number), "repeat_of", saved) if spec.get("repeat_of") else "")
        return content, "", case_id

    async def _submit(self, step: Step, saved: dict, timeout: float) -> None:
        content, filename, _ = self._document(step, saved)
        client = self.clients[self.member(step, "as", saved)]
        try:
            response = await client.submit(content, to=step.args.get("to"), transfer=bool(step.args.get("transfer")),
                                           filename=filename)
        except Refused as refused:
            raise StepFailed(step, "the document accepted", f"refused: {refused.refusal.code} "
                             f"{[(v.field, v.description) for v in refused.refusal.violations] or refused}") from None
        if not response.submissions:
            raise StepFailed(step, "a submission", f"none; rejections {[(r.field, r.reason) for r in response.rejections]}")
        submission = response.submissions[0]
        if len(response.submissions) == 1:
            self.sent[submission.case_id] = (content, filename)
        cases = step.args.get("expect_cases")
        if cases is not None and len(response.submissions) != int(cases):
            raise StepFailed(step, f"{cases} cases sent", f"{len(response.submissions)}; rejections "
                             f"{[(r.field, r.reason) for r in response.rejections]}")
        if "save" in step.args:
            saved[step.args["save"]] = submission.case_id
        want = step.args.get("expect_destination")
        if want and case_pb2.Jurisdiction.Name(submission.destination) != _jurisdiction_enum(want):
            raise StepFailed(step, f"destination {_jurisdiction_enum(want)}",
                             f"{case_pb2.Jurisdiction.Name(submission.destination)}")
        if "expect_repeat_of" in step.args:
            earlier = saved_value(step, "expect_repeat_of", saved)
            links = [link.earlier_case_id for link in submission.repeats]
            if earlier not in links:
                raise StepFailed(step, f"a repeat link to {earlier}", f"links to {links or 'no earlier case'}")
        if "expect_attempt" in step.args:
            expectation = {"at": self.member(step, "as", saved), "case": submission.case_id,
                           "status": "STATUS_REFERRED", "attempt": step.args["expect_attempt"]}
            if step.args.get("to"):
                expectation["holder"] = step.args["to"]
            await self._expect_status(Step("expect_status", expectation, step.number), saved, timeout)
        flag = step.args.get("expect_flag")
        if flag and not any(f.startswith(flag) for f in submission.quality_flags):
            raise StepFailed(step, f"a quality flag on {flag}", f"flags {list(submission.quality_flags)}")

    async def _expect_rejection(self, step: Step, saved: dict, timeout: float) -> None:
        content, filename, _ = self._document(step, saved, missing_field=bool(step.args.get("missing_field", True)))
        wanted = step.args["field"]
        try:
            response = await self.clients[self.member(step, "as", saved)].submit(
                content, filename=filename, to=self.member(step, "to", saved) if "to" in step.args else None)
        except Refused as refused:
            fields = [v.field for v in refused.refusal.violations]
            if refused.refusal.code == "INVALID_ARGUMENT" and any(wanted.lower() in f.lower() for f in fields):
                return
            raise StepFailed(step, f"INVALID_ARGUMENT naming field {wanted!r}",
                             f"{refused.refusal.code} naming {fields or 'no field'}: {refused}") from None
        fields = [r.field for r in response.rejections]
        if any(wanted.lower() in f.lower() for f in fields):
            return
        got = [s.case_id for s in response.submissions]
        raise StepFailed(step, f"a rejection naming field {wanted!r}", f"accepted as {got}, rejections naming {fields}")

    async def _expect_inbox(self, step: Step, saved: dict, timeout: float) -> None:
        member, case_id = self.member(step, "member", saved), saved_value(step, "case", saved)
        flow = step.args.get("flow")
        status = step.args.get("status")
        closing = names.closing(str(step.args["closing"])) if "closing" in step.args else None
        return_reason = names.return_reason(str(step.args["return_reason"])) if "return_reason" in step.args else None
        attempt = int(step.args["attempt"]) if "attempt" in step.args else None
        payloads = {"referral": "referral", "transfer": "hotline_transfer", "status": "status_update", None: None}

        def matches(item: adapter_pb2.InboxItem) -> bool:
            if case_id_of(item) != case_id:
                return False
            payload = item.envelope.WhichOneof("payload")
            if flow and payload != payloads[flow]:
                return False
            if status and not (payload == "status_update"
                               and case_pb2.Status.Name(item.envelope.status_update.status) == status):
                return False
            update = item.envelope.status_update
            if closing is not None and not (payload == "status_update" and update.closing == closing):
                return False
            if return_reason is not None and not (payload == "status_update" and update.return_reason == return_reason):
                return False
            return attempt is None or (payload == "referral" and item.envelope.referral.attempt == attempt)

        watcher = self._watcher(step, member)
        if await watcher.wait_for(matches, timeout) is None:
            seen = [describe_item(i) for i in watcher.items if case_id_of(i) == case_id]
            facts = [f"{key} {step.args[key]}" for key in ("closing", "return_reason", "attempt") if key in step.args]
            expected = " ".join(filter(None, [flow or "an item", status, *facts, f"for {case_id} in {member}'s inbox"]))
            raise StepFailed(step, expected, f"after {timeout:g}s: {seen or 'nothing for this case'}")

    async def _step(self, step: Step, saved: dict, timeout: float) -> None:
        try:
            await self._report(step, saved)
        except Refused as refused:
            raise StepFailed(step, "the step accepted", f"{refused.refusal.code} ({refused.refusal.reason}): {refused}") from None

    async def _report(self, step: Step, saved: dict) -> adapter_pb2.ReportStatusResponse:
        client = self.clients[self.member(step, "as", saved)]
        case_id = saved_value(step, "case", saved)
        return await client.step(case_id, step.args["status"], request_id=f"conformance-{case_id}-{step.number}"
                                 if step.args.get("days_ago") is not None else None, **self.step_facts(step, saved))

    async def _expect_refused(self, step: Step, saved: dict, timeout: float) -> None:
        code = step.args.get("code", "FAILED_PRECONDITION")
        try:
            response = await self._report(step, saved)
        except Refused as refused:
            got = refused.refusal
            mentions = step.args.get("mentions", "")
            wanted_reason = step.args.get("error_reason")
            if got.code == code and (not wanted_reason or got.reason == wanted_reason) and mentions in str(refused):
                return
            raise StepFailed(step, f"{code} {wanted_reason or ''} {mentions!r}".replace("  ", " "),
                             f"{got.code} ({got.reason}): {refused}") from None
        raise StepFailed(step, f"a refusal {code}", f"the step accepted (sequence {response.sequence})")

    async def _expect_status(self, step: Step, saved: dict, timeout: float) -> None:
        where, case_id, wanted = self.member(step, "at", saved), saved_value(step, "case", saved), step.args["status"]
        holder = step.args.get("holder")
        deadline = time.monotonic() + timeout
        got = "nothing yet"
        while True:
            try:
                if where == "gateway":
                    record = (await self.gateway.case_trail(case_id)).record
                    status, case_holder, attempt = record.status, record.holder, None
                else:
                    answer = await self.clients[where].get_case(case_id)
                    status, case_holder, attempt = answer.case.status, answer.holder, answer.attempt
                got = f"{case_pb2.Status.Name(status)}, holder {case_pb2.Jurisdiction.Name(case_holder)}"
                ok = case_pb2.Status.Name(status) == wanted and (not holder or case_pb2.Jurisdiction.Name(case_holder)
                                                                 == _jurisdiction_enum(holder))
                if ok and step.args.get("attempt") is not None and attempt is not None:
                    ok = attempt == int(step.args["attempt"])
                    got += f", attempt {attempt}"
                if ok:
                    return
            except Refused as refused:
                got = f"{refused.refusal.code} ({refused.refusal.reason})"
            if time.monotonic() > deadline:
                expected = f"{wanted} at {where}" + (f", holder {_jurisdiction_enum(holder)}" if holder else "")
                raise StepFailed(step, expected, f"{got} after {timeout:g}s")
            await asyncio.sleep(0.2)

    async def _share(self, step: Step, saved: dict, timeout: float) -> None:
        title = f"{step.args.get('title', 'conformance')} #{int(time.time() * 1000)}"
        document, filename = self.documents.sample(step.args["sample"]) if "sample" in step.args else (None, "")
        saved[step.args.get("save", "share")] = title
        extra = self.emergency_share(step, saved, title)
        try:
            await self.clients[self.member(step, "as", saved)].share(
                topic=step.args["topic"], audience=[self.member(Step(step.kind, {"m": m}, step.number), "m", saved)
                                                    for m in step.args.get("audience", [])],
                title=title, body=step.args.get("body", ""), document=document, filename=filename, **extra)
        except Refused as refused:
            raise StepFailed(step, "the share accepted", f"{refused.refusal.code}: {refused}") from None

    async def _expect_share(self, step: Step, saved: dict, timeout: float) -> None:
        member, topic = self.member(step, "member", saved), step.args["topic"]
        title = saved_value(step, "title", saved) if "title" in step.args else saved.get("share", "")
        digests = step.args.get("digests")
        case_id = saved_value(step, "case", saved) if "case" in step.args else None
        broadcast = saved_value(step, "broadcast", saved) if "broadcast" in step.args else None
        if case_id or broadcast:
            title = ""  # the federation's own titles (repeat links) or the acknowledger's
        def matches(item: adapter_pb2.InboxItem) -> bool:
            share = item.envelope.information_share
            return (item.envelope.WhichOneof("payload") == "information_share"
                    and envelope_pb2.ShareTopic.Name(share.topic) == topic and (not title or share.title == title)
                    and (digests is None or len(share.digests) == int(digests))
                    and (case_id is None or any(case_id in (link.case_id, link.earlier_case_id)
                                                for link in share.repeat_links))
                    and (broadcast is None or broadcast in (share.emergency_ack.broadcast_id,
                                                            share.emergency.broadcast_id)))

        watcher = self._watcher(step, member)
        if await watcher.wait_for(matches, timeout) is None:
            seen = [describe_item(i) for i in watcher.items if i.envelope.WhichOneof("payload") == "information_share"]
            which = f"for {case_id or broadcast}" if case_id or broadcast else repr(title)
            raise StepFailed(step, f"a {topic} share {which} in {member}'s inbox", f"after {timeout:g}s: {seen[-5:] or 'no share'}")

    async def _expect_deadline_notice(self, step: Step, saved: dict, timeout: float) -> None:
        member, case_id = self.member(step, "member", saved), saved_value(step, "case", saved)
        wanted_step, wanted_kind = step.args.get("step"), step.args.get("kind")

        def notices(item: adapter_pb2.InboxItem) -> list:
            share = item.envelope.information_share
            return [n for n in share.deadlines if n.case_id == case_id]

        def matches(item: adapter_pb2.InboxItem) -> bool:
            return any((not wanted_step or n.step == wanted_step)
                       and (not wanted_kind or envelope_pb2.DeadlineKind.Name(n.kind).endswith(wanted_kind.upper()))
                       for n in notices(item))

        watcher = self._watcher(step, member)
        if await watcher.wait_for(matches, timeout) is None:
            seen = [f"{n.step} {envelope_pb2.DeadlineKind.Name(n.kind)}" for i in watcher.items for n in notices(i)]
            expected = " ".join(filter(None, ["a deadline notice", wanted_kind, wanted_step, f"for {case_id} to {member}"]))
            raise StepFailed(step, expected, f"after {timeout:g}s: {seen or 'no deadline notice for this case'}")

    def _watcher(self, step: Step, member: str) -> InboxWatcher:
        if member not in self.watchers:
            raise StepFailed(step, f"an inbox the kit reads ({', '.join(self.watchers)})",
                             f"{member}, whose inbox its own system reads")
        return self.watchers[member]


def _jurisdiction_enum(name: str) -> str:
    return name if name.startswith("JURISDICTION_") else f"JURISDICTION_{name.upper()}"


def default_samples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "shared" / "jurisdictions"
