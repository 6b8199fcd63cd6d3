"""Urging (催办) and supervision (督办) added by a supervising body (the federation). Pure.

Which kinds exist, the default body, whether a reason is needed and which cases
cannot be urged any more are schemas/supervision.yaml's; `check` applies them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import InvalidRequest, StepRefused
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from jjj.case.v1 import case_pb2


@dataclass(frozen=True)
class SupervisionRules:
    events: dict[str, int]  # the operator's word -> case_pb2.EventType
    default_body: str
    reason_required: bool
    not_in: frozenset[int]

    @classmethod
    def load(cls, path: Path | None = None) -> "SupervisionRules":
        return _default() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "SupervisionRules":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"events", "default_body", "reason_required", "not_in"})
        return cls({word: case_pb2.EventType.Value(name) for word, name in data["events"].items()},
                   str(data["default_body"]), bool(data["reason_required"]),
                   frozenset(case_pb2.Status.Value(name) for name in data["not_in"]))

    def event_type(self, kind: str) -> int:
        try:
            return self.events[kind]
        except KeyError:
            raise InvalidRequest(f"a supervising body adds {' or '.join(sorted(self.events))}, not {kind!r}",
                                 violations=[("kind", "unknown")]) from None

    def check(self, event_type: int, status: int, reason: str) -> None:
        """Raise unless a supervising body may add this event to a case in `status` now."""
        if event_type not in self.events.values():
            raise InvalidRequest(f"{case_pb2.EventType.Name(event_type)} is not urging or supervision",
                                 violations=[("kind", "not urging or supervision")])
        if self.reason_required and not reason.strip():
            raise InvalidRequest("urging and supervision give a reason: the holder is told why",
                                 violations=[("reason", "empty")])
        if status in self.not_in:
            raise StepRefused(f"a case in {case_pb2.Status.Name(status)} is not urged: nothing is left to do")


@functools.cache
def _default() -> SupervisionRules:
    return SupervisionRules._from_file(SCHEMAS_DIR / "supervision.yaml")
