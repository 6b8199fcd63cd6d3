"""The calls relayed in one batch share one fsync of the outbox, and none is answered before its commit is on the disk.

Real adapters in this process and a real nats-server. Hebei's outbox fsyncs are recorded: when
each started, how many commits it covered, when it finished.
"""

from __future__ import annotations

import asyncio
import os
import threading

from tests.support.outbox import hebei_documents, to_beijing

CALLS = 8


class RecordedDisk:
    """The outbox's fsync, recording what each one covered (commits counted by the wrapped commit)."""

    def __init__(self) -> None:
        self.commits = 0
        self.committed_as: dict[str, int] = {}  # request_id -> its commit's number
        self.finished: list[int] = []  # per finished fsync: the commits made before it started
        self._lock = threading.Lock()

    def wrap_commit(self, commit):
        def committed(outgoing, answer=None, *, durable=True):
            ids = commit(outgoing, answer, durable=durable)
            self.commits += 1
            if answer is not None:
                self.committed_as[answer.request_id] = self.commits
            return ids
        return committed

    def fsync(self, fd: int) -> None:  # in the worker thread
        covers = self.commits
        os.fsync(fd)
        with self._lock:
            self.finished.append(covers)

    def on_disk(self, request_id: str) -> bool:
        with self._lock:
            return any(covers >= self.committed_as[request_id] for covers in self.finished)


async def test_calls_relayed_together_share_an_fsync_and_each_is_answered_after_its_commit_is_on_the_disk(
        federation, nats_server):
    await federation.start("hebei", "beijing")
    relay = federation.running["hebei"].relay
    hebei = federation.stub("hebei")
    documents = hebei_documents(CALLS + 1)
    await hebei.SubmitDocument(to_beijing(documents[0], "warm-up"), timeout=30)  # the WAL exists, the bus is warm

    disk = RecordedDisk()
    relay.outbox.commit = disk.wrap_commit(relay.outbox.commit)
    relay.outbox._wal._fsync = disk.fsync
    # The first relay after this waits until every call has committed, as a busy bus would make it.
    gate = asyncio.Event()
    deliver, deliver_many = relay.drainer.deliver, relay.drainer.deliver_many

    async def held(entry):
        await gate.wait()
        return await deliver(entry)

    async def held_many(entries):
        await gate.wait()
        return await deliver_many(entries)

    relay.drainer.deliver, relay.drainer.deliver_many = held, held_many

    answered_on_disk: dict[str, bool] = {}

    async def call(n: int) -> None:
        request_id = f"shared-{n}"
        answer = await hebei.SubmitDocument(to_beijing(documents[n], request_id), timeout=30)
        answered_on_disk[request_id] = disk.on_disk(request_id)
        assert not answer.submissions[0].queued

    calls = []
    for n in range(1, CALLS + 1):  # committed one after another, each while the earlier ones wait for the relay
        calls.append(asyncio.create_task(call(n)))
        for _ in range(200):
            if disk.commits >= n:
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)  # time for an fsync of its own, had it started one
    assert disk.commits == CALLS
    gate.set()
    await asyncio.gather(*calls)

    assert answered_on_disk == {f"shared-{n}": True for n in range(1, CALLS + 1)}
    assert len(disk.finished) <= 3, disk.finished  # one for the first relay's batch, one for the rest (and a spare)
