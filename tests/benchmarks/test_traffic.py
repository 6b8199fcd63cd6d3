"""`python -m benchmarks.traffic` on a real federation: it counts every hop of a referral, per referral."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from benchmarks import load, traffic


@pytest.mark.timeout(300)
def test_each_referral_is_stored_once_with_its_receipt_and_every_process_is_counted(tmp_path: Path) -> None:
    with load.bench_federation(tmp_path / "data") as federation:
        lines = asyncio.run(traffic.measure(federation, referrals=64, per_call=16, in_flight=2))
    text = "\n".join(lines)
    assert lines[0].startswith("64 referrals, 16 per call, 2 calls in flight")
    items, messages = map(int, re.match(r"the Hebei member's inbox: (\d+) items in (\d+) stream messages", lines[1]).groups())
    assert items == 64 and 1 <= messages <= items
    stored = dict(re.findall(r"^  (JJJ_\w+|KV_\w+)\s+([\d.]+)$", text, flags=re.MULTILINE))
    assert stored["JJJ_REFERRALS"] == "1.00"  # one message per referral
    assert 0 < float(stored["JJJ_RECEIPTS"]) <= 1  # the receipts of one acknowledgement batch in one message
    assert float(stored["KV_JJJ_CASES_BJ"]) >= 1 and float(stored["KV_JJJ_CASES_HE"]) >= 1
    connections = dict(re.findall(r"^  (jjj-adapter-\w+|jjj-gateway)\s+in\s+([\d.]+)", text, flags=re.MULTILINE))
    assert float(connections["jjj-adapter-beijing"]) > 1 and float(connections["jjj-adapter-hebei"]) > 1
    for role in ("nats", "gateway", "beijing", "hebei", "members"):
        assert re.search(rf"^  {role}\s+\d+\.\d+ \+\s+\d+\.\d+ ms .* \d+\.\d MB$", text, flags=re.MULTILINE), role
