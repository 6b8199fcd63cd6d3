"""What a simulated member system does next with a case: a pure decision from its status.

The receiving member (the holder) signs, accepts or returns (with a coded reason), now and
then extends a petition's handling clock (延期), handles and replies; the origin follows up
(evaluates) and closes, or closes a case that came back, or now and then disputes the
return (退单异议) and reports the coordination's decision (协调): upheld, it closes the case
itself; overruled, the holder has it again and handles it (it does not return it twice). Delays and
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
    # (ReturnReason name, the reason's text) pairs; a return draws one
    return_reasons: tuple[tuple[str, str], ...] = (("RETURN_REASON_NOT_OURS", "不属于本地管辖"),)
    hotline_straight_to_handling: float = 0.0
    extension_probability: float = 0.0  # a petition's handling clock extended once after acceptance
    extension: tuple[str, int] = ("petition_handle", 30)  # the clock of schemas/deadlines.yaml and by how much


@dataclass(frozen=True)
class OriginPolicy:
    follow_up_delay: Delay = Delay()
    evaluate_probability: float = 1.0
    close_delay: Delay = Delay()
    dispute_probability: float = 0.0  # a returned case disputed (退单异议) rather than closed
    coordination_delay: Delay = Delay()  # until the coordination's decision is reported
    return_upheld_probability: float = 0.5  # the coordination upholds the return (else overrules it)


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
        elif key == "return_reasons":
            values[key] = _return_reasons(where, value)
        elif key == "extension":
            reject_unknown_keys(f"{where}.{key}", value, {"step", "amount"})
            values[key] = (str(value["step"]), int(value["amount"]))
        else:
            probability = float(value)
            if not 0 <= probability <= 1:
                raise ConfigurationError(f"{where}.{key}: a probability is between 0 and 1, got {value}")
            values[key] = probability
    return kind(**values)


def _return_reasons(where: str, value) -> tuple[tuple[str, str], ...]:
    """`{not_ours: 不属于本地管辖, ...}` (a plain list of texts: RETURN_REASON_OTHER each)."""
    entries = value.items() if isinstance(value, dict) else (("other", text) for text in value)
    reasons = []
    for code, text in entries:
        name = str(code).upper() if str(code).upper().startswith("RETURN_REASON_") else f"RETURN_REASON_{str(code).upper()}"
        if name not in case_pb2.ReturnReason.keys() or name == "RETURN_REASON_UNSPECIFIED":
            known = ", ".join(k.removeprefix("RETURN_REASON_").lower() for k in case_pb2.ReturnReason.keys()[1:])
            raise ConfigurationError(f"{where}.return_reasons: {code!r} is no return reason; one of {known}")
        reasons.append((name, str(text)))
    if not reasons:
        raise ConfigurationError(f"{where}.return_reasons: at least one")
    return tuple(reasons)


@dataclass(frozen=True)
class Past:
    """What this side did on the case already, so a dispute or an extension is not made twice."""

    returned: bool = False  # the holder returned it once (and the coordination gave it back)
    disputed: bool = False  # the origin disputed a return once
    extended: bool = False  # the holder extended its clock once


@dataclass(frozen=True)
class Step:
    """One lifecycle step a simulated member reports, after `delay` seconds."""

    status: case_pb2.Status.ValueType
    delay: float
    note: str = ""
    reason: str = ""
    feedback: case_pb2.Feedback | None = None
    return_reason: int = case_pb2.RETURN_REASON_UNSPECIFIED
    extension: tuple[str, int] | None = None  # an extension event (the status stays)
    coordination: case_pb2.CoordinationDecision | None = None

    def options(self) -> dict:
        """MemberClient.step's keyword arguments for this step's facts."""
        options = {"reason": self.reason, "note": self.note, "feedback": self.feedback}
        if self.return_reason:
            options["return_reason"] = self.return_reason
        if self.extension is not None:
            options["extension"] = self.extension
        if self.coordination is not None:
            options["coordination"] = self.coordination
        return options


def next_step(policy: Policy, rng: random.Random, *, role: str, status: int, kind: int,
              past: Past = Past()) -> Step | None:
    """The step this side takes next on a case now in `status`; None: the other side's turn, or closed."""
    if role == HOLDER:
        return _holder_step(policy.receiving, rng, status, kind, past)
    if role == ORIGIN:
        return _origin_step(policy.origin, rng, status, past)
    raise ValueError(f"role is holder or origin, not {role!r}")


def _holder_step(policy: ReceivingPolicy, rng: random.Random, status: int, kind: int, past: Past) -> Step | None:
    if status in (case_pb2.STATUS_REFERRED, case_pb2.STATUS_DISPATCHED):
        return Step(case_pb2.STATUS_RECEIVED, policy.sign_delay.draw(rng), note="已签收")
    if status == case_pb2.STATUS_RECEIVED:
        delay = policy.decide_delay.draw(rng)
        if rng.random() < policy.return_probability and not past.returned:
            code, text = rng.choice(policy.return_reasons)
            return Step(case_pb2.STATUS_RETURNED, delay, reason=text, return_reason=case_pb2.ReturnReason.Value(code))
        if kind == case_pb2.CASE_KIND_HOTLINE_REQUEST and rng.random() < policy.hotline_straight_to_handling:
            return Step(case_pb2.STATUS_IN_PROGRESS, delay, note="接诉即办，已派承办单位")
        return Step(case_pb2.STATUS_ACCEPTED, delay, note="已受理")
    if status == case_pb2.STATUS_ACCEPTED:
        delay = policy.handle_delay.draw(rng)
        if kind == case_pb2.CASE_KIND_PETITION and not past.extended and rng.random() < policy.extension_probability:
            return Step(case_pb2.STATUS_ACCEPTED, delay, reason="需调取外省材料，申请延期", extension=policy.extension)
        return Step(case_pb2.STATUS_IN_PROGRESS, delay, note="承办单位办理中")
    if status == case_pb2.STATUS_IN_PROGRESS:
        return Step(case_pb2.STATUS_REPLIED, policy.reply_delay.draw(rng), note="已答复诉求人")
    return None


_SATISFACTION = (case_pb2.SATISFACTION_SATISFIED, case_pb2.SATISFACTION_SATISFIED,
                 case_pb2.SATISFACTION_BASICALLY_SATISFIED, case_pb2.SATISFACTION_UNSATISFIED)


def _origin_step(policy: OriginPolicy, rng: random.Random, status: int, past: Past) -> Step | None:
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
    if status == case_pb2.STATUS_RETURNED and not past.disputed and rng.random() < policy.dispute_probability:
        return Step(case_pb2.STATUS_RETURN_DISPUTED, policy.close_delay.draw(rng), reason="事发地在贵方辖区，申请协调")
    if status in (case_pb2.STATUS_RETURNED, case_pb2.STATUS_NOT_ACCEPTED):
        return Step(case_pb2.STATUS_CLOSED, policy.close_delay.draw(rng), note="退回后由本地办结")
    if status == case_pb2.STATUS_RETURN_DISPUTED:
        upheld = rng.random() < policy.return_upheld_probability
        decision = case_pb2.CoordinationDecision(body="京津冀12345联席会议【模拟】", return_upheld=upheld,
                                                 decision="退单成立，由首接方办理" if upheld else "由承办方继续办理")
        return Step(case_pb2.STATUS_RETURNED if upheld else case_pb2.STATUS_RECEIVED, policy.coordination_delay.draw(rng),
                    reason=decision.decision, coordination=decision)
    return None
