"""A member cancelling its inbox stream at any moment never hurts the adapter."""

from __future__ import annotations

import asyncio
import random

from jjj.adapter.v1 import adapter_pb2
from tests.conftest import SHARED
from tests.support.relay import submit_request, take

SANHE = SHARED / "jurisdictions/beijing/samples/valid/bj_rx_transfer_sanhe.json"
ROUNDS = 120


async def test_cancelling_inbox_streams_at_random_moments_leaves_the_adapter_serving(federation):
    await federation.start("beijing", "hebei")
    beijing, hebei = federation.stub("beijing"), federation.stub("hebei")
    await beijing.SubmitDocument(submit_request(SANHE))
    rng = random.Random(20261201)
    for _ in range(ROUNDS):
        call = hebei.OpenInbox(adapter_pb2.OpenInboxRequest())
        if rng.random() < 0.5:
            try:  # sometimes after an item arrived, sometimes before anything did
                await asyncio.wait_for(call.read(), rng.uniform(0, 0.05))
            except asyncio.TimeoutError:
                pass
        else:
            await asyncio.sleep(rng.uniform(0, 0.02))
        call.cancel()
    # Still serving, and the item was never lost: it is taken and acknowledged once.
    (item,) = await take(hebei, 1, timeout=30)  # liveness, not latency: a loaded CI machine is slow
    assert item.envelope.referral.case.case_id == "jjj:BJ:BJ2026112400002001"
    health = await hebei.GetCase(adapter_pb2.GetCaseRequest(case_id="jjj:BJ:BJ2026112400002001"))
    assert health.holder
