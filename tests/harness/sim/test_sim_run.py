"""A seeded simulation of a fixed number of cases against a real `jjj up`: every cross-border case
delivered, handled (or returned) and closed, and the origin, the destination and the gateway agree."""

from __future__ import annotations

import sys
from collections import Counter

import pytest

from cli.sim import render
from harness.federation import LocalFederation
from harness.sim.generate import Mix
from harness.sim.policy import Delay, OriginPolicy, Policy, ReceivingPolicy
from harness.sim.run import Run, await_agreement, simulate
from kernel import jurisdictions

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

FAST = Delay(0.0, 0.05)
POLICY = Policy(ReceivingPolicy(sign_delay=FAST, decide_delay=FAST, handle_delay=FAST, reply_delay=FAST,
                                return_probability=0.1, hotline_straight_to_handling=0.5),
                OriginPolicy(follow_up_delay=FAST, evaluate_probability=0.6, close_delay=FAST))
CASES = 30


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    running = LocalFederation.start(tmp_path_factory.mktemp("sim") / "var")
    yield running
    running.stop()


async def test_a_seeded_run_closes_every_cross_border_case_and_every_side_agrees(federation):
    state = federation.state
    run = Run(count=CASES, rate=0, seed=2026, run_tag=1, settle_seconds=150, policy=POLICY,
              mix=Mix(defect=0.2))
    ledger = await simulate(state, jurisdictions.names(), run, render)
    summary = ledger.summary()
    crossing = ledger.cross_border()
    submitted = CASES - summary["expected_rejections"]
    assert ledger.unexpected_rejections == [] and ledger.missed_rejections == [] and ledger.refused_steps == []
    assert summary["expected_rejections"] > 0 and summary["flagged"] > 0, summary  # the seed gives both defects
    assert len(crossing) == submitted
    assert [r.case_id for r in crossing if not (r.delivered and r.closed)] == [], summary
    assert all(r.handled != r.returned for r in crossing)
    assert summary["returned"] > 0, summary
    counts, problems = await await_agreement(state, ledger, within=30)
    assert problems == []
    closed = Counter({"STATUS_CLOSED": submitted})
    assert counts["origin"] == counts["destination"] == counts["gateway"] == closed, counts
    print(summary, file=sys.stderr)


async def test_the_same_seed_sends_the_same_cases(federation):
    from harness.sim.generate import Generator
    from datetime import datetime, timezone

    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    first = [render("hebei", g.case) for g in Generator(seed=7, run_tag=3).cases("hebei", 5, now=now)]
    again = [render("hebei", g.case) for g in Generator(seed=7, run_tag=3).cases("hebei", 5, now=now)]
    assert first == again
