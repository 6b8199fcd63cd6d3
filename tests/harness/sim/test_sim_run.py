"""A seeded simulation of a fixed number of cases against a real `jjj up`: every cross-border case
delivered, handled (or returned with a coded reason, sometimes disputed and decided by coordination) and
closed, some petitions' clocks extended, and the origin, the destination and the gateway agree."""

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
                                return_probability=0.3, hotline_straight_to_handling=0.5, extension_probability=0.5,
                                return_reasons=(("RETURN_REASON_NOT_OURS", "不属于本单位职责"),
                                                ("RETURN_REASON_WRONG_PLACE", "地址有误"))),
                OriginPolicy(follow_up_delay=FAST, evaluate_probability=0.6, close_delay=FAST, dispute_probability=0.6,
                             coordination_delay=FAST, return_upheld_probability=0.5))
CASES = 30


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    running = LocalFederation.start(tmp_path_factory.mktemp("sim") / "var")
    yield running
    running.stop()


async def test_a_seeded_run_closes_every_cross_border_case_and_every_side_agrees(federation):
    state = federation.state
    run = Run(count=CASES, rate=0, seed=2026, run_tag=1, settle_seconds=150, policy=POLICY,
              mix=Mix(defect=0.2, petition=0.5))
    ledger = await simulate(state, jurisdictions.names(), run, render)
    summary = ledger.summary()
    crossing = ledger.cross_border()
    submitted = CASES - summary["expected_rejections"]
    assert ledger.unexpected_rejections == [] and ledger.missed_rejections == [] and ledger.refused_steps == []
    assert summary["expected_rejections"] > 0 and summary["flagged"] > 0, summary  # the seed gives both defects
    assert len(crossing) == submitted
    assert [r.case_id for r in crossing if not (r.delivered and r.closed)] == [], summary
    # handled unless returned, and a return handled only when the coordination overruled it
    assert all(r.handled == (not r.returned or r.overruled) for r in crossing), summary
    assert summary["returned"] > 0 and summary["disputed"] > 0 and summary["extended"] > 0, summary
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


FAST_POLICY_YAML = """\
receiving:
  sign_delay: {min: 0, max: 0.05}
  decide_delay: {min: 0, max: 0.05}
  handle_delay: {min: 0, max: 0.05}
  reply_delay: {min: 0, max: 0.05}
origin:
  follow_up_delay: {min: 0, max: 0.05}
  close_delay: {min: 0, max: 0.05}
"""


def test_jjj_sim_except_one_member_leaves_that_members_cases_to_it(federation, tmp_path):
    import json
    import subprocess

    from harness.federation import jjj_command

    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY_YAML, encoding="utf-8")
    done = subprocess.run([*jjj_command(), "sim", "--count", "12", "--rate", "0", "--seed", "5", "--run-tag", "2",
                           "--except", "tianjin", "--policy", str(policy), "--settle", "60",
                           "--state", str(federation.state_file)],
                          env=federation.env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SIMULATED: simulated member systems beijing, hebei" in done.stderr
    summary = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("SIMULATED: {"))
                         .removeprefix("SIMULATED: "))
    counts = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("SIMULATED: counts"))
                        .removeprefix("SIMULATED: counts "))
    assert summary["submitted"] == 12 - summary["expected_rejections"]
    # cases to Tianjin wait for Tianjin's own system; every other one was closed
    to_tianjin = summary["cross_border"] - summary["closed"]
    assert to_tianjin > 0 and summary["closed"] > 0
    assert counts["origin"] == counts["destination"] == counts["gateway"]
    assert counts["gateway"].get("STATUS_CLOSED") == summary["closed"]
    assert counts["gateway"].get("STATUS_REFERRED") == to_tianjin


def test_only_and_except_choose_the_simulated_members():
    from harness.sim.run import chosen_members
    from kernel.jurisdictions import UnknownJurisdiction

    assert chosen_members() == ["beijing", "tianjin", "hebei"]
    assert chosen_members(only=["hebei"]) == ["hebei"]
    assert chosen_members(excluded=["tianjin"]) == ["beijing", "hebei"]
    with pytest.raises(UnknownJurisdiction):
        chosen_members(only=["shanghai"])
    with pytest.raises(ValueError):
        chosen_members(only=["hebei"], excluded=["hebei"])
