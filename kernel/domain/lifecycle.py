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
class Transition:
    source: Status
    target: Status
    by: str
    kinds: frozenset[CaseKind] | None  # None: every kind
    reason_required: bool

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
    ) -> None:
        self._edges: dict[tuple[Status, Status], list[Transition]] = {}
        for edge in transitions:
            self._edges.setdefault((edge.source, edge.target), []).append(edge)
        self.reason_required_for = frozenset(reason_required_for)
        self.terminal = frozenset(terminal)

    @classmethod
    def load(cls, path: Path | None = None) -> "Lifecycle":
        if path is None:
            return _default_lifecycle()
        return cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "Lifecycle":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"reason_required_for", "terminal", "transitions"})
        edges = []
        for number, entry in enumerate(data["transitions"]):
            where = f"{path}: transitions[{number}]"
            reject_unknown_keys(where, entry, {"from", "to", "by", "kinds", "reason_required"})
            if entry["by"] not in (HOLDER, ORIGIN, EITHER):
                raise ConfigurationError(f"{where}: by must be holder, origin or either, not {entry['by']!r}")
            kinds = entry.get("kinds")
            for target in entry["to"]:
                edges.append(
                    Transition(
                        source=case_pb2.Status.Value(entry["from"]),
                        target=case_pb2.Status.Value(target),
                        by=entry["by"],
                        kinds=None if kinds is None else frozenset(case_pb2.CaseKind.Value(k) for k in kinds),
                        reason_required=bool(entry.get("reason_required", False)),
                    )
                )
        return cls(
            edges,
            reason_required_for=[case_pb2.Status.Value(s) for s in data.get("reason_required_for", [])],
            terminal=[case_pb2.Status.Value(s) for s in data.get("terminal", [])],
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
    ) -> None:
        """Raise TransitionError unless `new` may follow `current` when reported by this side.

        actor_is_holder defaults to `not actor_is_origin`; pass both True when the
        origin holds the case itself.
        """
        is_holder = (not actor_is_origin) if actor_is_holder is None else actor_is_holder
        actor = "origin" if actor_is_origin else "holder" if is_holder else "a third party"
        if new == current and current not in self.terminal and current != case_pb2.STATUS_UNSPECIFIED:
            if actor_is_origin or is_holder:
                return
            raise TransitionError(f"{_name(current)}: only the origin or the holder may add to the case, not {actor}")
        candidates = [edge for edge in self._edges.get((current, new), []) if edge.allows_kind(kind)]
        if not candidates:
            raise TransitionError(
                f"cannot go from {_name(current)} to {_name(new)} for a {case_pb2.CaseKind.Name(kind)}; "
                f"allowed next from {_name(current)}: {self._describe_next(current, kind)}"
            )
        permitted = [e for e in candidates if e.allows_actor(is_origin=actor_is_origin, is_holder=is_holder)]
        if not permitted:
            who = " or ".join(sorted({e.by for e in candidates}))
            raise TransitionError(
                f"{_name(current)} -> {_name(new)} must be reported by the {who}, not by {actor}; "
                f"allowed next from {_name(current)}: {self._describe_next(current, kind)}"
            )
        needs_reason = new in self.reason_required_for or any(e.reason_required for e in permitted)
        if needs_reason and not reason.strip():
            raise TransitionError(f"{_name(current)} -> {_name(new)} needs a reason")

    def _describe_next(self, current: Status, kind: CaseKind) -> str:
        steps = self.allowed_next(current, kind=kind)
        return ", ".join(f"{_name(status)} (by {by})" for status, by in steps) or "none (terminal)"


@functools.cache
def _default_lifecycle() -> Lifecycle:
    return Lifecycle._from_file(SCHEMAS_DIR / "lifecycle.yaml")
