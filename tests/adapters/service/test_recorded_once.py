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


# -- several at once (a tracker's round) ------------------------------------------

async def test_a_round_records_together_what_nobody_records_and_waits_for_what_another_is_recording():
    once = RecordedOnce()
    before = Recorder()
    before.release.set()
    await once.once("done", before)  # recorded before: not again
    elsewhere = Recorder(outcome="refusal")  # the inbox, recording e2 meanwhile, and refusing it
    theirs = asyncio.create_task(once.once("e2", elsewhere))
    await asyncio.sleep(0)
    batches: list[list[int]] = []
    alone: list[int] = []

    async def record_many(indexes):
        batches.append(list(indexes))
        return [None, "refused", RuntimeError("bus away"), None][:len(indexes)]

    async def record_one(n):
        alone.append(n)
        return None

    ids = ["e1", "e2", "done", "e3", "e4", ""]
    pending = asyncio.create_task(once.once_many(ids, record_many, record_one))
    await asyncio.sleep(0)
    elsewhere.release.set()
    outcomes = await pending
    assert batches == [[0, 3, 4, 5]]  # e2 is someone else's, "done" is done
    assert outcomes[0] is None and outcomes[3] == "refused" and isinstance(outcomes[4], RuntimeError)
    assert outcomes[5] is None and outcomes[2] is None
    assert outcomes[1] is None and alone == [1]  # theirs refused: judged again, alone
    assert await theirs == "refusal"
    # what was recorded is remembered, what was refused or failed is not
    again = Recorder()
    again.release.set()
    assert await once.once("e1", again) is None and again.calls == 0
    assert await once.once("e3", again) is None and again.calls == 1
    assert await once.once("e4", again) is None and again.calls == 2


async def test_a_round_whose_recording_fails_whole_gives_each_the_error_and_holds_nothing():
    once = RecordedOnce()

    async def record_many(indexes):
        raise RuntimeError("bus away")

    alone: list[int] = []

    async def record_one(n):
        alone.append(n)
        raise RuntimeError("still away")

    outcomes = await once.once_many(["a", "a", "b"], record_many, record_one)
    assert [type(outcome) for outcome in outcomes] == [RuntimeError] * 3
    assert alone == [1]  # the second "a" waited for the first, which failed: then tried for itself
    retry = Recorder()
    retry.release.set()
    assert await once.once("a", retry) is None and retry.calls == 1  # not held as running, not remembered
