"""A member inbox stalled with many messages waiting: the receiving adapter's memory stays under a fixed bound.

Nobody reads Hebei's inbox while Beijing refers N cases to it; then a session opens and
reads very slowly. The adapter must fetch ahead only what it can hold, whatever waits
on the bus: its resident set (VmRSS of /proc/<pid>/status) is sampled all along.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from jjj.adapter.v1 import adapter_pb2
from jjj.bus.v1 import envelope_pb2
from tests.faults.conftest import EXTRA_ROWS, size
from tests.faults.scenario import Stream
from tests.faults.workload import Sizes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(int(size("JJJ_FAULT_TIMEOUT", 300)))]

WAITING = int(size("JJJ_FAULT_STALLED", 600))
BOUND_MIB = size("JJJ_FAULT_RSS_BOUND_MIB", 150)
SLOW_READ_SECONDS = size("JJJ_FAULT_SLOW_READ_SECONDS", 15)


class RssSampler:
    def __init__(self, federation, role: str) -> None:
        self.federation, self.role = federation, role
        self.samples: list[int] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.samples.append(self.federation.rss_kib(self.role))
            except (OSError, AssertionError):  # restarted between listing and reading: the next sample counts
                pass
            await asyncio.sleep(0.2)

    def peak_mib(self) -> float:
        return max(self.samples) / 1024


async def test_a_stalled_inbox_with_many_waiting_keeps_the_adapter_under_its_memory_bound(up_federation):
    federation = up_federation()
    sizes = Sizes(referrals=WAITING, batch=100, senders=2)
    stream = Stream(federation, sizes)
    sampler = RssSampler(federation, "hebei")
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    started_mib = federation.rss_kib("hebei") / 1024
    try:
        await stream.sender.send_all()  # nobody reads Hebei's inbox meanwhile
        assert len(stream.ledger.accepted) == WAITING, stream.ledger.refused and list(stream.ledger.refused.items())[:3]
        waiting_mib = sampler.peak_mib()
        read = 0
        async with federation.member_channel("hebei") as channel:
            stub = federation.adapter_stub(channel)
            call = stub.OpenInbox(adapter_pb2.OpenInboxRequest(flows=[envelope_pb2.FLOW_REFERRAL]))
            until = time.monotonic() + SLOW_READ_SECONDS
            while time.monotonic() < until:
                item = (await asyncio.wait_for(call.read(), 30)).item
                await stub.AcknowledgeInboxItem(adapter_pb2.AcknowledgeInboxItemRequest(item_id=item.item_id))
                read += 1
                await asyncio.sleep(0.5)  # a member reading very slowly
            call.cancel()
    finally:
        stop.set()
        await sampling
    peak = sampler.peak_mib()
    row = (f"Memory: Hebei's adapter with {WAITING} referrals waiting in its stalled inbox, then read slowly "
           f"({read} items in {SLOW_READ_SECONDS:.0f} s): RSS {started_mib:.0f} MiB at start, {waiting_mib:.0f} MiB "
           f"once all were waiting, peak {peak:.0f} MiB over {len(sampler.samples)} samples; bound {BOUND_MIB:.0f} MiB "
           f"({datetime.now(UTC):%Y-%m-%d %H:%M UTC}).")
    EXTRA_ROWS.append(row)
    print(row)
    assert read > 0
    assert peak < BOUND_MIB, row
