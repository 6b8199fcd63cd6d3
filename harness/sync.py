"""The clients without asyncio, and expectations that fail with what came instead.

A member team's tests are usually plain functions: `Harness(state)` runs the asyncio
clients on an event loop of its own (a daemon thread), so `harness.member("beijing")
.submit(path)` is an ordinary call whether or not the test suite uses pytest-asyncio.
The `expect_*` helpers wait up to a timeout for a condition and raise
`ExpectationFailed` (an AssertionError, so pytest shows it as a test failure) naming
what was expected and everything that came instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from harness import items, names
from harness.client import GatewayClient, MemberClient, origin_of
from harness.errors import Refused
from harness.state import FederationState
from jjj.adapter.v1 import adapter_pb2
from jjj.gateway.v1 import gateway_pb2

T = TypeVar("T")
DEFAULT_WAIT = 15.0
POLL_SECONDS = 0.1


class ExpectationFailed(AssertionError):
    """What a test expected of the federation did not happen in time; the message says what did."""


class Harness:
    """Synchronous access to a running federation: one member client per jurisdiction, the gateway."""

    def __init__(self, state: FederationState, *, call_timeout: float = 30.0) -> None:
        self.state = state
        self.call_timeout = call_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jjj-harness", daemon=True)
        self._thread.start()
        self._members: dict[str, Member] = {}
        self._gateways: dict[str, GatewayClient] = {}

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout if timeout is not None else self.call_timeout + DEFAULT_WAIT)

    def member(self, jurisdiction: str) -> "Member":
        if jurisdiction not in self._members:
            async def make() -> MemberClient:
                return MemberClient(self.state, jurisdiction, timeout=self.call_timeout)

            client = self.run(make())
            self._members[jurisdiction] = Member(self, client)
        return self._members[jurisdiction]

    def gateway(self, as_member: str | None = None) -> GatewayClient:
        key = as_member or ""
        if key not in self._gateways:
            async def make() -> GatewayClient:
                return GatewayClient(self.state, as_member=as_member, timeout=self.call_timeout)

            self._gateways[key] = self.run(make())
        return self._gateways[key]

    # -- the helpers of a test --------------------------------------------------------------

    def submit(self, jurisdiction: str, document: Path | str | bytes, **options) -> adapter_pb2.SubmitDocumentResponse:
        return self.member(jurisdiction).submit(document, **options)

    def expect_inbox(self, jurisdiction: str, **match) -> adapter_pb2.InboxItem:
        return self.member(jurisdiction).expect_inbox(**match)

    def step(self, jurisdiction: str, case_id: str, status: int | str, **options) -> adapter_pb2.ReportStatusResponse:
        return self.member(jurisdiction).step(case_id, status, **options)

    def trail(self, case_id: str) -> gateway_pb2.GetCaseTrailResponse:
        return self.run(self.gateway(origin_of(case_id)).case_trail(case_id))

    def expect_status(self, case_id: str, status: int | str, *, at: str | None = None,
                      timeout: float = DEFAULT_WAIT) -> Any:
        """Waits until the case has `status`: in the gateway's projection (default) or, with `at`, in that
        member's adapter (GetCase). Returns the gateway's trail, or the member's GetCaseResponse."""
        wanted = names.status(status) if isinstance(status, str) else status
        where = f"member {at}" if at else "the gateway"
        # Made here, not on the loop: making a client runs on the loop and waits for it.
        member, gateway = (self.member(at).client, None) if at else (None, self.gateway(origin_of(case_id)))

        async def probe():
            if member is not None:
                answer = await member.get_case(case_id)
                return answer, answer.case.status, _steps_of_case(answer)
            answer = await gateway.case_trail(case_id)
            return answer, answer.record.status, _steps_of_trail(answer)

        async def wait():
            seen, last_error = None, None
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                try:
                    answer, current, steps = await probe()
                    seen = (current, steps)
                    if current == wanted:
                        return answer
                except Refused as refused:
                    if refused.refusal.reason != "CASE_NOT_FOUND":
                        raise
                    last_error = refused.refusal.message
                if asyncio.get_running_loop().time() > deadline:
                    if seen is None:
                        raise ExpectationFailed(f"{case_id} at {where}: expected {names.status_name(wanted)} within "
                                                f"{timeout:g}s, but the case is not known there ({last_error})")
                    current, steps = seen
                    raise ExpectationFailed(
                        f"{case_id} at {where}: expected {names.status_name(wanted)} within {timeout:g}s, "
                        f"but it is {names.status_name(current)}; steps seen: {' -> '.join(steps) or 'none'}")
                await asyncio.sleep(POLL_SECONDS)

        return self.run(wait(), timeout + self.call_timeout)

    def close(self) -> None:
        async def close_all() -> None:
            for member in self._members.values():
                await member.client.close()
            for gateway in self._gateways.values():
                await gateway.close()

        try:
            self.run(close_all(), 10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


def _steps_of_trail(answer: gateway_pb2.GetCaseTrailResponse) -> list[str]:
    return [f"{names.status_name(entry.status)} by {names.member_label(entry.sender)}" for entry in answer.trail]


def _steps_of_case(answer: adapter_pb2.GetCaseResponse) -> list[str]:
    return [event.action for event in answer.case.history]


class Member:
    """One member system's calls, synchronous (see Harness)."""

    def __init__(self, harness: Harness, client: MemberClient) -> None:
        self.harness = harness
        self.client = client
        self.jurisdiction = client.jurisdiction

    def submit(self, document: Path | str | bytes, *, expect_accepted: bool = True,
               **options) -> adapter_pb2.SubmitDocumentResponse:
        """Submits a document (a path or its bytes); with `expect_accepted` every case must have gone."""
        if isinstance(document, (str, Path)):
            path = Path(document)
            options.setdefault("filename", path.name)
            document = path.read_bytes()
        response = self.harness.run(self.client.submit(document, **options))
        if expect_accepted and response.rejections:
            rejected = "; ".join(f"row {r.row} record {r.record} field {r.field}: {r.reason}" for r in response.rejections)
            raise ExpectationFailed(f"{self.jurisdiction} submitted {len(response.submissions)} case(s) and "
                                    f"{len(response.rejections)} rejection(s): {rejected}")
        return response

    def step(self, case_id: str, status: int | str, **options) -> adapter_pb2.ReportStatusResponse:
        return self.harness.run(self.client.step(case_id, status, **options))

    def get_case(self, case_id: str) -> adapter_pb2.GetCaseResponse:
        return self.harness.run(self.client.get_case(case_id))

    def share(self, **options) -> adapter_pb2.ShareInformationResponse:
        return self.harness.run(self.client.share(**options))

    def ack(self, item_id: str) -> int:
        return self.harness.run(self.client.ack(item_id))

    def ack_many(self, item_ids) -> list[adapter_pb2.AcknowledgeInboxItemOutcome]:
        return self.harness.run(self.client.ack_many(item_ids))

    def drain(self, *, ack: bool = True, idle_seconds: float = 1.0) -> list[adapter_pb2.InboxItem]:
        """What is in the inbox now (acknowledged unless told not to)."""
        async def read() -> list[adapter_pb2.InboxItem]:
            taken = []
            async for item in self.client.inbox(follow=False, idle_seconds=idle_seconds):
                taken.append(item)
                if ack:
                    await self.client.ack(item.item_id)
            return taken

        return self.harness.run(read())

    def expect_inbox(self, *, case_id: str | None = None, flow: int | str | None = None, status: int | str | None = None,
                     timeout: float = DEFAULT_WAIT, ack: bool = True) -> adapter_pb2.InboxItem:
        """Waits for an inbox item that matches every criterion given and acknowledges it (unless `ack=False`);
        other items are left unacknowledged (they come again). Fails naming what came instead."""
        wanted_flow = names.flow(flow) if isinstance(flow, str) else flow
        wanted_status = names.status(status) if isinstance(status, str) else status

        def matches(item: adapter_pb2.InboxItem) -> bool:
            return ((case_id is None or items.case_id_of(item) == case_id)
                    and (wanted_flow is None or item.envelope.flow == wanted_flow)
                    and (wanted_status is None or items.status_of(item) == wanted_status))

        async def wait() -> adapter_pb2.InboxItem:
            others: list[dict] = []
            try:
                async with asyncio.timeout(timeout):
                    async for item in self.client.inbox(follow=True):
                        if matches(item):
                            if ack:
                                await self.client.ack(item.item_id)
                            return item
                        others.append(items.summary(item))
            except TimeoutError:
                pass
            criteria = ", ".join(f"{key}={value}" for key, value in (
                ("case_id", case_id), ("flow", names.flow_name(wanted_flow) if wanted_flow is not None else None),
                ("status", names.status_name(wanted_status) if wanted_status is not None else None)) if value is not None)
            came = "\n".join(f"  {row['flow']} {row['case_id'] or '-'} from {row['sender']}: {row['detail']}"
                             for row in others) or "  nothing"
            raise ExpectationFailed(f"{self.jurisdiction}'s inbox: no item with {criteria or 'anything'} within "
                                    f"{timeout:g}s; what came instead:\n{came}")

        return self.harness.run(wait(), timeout + self.harness.call_timeout)
