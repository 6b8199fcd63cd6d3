"""At most `at_once` submissions worked on together; the rest wait their turn, counted, and a cancelled
wait takes no turn. The servicer's SubmitDocument goes through them."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from adapters.service.servicer import AdapterServicer
from adapters.service.turns import Turns
from jjj.adapter.v1 import adapter_pb2
from kernel.errors import AdapterBusy
from kernel.jurisdictions import by_name
from kernel.observability import metrics
from tests.support.status import from_status


class Work:
    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.running = 0
        self.most = 0
        self.release = asyncio.Event()

    async def one(self) -> None:
        async with self.turns.turn():
            self.running += 1
            self.most = max(self.most, self.running)
            await self.release.wait()
            self.running -= 1


async def until(condition) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("not reached")


def gauge(jurisdiction: str) -> float:
    return metrics.REGISTRY.get_sample_value("jjj_submissions_waiting", {"jurisdiction": jurisdiction})


async def test_at_most_at_once_run_together_and_the_others_wait_counted():
    work = Work(Turns(3, "turns-test"))
    tasks = [asyncio.create_task(work.one()) for _ in range(10)]
    await until(lambda: work.running == 3 and work.turns.waiting == 7)
    assert gauge("turns-test") == 7
    work.release.set()
    await asyncio.gather(*tasks)
    assert work.most == 3 and work.turns.waiting == 0 and gauge("turns-test") == 0


async def test_a_cancelled_wait_takes_no_turn():
    work = Work(Turns(1, "turns-cancel"))
    first = asyncio.create_task(work.one())
    waiting = [asyncio.create_task(work.one()) for _ in range(3)]
    await until(lambda: work.turns.waiting == 3)
    waiting[0].cancel()  # the member's deadline passed while it waited
    await until(lambda: work.turns.waiting == 2)
    work.release.set()
    await asyncio.gather(first, *waiting[1:])
    assert waiting[0].cancelled() and work.most == 1 and work.turns.waiting == 0


async def test_beyond_waiting_at_most_a_call_is_refused_at_once_and_later_ones_wait_again():
    work = Work(Turns(1, "turns-bound", waiting_at_most=2))
    running_and_waiting = [asyncio.create_task(work.one()) for _ in range(3)]
    await until(lambda: work.running == 1 and work.turns.waiting == 2)
    with pytest.raises(AdapterBusy) as refused:
        await work.one()
    assert refused.value.metadata == {"waiting": "2"} and "2 submissions waiting" in str(refused.value)
    assert work.turns.waiting == 2 and gauge("turns-bound") == 2  # the refused call was never counted as waiting
    work.release.set()
    await asyncio.gather(*running_and_waiting)
    work.release.clear()
    again = [asyncio.create_task(work.one()) for _ in range(3)]  # room again once the waiting went
    await until(lambda: work.running == 1 and work.turns.waiting == 2)
    work.release.set()
    await asyncio.gather(*again)
    assert work.most == 1 and work.turns.waiting == 0


async def test_with_no_waiting_allowed_a_busy_adapter_refuses_and_a_free_one_serves():
    work = Work(Turns(1, "turns-none", waiting_at_most=0))
    first = asyncio.create_task(work.one())
    await until(lambda: work.running == 1)
    with pytest.raises(AdapterBusy):
        await work.one()
    work.release.set()
    await first
    await work.one()  # the slot is free: served without waiting


class SlowRelay:
    member = by_name("beijing")

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.release = asyncio.Event()

    async def submit(self, request):
        self.running += 1
        self.most = max(self.most, self.running)
        await self.release.wait()
        self.running -= 1
        return adapter_pb2.SubmitDocumentResponse()


class Context:
    def __init__(self) -> None:
        self.status: grpc.Status | None = None

    def invocation_metadata(self):
        return ()

    async def abort_with_status(self, status: grpc.Status) -> None:
        self.status = status
        raise grpc.aio.AbortError()


async def test_submit_document_calls_take_turns():
    relay = SlowRelay()
    servicer = AdapterServicer(relay, inboxes=None, ingests=object(), submissions_at_once=2)
    calls = [asyncio.create_task(servicer.SubmitDocument(adapter_pb2.SubmitDocumentRequest(), Context()))
             for _ in range(5)]
    await until(lambda: relay.running == 2 and servicer.submissions.waiting == 3)
    relay.release.set()
    answers = await asyncio.gather(*calls)
    assert relay.most == 2 and all(isinstance(answer, adapter_pb2.SubmitDocumentResponse) for answer in answers)


async def test_a_member_beyond_the_bound_gets_resource_exhausted_with_a_retry_delay():
    relay = SlowRelay()
    servicer = AdapterServicer(relay, inboxes=None, ingests=object(), submissions_at_once=1, submissions_waiting_at_most=1)
    calls = [asyncio.create_task(servicer.SubmitDocument(adapter_pb2.SubmitDocumentRequest(), Context())) for _ in range(2)]
    await until(lambda: relay.running == 1 and servicer.submissions.waiting == 1)
    refused = Context()
    with pytest.raises(grpc.aio.AbortError):
        await servicer.SubmitDocument(adapter_pb2.SubmitDocumentRequest(), refused)
    answered = from_status(refused.status)
    assert answered.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert answered.error_info.reason == "ADAPTER_BUSY" and answered.retry_delay == 1.0
    assert metrics.REGISTRY.get_sample_value("jjj_rejections_total", {"jurisdiction": "beijing", "reason": "ADAPTER_BUSY"}) >= 1
    relay.release.set()
    assert all(isinstance(answer, adapter_pb2.SubmitDocumentResponse) for answer in await asyncio.gather(*calls))
