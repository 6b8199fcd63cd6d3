"""The referral lifecycle: which status may follow which, who may report it, in what order.

The graph is data (schemas/lifecycle.yaml); this module only reads and enforces it.
What a step does to a case's state is kernel.domain.casestate's fold.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import ConfigurationError, TransitionError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from jjj.case.v1 import case_pb2

Status = int  # a case_pb2.Status value
CaseKind = int  # a case_pb2.CaseKind value

HOLDER, ORIGIN, EITHER = "holder", "origin", "either"


def _name(status: Status) -> str:
    try:
        return case_pb2.Status.Name(status)
    except ValueError:
        return f"status {status}"


@dataclass(frozen=True)
class StepFacts:
    """What a step says beyond its status, as far as the lifecycle judges it (StatusUpdate fields)."""

    return_reason: int = case_pb2.RETURN_REASON_UNSPECIFIED
    closing: int = case_pb2.CLOSING_UNSPECIFIED
    merged_into: str = ""
    coordinated: bool = False  # carries a coordination decision naming the body that decided
    # (origin name, holder name): whose pair configuration applies (followup_by)
    pair: tuple[str, str] | None = None

    @classmethod
    def of(cls, update, pair: tuple[str, str] | None = None) -> "StepFacts":
        """From a StatusUpdate or a ReportStatusRequest (both have these fields)."""
        return cls(return_reason=update.return_reason, closing=update.closing, merged_into=update.merged_into,
                   coordinated=update.HasField("coordination") and bool(update.coordination.body.strip()), pair=pair)


@dataclass(frozen=True)
class Closing:
    """A closing path (schemas/lifecycle.yaml closings): from which statuses, by which side."""

    code: int
    sources: frozenset[Status]
    by: str
    reason_required: bool = False
    merged_into_required: bool = False


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    by: str
    kinds: frozenset[CaseKind] | None  # None: every kind
    reason_required: bool
    return_reason_required: bool = False
    coordination_required: bool = False

    def allows_kind(self, kind: CaseKind) -> bool:
        return self.kinds is None or kind in self.kinds

    def allows_actor(self, *, is_origin: bool, is_holder: bool) -> bool:
        return self.by == EITHER or (self.by == ORIGIN and is_origin) or (self.by == HOLDER and is_holder)


class Lifecycle:
    def __init__(
        self,
        transitions: Iterable[Transition],
        *,
        reason_required_for: Iterable[Status],
        terminal: Iterable[Status],
        return_reasons: Iterable[int] = (),
        closings: Iterable[Closing] = (),
        max_attempts: int | None = None,
        followup_by: dict[tuple[str, str] | None, str] | None = None,
    ) -> None:
        self._edges: dict[tuple[Status, Status], list[Transition]] = {}
        for edge in transitions:
            self._edges.setdefault((edge.source, edge.target), []).append(edge)
        self.reason_required_for = frozenset(reason_required_for)
        self.terminal = frozenset(terminal)
        self.return_reasons = frozenset(return_reasons)
        self.closings = {closing.code: closing for closing in closings}
        self.max_attempts = max_attempts  # routing attempts per case, the first referral included
        # (origin, holder) -> who reports the follow-up result; None: the default
        self.followup_by = followup_by or {}

    @classmethod
    def load(cls, path: Path | None = None) -> "Lifecycle":
        if path is None:
            return _default_lifecycle()
        return cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "Lifecycle":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"reason_required_for", "terminal", "transitions", "return_reasons",
                                              "closings", "max_attempts", "followup_by", "co_handling"})
        edges = []
        for number, entry in enumerate(data["transitions"]):
            where = f"{path}: transitions[{number}]"
            reject_unknown_keys(where, entry, {"from", "to", "by", "kinds", "reason_required", "return_reason_required",
                                               "coordination_required"})
            _check_by(where, entry["by"])
            kinds = entry.get("kinds")
            for target in entry["to"]:
                edges.append(
                    Transition(
                        source=case_pb2.Status.Value(entry["from"]),
                        target=case_pb2.Status.Value(target),
                        by=entry["by"],
                        kinds=None if kinds is None else frozenset(case_pb2.CaseKind.Value(k) for k in kinds),
                        reason_required=bool(entry.get("reason_required", False)),
                        return_reason_required=bool(entry.get("return_reason_required", False)),
                        coordination_required=bool(entry.get("coordination_required", False)),
                    )
                )
        closings = []
        for name, entry in (data.get("closings") or {}).items():
            where = f"{path}: closings.{name}"
            reject_unknown_keys(where, entry, {"from", "by", "reason_required", "merged_into_required", "label"})
            _check_by(where, entry["by"])
            closings.append(Closing(code=case_pb2.Closing.Value(name),
                                    sources=frozenset(case_pb2.Status.Value(s) for s in entry["from"]), by=entry["by"],
                                    reason_required=bool(entry.get("reason_required", False)),
                                    merged_into_required=bool(entry.get("merged_into_required", False))))
        followup = data.get("followup_by") or {}
        reject_unknown_keys(f"{path}: followup_by", followup, {"default", "pairs"})
        followup_by: dict = {None: followup.get("default", ORIGIN)}
        for pair, by in (followup.get("pairs") or {}).items():
            origin, _, holder = pair.partition("->")
            _check_by(f"{path}: followup_by.pairs.{pair}", by)
            followup_by[(origin.strip(), holder.strip())] = by
        _check_by(f"{path}: followup_by.default", followup_by[None])
        return cls(
            edges,
            reason_required_for=[case_pb2.Status.Value(s) for s in data.get("reason_required_for", [])],
            terminal=[case_pb2.Status.Value(s) for s in data.get("terminal", [])],
            return_reasons=[case_pb2.ReturnReason.Value(code) for code in (data.get("return_reasons") or {})],
            closings=closings,
            max_attempts=data.get("max_attempts"),
            followup_by=followup_by,
        )

    def allowed_next(self, current: Status, *, kind: CaseKind) -> list[tuple[Status, str]]:
        """(status, who may report it) for every step out of `current` for this kind of case."""
        steps = [
            (edge.target, edge.by)
            for (source, _), edges in self._edges.items()
            if source == current
            for edge in edges
            if edge.allows_kind(kind)
        ]
        if current not in self.terminal and current != case_pb2.STATUS_UNSPECIFIED:
            steps.append((current, EITHER))  # urging, supervision, progress notes
        return sorted(set(steps))

    def check(
        self,
        current: Status,
        new: Status,
        *,
        kind: CaseKind,
        actor_is_origin: bool,
        reason: str,
        actor_is_holder: bool | None = None,
        facts: StepFacts | None = None,
    ) -> None:
        """Raise TransitionError unless `new` may follow `current` when reported by this side.

        actor_is_holder defaults to `not actor_is_origin`; pass both True when the
        origin holds the case itself. `facts`: what the step says beyond its status
        (a return's code, a closing path, a coordination decision); none said when absent.
        """
        facts = facts or StepFacts()
        is_holder = (not actor_is_origin) if actor_is_holder is None else actor_is_holder
        actor = "origin" if actor_is_origin else "holder" if is_holder else "a third party"
        if new == current and current not in self.terminal and current != case_pb2.STATUS_UNSPECIFIED:
            if actor_is_origin or is_holder:
                return
            raise TransitionError(f"{_name(current)}: only the origin or the holder may add to the case, not {actor}")
        if new == case_pb2.STATUS_CLOSED and facts.closing not in (case_pb2.CLOSING_UNSPECIFIED, case_pb2.CLOSING_HANDLED):
            self._check_closing(current, facts, actor_is_origin=actor_is_origin, is_holder=is_holder, reason=reason)
            return
        candidates = [edge for edge in self._edges.get((current, new), []) if edge.allows_kind(kind)]
        if not candidates:
            raise TransitionError(
                f"cannot go from {_name(current)} to {_name(new)} for a {case_pb2.CaseKind.Name(kind)}; "
                f"allowed next from {_name(current)}: {self._describe_next(current, kind)}"
            )
        permitted = [e for e in candidates
                     if self._allows(e, facts, is_origin=actor_is_origin, is_holder=is_holder)]
        if not permitted:
            who = " or ".join(sorted({self._by(e, facts) for e in candidates}))
            raise TransitionError(
                f"{_name(current)} -> {_name(new)} must be reported by the {who}, not by {actor}; "
                f"allowed next from {_name(current)}: {self._describe_next(current, kind)}"
            )
        needs_reason = new in self.reason_required_for or any(e.reason_required for e in permitted)
        if needs_reason and not reason.strip():
            raise TransitionError(f"{_name(current)} -> {_name(new)} needs a reason")
        if any(e.return_reason_required for e in permitted) and facts.return_reason not in self.return_reasons:
            codes = ", ".join(sorted(case_pb2.ReturnReason.Name(c) for c in self.return_reasons))
            raise TransitionError(f"{_name(current)} -> {_name(new)} needs a coded return reason: one of {codes}")
        if any(e.coordination_required for e in permitted) and not facts.coordinated:
            raise TransitionError(f"{_name(current)} -> {_name(new)} is a coordination decision (协调):"
                                  " it names the body that decided")

    def followup_reporter(self, pair: tuple[str, str] | None) -> str:
        """Who reports the follow-up result (STATUS_EVALUATED) for this origin -> holder pair."""
        return self.followup_by.get(pair, self.followup_by.get(None, ORIGIN))

    def _by(self, edge: Transition, facts: StepFacts) -> str:
        if edge.target == case_pb2.STATUS_EVALUATED and self.followup_by:
            return self.followup_reporter(facts.pair)
        return edge.by

    def _allows(self, edge: Transition, facts: StepFacts, *, is_origin: bool, is_holder: bool) -> bool:
        by = self._by(edge, facts)
        return by == EITHER or (by == ORIGIN and is_origin) or (by == HOLDER and is_holder)

    def _check_closing(self, current: Status, facts: StepFacts, *, actor_is_origin: bool, is_holder: bool,
                       reason: str) -> None:
        closing = self.closings.get(facts.closing)
        name = case_pb2.Closing.Name(facts.closing)
        if closing is None:
            raise TransitionError(f"{name} is not a closing path of the lifecycle")
        if current not in closing.sources:
            allowed = ", ".join(sorted(_name(s) for s in closing.sources))
            raise TransitionError(f"{name} closes a case from {allowed}, not from {_name(current)}")
        by_ok = closing.by == EITHER or (closing.by == ORIGIN and actor_is_origin) or (closing.by == HOLDER and is_holder)
        if not by_ok:
            raise TransitionError(f"{name} is the {closing.by}'s to report")
        if closing.reason_required and not reason.strip():
            raise TransitionError(f"{name} needs a reason")
        if closing.merged_into_required and not facts.merged_into.strip():
            raise TransitionError(f"{name} names the earlier case it is merged into (merged_into)")

    def _describe_next(self, current: Status, kind: CaseKind) -> str:
        steps = self.allowed_next(current, kind=kind)
        return ", ".join(f"{_name(status)} (by {by})" for status, by in steps) or "none (terminal)"


def _check_by(where: str, by: str) -> None:
    if by not in (HOLDER, ORIGIN, EITHER):
        raise ConfigurationError(f"{where}: by must be holder, origin or either, not {by!r}")


@functools.cache
def _default_lifecycle() -> Lifecycle:
    return Lifecycle._from_file(SCHEMAS_DIR / "lifecycle.yaml")
