"""The simulated members' behaviour: steps the lifecycle allows, to the right side, seeded."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from harness.sim.policy import HOLDER, ORIGIN, Delay, OriginPolicy, Policy, ReceivingPolicy, next_step
from kernel.domain.lifecycle import Lifecycle
from kernel.errors import ConfigurationError
from jjj.case.v1 import case_pb2

LIFECYCLE = Lifecycle.load()
KINDS = (case_pb2.CASE_KIND_HOTLINE_REQUEST, case_pb2.CASE_KIND_PETITION)
STATUSES = [v for v in case_pb2.Status.values() if v != case_pb2.STATUS_UNSPECIFIED]


def play(policy: Policy, seed: int, kind: int) -> list[tuple[str, int]]:
    """A referred case, each side taking its turn until nobody has one: the steps in order."""
    rng = random.Random(seed)
    status, steps = case_pb2.STATUS_REFERRED, []
    while True:
        for role in (HOLDER, ORIGIN):
            step = next_step(policy, rng, role=role, status=status, kind=kind)
            if step is not None:
                break
        else:
            return steps
        LIFECYCLE.check(status, step.status, kind=kind, actor_is_origin=role == ORIGIN, reason=step.reason)
        steps.append((role, step.status))
        status = step.status


@given(seed=st.integers(0, 2**32), kind=st.sampled_from(KINDS),
       returns=st.floats(0, 1), straight=st.floats(0, 1), evaluate=st.floats(0, 1))
def test_every_case_ends_closed_through_allowed_steps(seed, kind, returns, straight, evaluate):
    policy = Policy(ReceivingPolicy(return_probability=returns, hotline_straight_to_handling=straight),
                    OriginPolicy(evaluate_probability=evaluate))
    steps = play(policy, seed, kind)
    assert steps[0] == (HOLDER, case_pb2.STATUS_RECEIVED)
    assert steps[-1] == (ORIGIN, case_pb2.STATUS_CLOSED)
    handled = (HOLDER, case_pb2.STATUS_REPLIED) in steps
    returned = (HOLDER, case_pb2.STATUS_RETURNED) in steps
    assert handled != returned


@given(seed=st.integers(0, 2**32), kind=st.sampled_from(KINDS), status=st.sampled_from(STATUSES),
       role=st.sampled_from((HOLDER, ORIGIN)))
def test_a_decided_step_is_one_the_lifecycle_allows_that_side(seed, kind, status, role):
    policy = Policy(ReceivingPolicy(return_probability=0.5, hotline_straight_to_handling=0.5))
    step = next_step(policy, random.Random(seed), role=role, status=status, kind=kind)
    if step is not None:
        LIFECYCLE.check(status, step.status, kind=kind, actor_is_origin=role == ORIGIN, reason=step.reason)


def test_nothing_to_do_on_a_closed_case_or_on_the_other_sides_turn():
    rng = random.Random(0)
    policy = Policy()
    kind = case_pb2.CASE_KIND_PETITION
    assert next_step(policy, rng, role=HOLDER, status=case_pb2.STATUS_CLOSED, kind=kind) is None
    assert next_step(policy, rng, role=ORIGIN, status=case_pb2.STATUS_CLOSED, kind=kind) is None
    assert next_step(policy, rng, role=ORIGIN, status=case_pb2.STATUS_REFERRED, kind=kind) is None
    assert next_step(policy, rng, role=HOLDER, status=case_pb2.STATUS_REPLIED, kind=kind) is None


def test_the_same_seed_plays_the_same_and_returns_follow_the_probability():
    policy = Policy(ReceivingPolicy(return_probability=0.3))
    kind = case_pb2.CASE_KIND_HOTLINE_REQUEST
    assert [play(policy, seed, kind) for seed in range(50)] == [play(policy, seed, kind) for seed in range(50)]
    returned = sum((HOLDER, case_pb2.STATUS_RETURNED) in play(policy, seed, kind) for seed in range(1000))
    assert 220 < returned < 380
    never = Policy(ReceivingPolicy(return_probability=0.0))
    assert not any((HOLDER, case_pb2.STATUS_RETURNED) in play(never, seed, kind) for seed in range(200))


def test_delays_are_drawn_within_the_policy():
    policy = Policy(ReceivingPolicy(sign_delay=Delay(1.5, 2.5)))
    rng = random.Random(4)
    delays = [next_step(policy, rng, role=HOLDER, status=case_pb2.STATUS_REFERRED, kind=KINDS[0]).delay
              for _ in range(100)]
    assert all(1.5 <= d <= 2.5 for d in delays) and len(set(delays)) > 50


def test_the_shipped_policy_loads_and_a_wrong_one_is_refused(tmp_path: Path):
    shipped = Policy.load()
    assert 0 < shipped.receiving.return_probability < 1
    assert shipped.receiving.sign_delay.high >= shipped.receiving.sign_delay.low
    bad = tmp_path / "policy.yaml"
    bad.write_text("receiving:\n  return_probability: 1.5\n")
    with pytest.raises(ConfigurationError, match="return_probability"):
        Policy.load(bad)
    bad.write_text("receiving:\n  sign_delay: {min: 3, max: 1}\n")
    with pytest.raises(ConfigurationError, match="sign_delay"):
        Policy.load(bad)
    bad.write_text("receiving:\n  sign_dalay: {min: 1}\n")
    with pytest.raises(ConfigurationError, match="sign_dalay"):
        Policy.load(bad)
