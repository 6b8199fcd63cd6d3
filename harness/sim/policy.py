"""What a simulated member system does next with a case: a pure decision from its status.

The receiving member (the holder) signs, accepts or returns, handles and replies; the
origin follows up (evaluates) and closes, or closes a case that came back. Delays and
probabilities are data (policy.yaml); the random draws come from the caller's seeded RNG,
so a run can be repeated. Every step decided here is one schemas/lifecycle.yaml allows
to that side (tests/harness/sim/test_policy.py checks it against kernel.domain.lifecycle).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import ConfigurationError
from kernel.tables import read_yaml, reject_unknown_keys
from jjj.case.v1 import case_pb2

POLICY_FILE = Path(__file__).with_name("policy.yaml")
HOLDER, ORIGIN = "holder", "origin"


@dataclass(frozen=True)
class Delay:
    low: float = 0.0
    high: float = 0.0

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class ReceivingPolicy:
    sign_delay: Delay = Delay()
    decide_delay: Delay = Delay()
    handle_delay: Delay = Delay()
    reply_delay: Delay = Delay()
    return_probability: float = 0.0
    return_reasons: tuple[str, ...] = ("不属于本地管辖",)
    hotline_straight_to_handling: float = 0.0


@dataclass(frozen=True)
class OriginPolicy:
    follow_up_delay: Delay = Delay()
    evaluate_probability: float = 1.0
    close_delay: Delay = Delay()


@dataclass(frozen=True)
class Policy:
    receiving: ReceivingPolicy = field(default_factory=ReceivingPolicy)
    origin: OriginPolicy = field(default_factory=OriginPolicy)

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> "Policy":
        data = read_yaml(path) or {}
        reject_unknown_keys(str(path), data, {"receiving", "origin"})
        return cls(receiving=_section(path, "receiving", data.get("receiving") or {}, ReceivingPolicy),
                   origin=_section(path, "origin", data.get("origin") or {}, OriginPolicy))


def _section(path: Path, name: str, entries: dict, kind: type) -> object:
    where = f"{path}: {name}"
    reject_unknown_keys(where, entries, set(kind.__dataclass_fields__))
    values = {}
    for key, value in entries.items():
        if key.endswith("_delay"):
            reject_unknown_keys(f"{where}.{key}", value, {"min", "max"})
            low, high = float(value.get("min", 0.0)), float(value.get("max", value.get("min", 0.0)))
            if not 0 <= low <= high:
                raise ConfigurationError(f"{where}.{key}: need 0 <= min <= max, got {low}, {high}")
            values[key] = Delay(low, high)
        elif key.endswith("_reasons"):
            values[key] = tuple(str(reason) for reason in value)
        else:
            probability = float(value)
            if not 0 <= probability <= 1:
                raise ConfigurationError(f"{where}.{key}: a probability is between 0 and 1, got {value}")
            values[key] = probability
    return kind(**values)


@dataclass(frozen=True)
class Step:
    """One lifecycle step a simulated member reports, after `delay` seconds."""

    status: case_pb2.Status.ValueType
    delay: float
    note: str = ""
    reason: str = ""
    feedback: case_pb2.Feedback | None = None


def next_step(policy: Policy, rng: random.Random, *, role: str, status: int, kind: int) -> Step | None:
    """The step this side takes next on a case now in `status`; None: the other side's turn, or closed."""
    if role == HOLDER:
        return _holder_step(policy.receiving, rng, status, kind)
    if role == ORIGIN:
        return _origin_step(policy.origin, rng, status)
    raise ValueError(f"role is holder or origin, not {role!r}")


def _holder_step(policy: ReceivingPolicy, rng: random.Random, status: int, kind: int) -> Step | None:
    if status in (case_pb2.STATUS_REFERRED, case_pb2.STATUS_DISPATCHED):
        return Step(case_pb2.STATUS_RECEIVED, policy.sign_delay.draw(rng), note="已签收")
    if status == case_pb2.STATUS_RECEIVED:
        delay = policy.decide_delay.draw(rng)
        if rng.random() < policy.return_probability:
            return Step(case_pb2.STATUS_RETURNED, delay, reason=rng.choice(policy.return_reasons))
        if kind == case_pb2.CASE_KIND_HOTLINE_REQUEST and rng.random() < policy.hotline_straight_to_handling:
            return Step(case_pb2.STATUS_IN_PROGRESS, delay, note="接诉即办，已派承办单位")
        return Step(case_pb2.STATUS_ACCEPTED, delay, note="已受理")
    if status == case_pb2.STATUS_ACCEPTED:
        return Step(case_pb2.STATUS_IN_PROGRESS, policy.handle_delay.draw(rng), note="承办单位办理中")
    if status == case_pb2.STATUS_IN_PROGRESS:
        return Step(case_pb2.STATUS_REPLIED, policy.reply_delay.draw(rng), note="已答复诉求人")
    return None


_SATISFACTION = (case_pb2.SATISFACTION_SATISFIED, case_pb2.SATISFACTION_SATISFIED,
                 case_pb2.SATISFACTION_BASICALLY_SATISFIED, case_pb2.SATISFACTION_UNSATISFIED)


def _origin_step(policy: OriginPolicy, rng: random.Random, status: int) -> Step | None:
    if status == case_pb2.STATUS_REPLIED:
        delay = policy.follow_up_delay.draw(rng)
        if rng.random() < policy.evaluate_probability:
            satisfaction = rng.choice(_SATISFACTION)
            feedback = case_pb2.Feedback(contacted=True, resolved=satisfaction != case_pb2.SATISFACTION_UNSATISFIED,
                                         satisfaction=satisfaction)
            return Step(case_pb2.STATUS_EVALUATED, delay, note="已回访", feedback=feedback)
        return Step(case_pb2.STATUS_CLOSED, delay, note="办结")
    if status == case_pb2.STATUS_EVALUATED:
        return Step(case_pb2.STATUS_CLOSED, policy.close_delay.draw(rng), note="回访后办结")
    if status in (case_pb2.STATUS_RETURNED, case_pb2.STATUS_NOT_ACCEPTED):
        return Step(case_pb2.STATUS_CLOSED, policy.close_delay.draw(rng), note="退回后由本地办结")
    return None
