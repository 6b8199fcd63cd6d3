"""What an operator may see and do, from schemas/console/roles.yaml. Pure."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from kernel import jurisdictions
from kernel.tables import SCHEMAS_DIR


@functools.cache
def _roles() -> dict[str, dict]:
    return yaml.safe_load((SCHEMAS_DIR / "console" / "roles.yaml").read_text(encoding="utf-8"))["roles"]


def role_names() -> list[str]:
    return list(_roles())


def scoped_to_a_jurisdiction(role: str) -> bool:
    return _roles()[role]["scope"] == "own"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: str
    jurisdiction: str = ""  # a member's name, for a jurisdiction operator

    @property
    def _rule(self) -> dict:
        return _roles()[self.role]

    @property
    def sees_all(self) -> bool:
        return self._rule["scope"] == "all"

    @property
    def may_act(self) -> bool:
        return bool(self._rule["act"])

    @property
    def sees_personal_data(self) -> bool:
        return bool(self._rule["personal_data"])

    @property
    def own_enum(self) -> int:
        return jurisdictions.by_name(self.jurisdiction).enum if self.jurisdiction else 0

    @property
    def own_token(self) -> str:
        return jurisdictions.by_name(self.jurisdiction).token if self.jurisdiction else ""

    def sees_pair(self, sender: int, destination: int) -> bool:
        return self.sees_all or self.own_enum in (sender, destination)

    def sees_case(self, touching: Iterable[int]) -> bool:
        """`touching`: every jurisdiction the case came from, went to or was seen at (origin, holders, hops)."""
        return self.sees_all or self.own_enum in set(touching)

    def sees_tokens(self, *tokens: str) -> bool:
        return self.sees_all or self.own_token in tokens

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "jurisdiction": self.jurisdiction, "may_act": self.may_act,
                "sees_all": self.sees_all, "personal_data": self.sees_personal_data}
