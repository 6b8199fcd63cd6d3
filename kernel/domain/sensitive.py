"""Cases that travel with more care: accusations (检举控告) and litigation-related petitions (涉法涉诉). Pure.

The rules are schemas/privacy.yaml's: a restricted case's content reaches the
competent jurisdiction only and never goes into a digest; a litigation-related
case does not enter the petition review chain; a repeat link to an earlier case
that was reviewed already says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from kernel.errors import TransitionError
from kernel.tables import SCHEMAS_DIR, read_yaml, reject_unknown_keys
from jjj.case.v1 import case_pb2


@dataclass(frozen=True)
class SensitiveRules:
    restricted_purposes: frozenset[int]
    litigation_restricted: bool
    litigation_excluded_statuses: frozenset[int]
    already_reviewed: frozenset[int]

    @classmethod
    def load(cls, path: Path | None = None) -> "SensitiveRules":
        return _default() if path is None else cls._from_file(path)

    @classmethod
    def _from_file(cls, path: Path) -> "SensitiveRules":
        data = read_yaml(path)
        reject_unknown_keys(str(path), data, {"restricted", "litigation_related", "already_reviewed"})
        restricted = data.get("restricted") or {}
        reject_unknown_keys(f"{path}: restricted", restricted, {"petition_purposes", "litigation_related"})
        litigation = data.get("litigation_related") or {}
        reject_unknown_keys(f"{path}: litigation_related", litigation, {"excluded_statuses"})
        return cls(
            restricted_purposes=frozenset(case_pb2.PetitionPurpose.Value(p) for p in restricted.get("petition_purposes", [])),
            litigation_restricted=bool(restricted.get("litigation_related", False)),
            litigation_excluded_statuses=frozenset(case_pb2.Status.Value(s) for s in litigation.get("excluded_statuses", [])),
            already_reviewed=frozenset(case_pb2.Status.Value(s) for s in data.get("already_reviewed", [])),
        )

    def restricted(self, case: case_pb2.Case) -> bool:
        """Content for the competent jurisdiction only, never in a digest."""
        accusation = case.kind == case_pb2.CASE_KIND_PETITION and case.petition.purpose in self.restricted_purposes
        return accusation or (self.litigation_restricted and case.litigation_related)

    def may_digest(self, case: case_pb2.Case) -> bool:
        return not self.restricted(case)

    def destination_refusal(self, case: case_pb2.Case, destination: int, competent: int | None) -> str | None:
        """Why a restricted case may not go to `destination` (None: it may)."""
        if not self.restricted(case) or destination == competent:
            return None
        where = case_pb2.Jurisdiction.Name(competent) if competent else "no member jurisdiction"
        return (f"{case.case_id} is restricted (accusation or litigation-related): its content goes only to the"
                f" jurisdiction competent for its place ({where}), not to {case_pb2.Jurisdiction.Name(destination)}")

    def check_status(self, case: case_pb2.Case, new: int) -> None:
        """Raise TransitionError for a step a litigation-related case does not take."""
        if case.litigation_related and new in self.litigation_excluded_statuses:
            raise TransitionError(f"{case.case_id} is litigation-related (涉法涉诉): it goes the legal way, not"
                                  f" {case_pb2.Status.Name(new)}")

    def reviewed(self, status: int) -> bool:
        """An earlier case in this status was reviewed already (同一事实和理由不再受理)."""
        return status in self.already_reviewed


@functools.cache
def _default() -> SensitiveRules:
    return SensitiveRules._from_file(SCHEMAS_DIR / "privacy.yaml")
