"""Group commit of the outbox: one fsync of the WAL serves every commit made before it started,
and no caller is answered on an fsync that began before its own commit."""

from __future__ import annotations

import asyncio
import threading

import pytest

from adapters.service.outbox import Outbox, Outgoing, WalSync


class Disk:
    """An fsync the test lets finish: `started` counts the calls, each waits for `release()`."""

    def __init__(self) -> None:
        self.started = 0
        self._gates: list[threading.Event] = []
        self.fail_next = False

    def fsync(self, fd: int) -> None:
        gate = threading.Event()
        self._gates.append(gate)
        self.started += 1
        gate.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise OSError(5, "Input/output error")

    def release(self) -> None:
        for gate in self._gates:
            gate.set()


async def until(condition) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


@pytest.fixture
def wal(tmp_path):
    path = tmp_path / "outbox.sqlite3-wal"
    path.write_bytes(b"")
    disk = Disk()
    sync = WalSync(path, fsync=disk.fsync)
    yield sync, disk
    disk.release()
    sync.close()


async def test_the_commits_made_during_one_fsync_share_the_next(wal):
    sync, disk = wal
    first = asyncio.create_task(sync.durable())
    await until(lambda: disk.started == 1)
    meanwhile = [asyncio.create_task(sync.durable()) for _ in range(19)]
    await asyncio.sleep(0.05)
    disk.release()
    await first
    await until(lambda: disk.started == 2)
    disk.release()
    await asyncio.gather(*meanwhile)
    assert disk.started == 2  # 20 commits, 2 fsyncs


async def test_a_commit_made_while_an_fsync_runs_waits_for_the_next_one(wal):
    sync, disk = wal
    first = asyncio.create_task(sync.durable())
    await until(lambda: disk.started == 1)
    later = asyncio.create_task(sync.durable())  # its commit may have missed the running fsync
    await asyncio.sleep(0.05)
    disk.release()
    await first
    await until(lambda: disk.started == 2)
    assert not later.done()
    disk.release()
    await later


async def test_a_failed_fsync_fails_its_waiters_and_the_next_commit_tries_again(wal):
    sync, disk = wal
    disk.fail_next = True
    failing = asyncio.create_task(sync.durable())
    await until(lambda: disk.started == 1)
    disk.release()
    with pytest.raises(OSError):
        await failing
    again = asyncio.create_task(sync.durable())
    await until(lambda: disk.started == 2)
    disk.release()
    await again


async def test_an_outbox_commit_waits_for_the_disk_before_it_counts_as_durable(tmp_path):
    outbox = Outbox.open(tmp_path / "outbox" / "beijing.sqlite3")
    synced = []
    outbox._wal._fsync = lambda fd: synced.append(fd)
    (entry,) = outbox.commit([Outgoing(msg_id="m/1", case_id="jjj:BJ:1", subject="jjj.referral.heb.bj", envelope=b"x")],
                             durable=False)
    await outbox.durable()
    assert len(synced) == 1
    assert [e.id for e in outbox.pending()] == [entry]
    outbox.close()


async def test_a_mark_waits_for_the_fsync_started_for_it_earlier_and_starts_none_of_its_own(wal):
    sync, disk = wal
    marks = [sync.mark() for _ in range(8)]  # eight commits, marked as they are made
    sync.sync_soon()  # the relay takes their batch
    await until(lambda: disk.started == 1)
    waiters = [asyncio.create_task(sync.durable(mark)) for mark in marks]
    await asyncio.sleep(0.05)
    assert not any(waiter.done() for waiter in waiters)
    disk.release()
    await asyncio.gather(*waiters)
    assert disk.started == 1


async def test_a_mark_taken_while_an_fsync_runs_is_not_covered_by_it(wal):
    sync, disk = wal
    sync.mark()
    sync.sync_soon()
    await until(lambda: disk.started == 1)
    later = sync.mark()  # its commit came after the running fsync started
    waiter = asyncio.create_task(sync.durable(later))
    disk.release()
    await until(lambda: disk.started == 2)
    assert not waiter.done()
    disk.release()
    await waiter


async def test_sync_soon_with_nothing_marked_or_an_fsync_running_starts_none(wal):
    sync, disk = wal
    sync.sync_soon()
    await asyncio.sleep(0.05)
    assert disk.started == 0
    sync.mark()
    sync.sync_soon()
    sync.sync_soon()
    await until(lambda: disk.started == 1)
    await asyncio.sleep(0.05)
    assert disk.started == 1
    disk.release()
    await until(lambda: sync._running is None)
    assert disk.started == 1  # the second ask was covered by the first: no follow-up


async def test_an_fsync_started_for_later_waiters_fails_them_and_the_next_tries_again(wal):
    sync, disk = wal
    mark = sync.mark()
    disk.fail_next = True
    sync.sync_soon()
    await until(lambda: disk.started == 1)
    waiter = asyncio.create_task(sync.durable(mark))
    await asyncio.sleep(0.01)
    disk.release()
    with pytest.raises(OSError):
        await waiter
    again = asyncio.create_task(sync.durable(mark))
    await until(lambda: disk.started == 2)
    disk.release()
    await again


async def test_sync_soon_while_an_fsync_runs_starts_the_next_as_it_ends(wal):
    sync, disk = wal
    sync.mark()
    sync.sync_soon()
    await until(lambda: disk.started == 1)
    later = sync.mark()  # the next batch's commits, relayed while the first fsync runs
    sync.sync_soon()
    disk.release()
    await until(lambda: disk.started == 2)  # nobody waited for it yet
    disk.release()
    await until(lambda: sync._synced >= later)
    await sync.durable(later)
    assert disk.started == 2
