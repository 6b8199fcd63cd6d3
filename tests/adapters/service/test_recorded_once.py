"""Inbound envelopes recorded once per process: the second admission takes the first's outcome."""

from __future__ import annotations

import asyncio

import pytest

from adapters.service.recorded import RecordedOnce


class Recorder:
    def __init__(self, outcome=None, *, fail: bool = False) -> None:
        self.calls = 0
        self.outcome = outcome
        self.fail = fail
        self.release = asyncio.Event()

    async def __call__(self):
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("bus away")
        return self.outcome


async def test_concurrent_admissions_of_one_envelope_record_it_once():
    once, recorder = RecordedOnce(), Recorder()
    first = asyncio.create_task(once.once("e1", recorder))
    second = asyncio.create_task(once.once("e1", recorder))
    await asyncio.sleep(0)
    recorder.release.set()
    assert await asyncio.gather(first, second) == [None, None]
    assert recorder.calls == 1
    assert await once.once("e1", recorder) is None and recorder.calls == 1


async def test_a_refusal_or_a_failure_is_judged_again_by_the_next():
    once = RecordedOnce()
    refused = Recorder(outcome="refusal")
    refused.release.set()
    assert await once.once("e1", refused) == "refusal"
    assert await once.once("e1", refused) == "refusal"
    assert refused.calls == 2
    failing = Recorder(fail=True)
    failing.release.set()
    with pytest.raises(RuntimeError):
        await once.once("e2", failing)
    failing.fail = False
    assert await once.once("e2", failing) is None and failing.calls == 2


async def test_what_was_recorded_is_forgotten_after_the_ttl_and_beyond_the_limit():
    now = [0.0]
    once = RecordedOnce(limit=2, ttl=10, clock=lambda: now[0])
    recorder = Recorder()
    recorder.release.set()
    for envelope_id in ("a", "b", "c"):
        await once.once(envelope_id, recorder)
    await once.once("a", recorder)  # pushed out by the limit: recorded again
    assert recorder.calls == 4
    now[0] = 11
    await once.once("c", recorder)  # past the ttl: recorded again
    assert recorder.calls == 5
