"""The simulated members' behaviour: steps the lifecycle allows, to the right side, seeded."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from harness.sim.policy import HOLDER, ORIGIN, Delay, OriginPolicy, Past, Policy, ReceivingPolicy, next_step
from kernel.domain.lifecycle import Lifecycle, StepFacts
from kernel.errors import ConfigurationError
from jjj.case.v1 import case_pb2

LIFECYCLE = Lifecycle.load()
KINDS = (case_pb2.CASE_KIND_HOTLINE_REQUEST, case_pb2.CASE_KIND_PETITION)
STATUSES = [v for v in case_pb2.Status.values() if v != case_pb2.STATUS_UNSPECIFIED]


def check(status: int, step, *, kind: int, role: str) -> None:
    """The lifecycle's judgement of a decided step, with the facts it carries."""
    facts = StepFacts(return_reason=step.return_reason,
                      coordinated=step.coordination is not None and bool(step.coordination.body))
    if step.extension is not None:
        assert step.status == status and step.reason  # an extension is an event on the current status
        return
    LIFECYCLE.check(status, step.status, kind=kind, actor_is_origin=role == ORIGIN, reason=step.reason, facts=facts)


def play(policy: Policy, seed: int, kind: int) -> list[tuple[str, int]]:
    """A referred case, each side taking its turn until nobody has one: the steps in order
    (an extension as (holder, -1))."""
    rng = random.Random(seed)
    status, steps = case_pb2.STATUS_REFERRED, []
    past = {HOLDER: Past(), ORIGIN: Past()}
    while True:
        for role in (HOLDER, ORIGIN):
            step = next_step(policy, rng, role=role, status=status, kind=kind, past=past[role])
            if step is not None:
                break
        else:
            return steps
        check(status, step, kind=kind, role=role)
        steps.append((role, -1 if step.extension else step.status))
        was = past[role]
        past[role] = Past(returned=was.returned or (role == HOLDER and step.status == case_pb2.STATUS_RETURNED),
                          disputed=was.disputed or step.status == case_pb2.STATUS_RETURN_DISPUTED,
                          extended=was.extended or step.extension is not None)
        status = step.status
        assert len(steps) < 30, steps


@given(seed=st.integers(0, 2**32), kind=st.sampled_from(KINDS),
       returns=st.floats(0, 1), straight=st.floats(0, 1), evaluate=st.floats(0, 1), disputes=st.floats(0, 1),
       upheld=st.floats(0, 1), extends=st.floats(0, 1))
def test_every_case_ends_closed_through_allowed_steps(seed, kind, returns, straight, evaluate, disputes, upheld, extends):
    policy = Policy(ReceivingPolicy(return_probability=returns, hotline_straight_to_handling=straight,
                                    extension_probability=extends),
                    OriginPolicy(evaluate_probability=evaluate, dispute_probability=disputes,
                                 return_upheld_probability=upheld))
    steps = play(policy, seed, kind)
    assert steps[0] == (HOLDER, case_pb2.STATUS_RECEIVED)
    assert steps[-1] == (ORIGIN, case_pb2.STATUS_CLOSED)
    handled = (HOLDER, case_pb2.STATUS_REPLIED) in steps
    returned = (HOLDER, case_pb2.STATUS_RETURNED) in steps
    overruled = (ORIGIN, case_pb2.STATUS_RECEIVED) in steps  # the coordination gave it back
    assert handled == (not returned or overruled)
    assert steps.count((HOLDER, case_pb2.STATUS_RETURNED)) <= 1 and steps.count((HOLDER, -1)) <= 1
    assert steps.count((ORIGIN, case_pb2.STATUS_RETURN_DISPUTED)) <= 1


@given(seed=st.integers(0, 2**32), kind=st.sampled_from(KINDS), status=st.sampled_from(STATUSES),
       role=st.sampled_from((HOLDER, ORIGIN)))
def test_a_decided_step_is_one_the_lifecycle_allows_that_side(seed, kind, status, role):
    policy = Policy(ReceivingPolicy(return_probability=0.5, hotline_straight_to_handling=0.5, extension_probability=0.5),
                    OriginPolicy(dispute_probability=0.5))
    step = next_step(policy, random.Random(seed), role=role, status=status, kind=kind)
    if step is not None:
        check(status, step, kind=kind, role=role)


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


def test_returns_are_coded_and_disputes_and_extensions_follow_their_probabilities():
    policy = Policy(ReceivingPolicy(return_probability=0.5, extension_probability=0.5,
                                    return_reasons=(("RETURN_REASON_WRONG_PLACE", "地址有误"),)),
                    OriginPolicy(dispute_probability=0.5, return_upheld_probability=0.5))
    petitions = [play(policy, seed, case_pb2.CASE_KIND_PETITION) for seed in range(1000)]
    returned = [steps for steps in petitions if (HOLDER, case_pb2.STATUS_RETURNED) in steps]
    disputed = [steps for steps in returned if (ORIGIN, case_pb2.STATUS_RETURN_DISPUTED) in steps]
    overruled = [steps for steps in disputed if (ORIGIN, case_pb2.STATUS_RECEIVED) in steps]
    assert 400 < len(returned) < 600 and 0.4 < len(disputed) / len(returned) < 0.6
    assert 0.35 < len(overruled) / len(disputed) < 0.65
    extended = sum((HOLDER, -1) in steps for steps in petitions)
    assert 200 < extended < 450  # accepted (not returned, or overruled) petitions, half of them
    step = next_step(policy, random.Random(1), role=HOLDER, status=case_pb2.STATUS_RECEIVED,
                     kind=case_pb2.CASE_KIND_PETITION, past=Past())
    while step.status != case_pb2.STATUS_RETURNED:
        step = next_step(policy, random.Random(), role=HOLDER, status=case_pb2.STATUS_RECEIVED,
                         kind=case_pb2.CASE_KIND_PETITION)
    assert (step.return_reason, step.reason) == (case_pb2.RETURN_REASON_WRONG_PLACE, "地址有误")
    hotlines = [play(policy, seed, case_pb2.CASE_KIND_HOTLINE_REQUEST) for seed in range(200)]
    assert not any((HOLDER, -1) in steps for steps in hotlines)  # petition_handle is a petition's clock


def test_the_shipped_policy_uses_every_feature_and_reasons_are_codes(tmp_path: Path):
    shipped = Policy.load()
    assert shipped.origin.dispute_probability > 0 and shipped.receiving.extension_probability > 0
    assert all(case_pb2.ReturnReason.Value(code) for code, _ in shipped.receiving.return_reasons)
    bad = tmp_path / "policy.yaml"
    bad.write_text("receiving:\n  return_reasons: {not_mine: 不归我管}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="'not_mine' is no return reason; one of not_ours"):
        Policy.load(bad)
