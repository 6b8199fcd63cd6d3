"""Co-handling (协办): one lead holder, co-handling jurisdictions each reporting its own part. Pure.

A part moves through schemas/lifecycle.yaml co_handling.parts in order (signed,
handling, its part replied); parts are kept per co-handler as the furthest one
seen, so folding them is order-tolerant and idempotent like the case state. The
lead replies for the case; with lead_replies_after_parts it waits for every part.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from kernel.errors import TransitionError
from kernel.tables import SCHEMAS_DIR, read_yaml
from jjj.case.v1 import case_pb2


@dataclass(frozen=True)
class CoHandlingRules:
    parts: tuple[int, ...]  # statuses of a part, in order
    lead_replies_after_parts: bool

    @classmethod
    def load(cls, path: Path | None = None) -> "CoHandlingRules":
        return _default() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "CoHandlingRules":
        entry = read_yaml(path)["co_handling"]
        return cls(tuple(case_pb2.Status.Value(s) for s in entry["parts"]), bool(entry["lead_replies_after_parts"]))

    def rank(self, status: int) -> int:
        try:
            return self.parts.index(status)
        except ValueError:
            names = ", ".join(case_pb2.Status.Name(s) for s in self.parts)
            raise TransitionError(f"a co-handler's part is one of {names}, not {case_pb2.Status.Name(status)}") from None


@dataclass(frozen=True)
class Parts:
    """Each co-handler's furthest part as seen; co-handlers without one yet are at -1."""

    lead: int
    reached: Mapping[int, int]  # co-handler -> status of its furthest part (UNSPECIFIED: none yet)

    @classmethod
    def start(cls, lead: int, co_handlers: Iterable[int]) -> "Parts":
        helpers = set(co_handlers) - {lead}
        return cls(lead, MappingProxyType({j: case_pb2.STATUS_UNSPECIFIED for j in sorted(helpers)}))

    def all_replied(self, rules: CoHandlingRules) -> bool:
        return not self.waiting_for(rules)

    def waiting_for(self, rules: CoHandlingRules) -> tuple[int, ...]:
        """The co-handlers whose part is not replied yet."""
        return tuple(sorted(j for j, status in self.reached.items() if status != rules.parts[-1]))


def check_part(parts: Parts, co_handler: int, status: int, rules: CoHandlingRules | None = None) -> None:
    """Raise TransitionError unless `co_handler` may report this part now (named, and next or later in order)."""
    rules = rules or CoHandlingRules.load()
    if co_handler == parts.lead:
        raise TransitionError("the lead reports lifecycle steps, not a co-handler's part")
    if co_handler not in parts.reached:
        raise TransitionError(f"{case_pb2.Jurisdiction.Name(co_handler)} is not a co-handler of this case")
    reached = parts.reached[co_handler]
    new = rules.rank(status)
    before = -1 if reached == case_pb2.STATUS_UNSPECIFIED else rules.rank(reached)
    if new != before + 1:
        expected = case_pb2.Status.Name(rules.parts[before + 1]) if before + 1 < len(rules.parts) else "nothing (done)"
        raise TransitionError(f"the next part of {case_pb2.Jurisdiction.Name(co_handler)} is {expected},"
                              f" not {case_pb2.Status.Name(status)}")


def fold_part(parts: Parts, co_handler: int, status: int, rules: CoHandlingRules | None = None) -> Parts:
    """The parts after one report; the same object when it says nothing new (a redelivery, an older part)."""
    rules = rules or CoHandlingRules.load()
    if co_handler not in parts.reached:
        return parts
    reached = parts.reached[co_handler]
    if reached != case_pb2.STATUS_UNSPECIFIED and rules.rank(status) <= rules.rank(reached):
        return parts
    return Parts(parts.lead, MappingProxyType({**parts.reached, co_handler: status}))


def check_lead_reply(parts: Parts, reporter: int, rules: CoHandlingRules | None = None) -> None:
    """Raise TransitionError when the lead replies before every co-handler replied its part."""
    rules = rules or CoHandlingRules.load()
    if reporter != parts.lead:
        raise TransitionError("only the lead replies for a co-handled case")
    if rules.lead_replies_after_parts and not parts.all_replied(rules):
        waiting = [case_pb2.Jurisdiction.Name(j) for j in parts.waiting_for(rules)]
        raise TransitionError(f"the lead replies once every part is in; waiting for {', '.join(waiting)}")


@functools.cache
def _default() -> CoHandlingRules:
    return CoHandlingRules._from_file(SCHEMAS_DIR / "lifecycle.yaml")
