"""The three members of the federation, from schemas/jurisdictions.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kernel.errors import UnknownJurisdiction
from kernel.tables import load_yaml
from jjj.adapter.v1 import adapter_pb2
from jjj.case.v1 import case_pb2


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    enum: int
    short: str
    token: str
    admin_prefix: str
    document_format: int

    @property
    def enum_name(self) -> str:
        return case_pb2.Jurisdiction.Name(self.enum)


@functools.cache
def members() -> tuple[Member, ...]:
    return tuple(
        Member(
            name=row["name"],
            enum=case_pb2.Jurisdiction.Value(row["enum"]),
            short=row["short"],
            token=row["token"],
            admin_prefix=row["admin_prefix"],
            document_format=adapter_pb2.DocumentFormat.Value(row["format"]),
        )
        for row in load_yaml("jurisdictions.yaml")["jurisdictions"]
    )


_INDEXES: dict[str, tuple[tuple[Member, ...], dict]] = {}


def _index(attribute: str) -> dict:
    # Built once per membership (a test may swap members()): by_enum and by_name run for every message,
    # and building the dict per call was 2% of the gateway.
    known = members()
    built = _INDEXES.get(attribute)
    if built is None or built[0] is not known:
        built = _INDEXES[attribute] = (known, {getattr(member, attribute): member for member in known})
    return built[1]


def by_name(name: str) -> Member:
    try:
        return _index("name")[name.lower()]
    except KeyError:
        raise UnknownJurisdiction(f"unknown jurisdiction {name!r}; one of {', '.join(names())}") from None


def by_enum(value: int) -> Member:
    try:
        return _index("enum")[value]
    except KeyError:
        known = case_pb2.Jurisdiction.Name(value) if value in case_pb2.Jurisdiction.values() else f"jurisdiction {value}"
        raise UnknownJurisdiction(f"not a member jurisdiction: {known}") from None


def by_token(token: str) -> Member:
    try:
        return _index("token")[token]
    except KeyError:
        raise UnknownJurisdiction(f"unknown subject token {token!r}") from None


def display_name(value: int) -> str:
    """A member's name, or "federation" for what the federation itself sends (sender unspecified)."""
    if value == case_pb2.JURISDICTION_UNSPECIFIED:
        return "federation"
    return by_enum(value).name


def names() -> list[str]:
    return [member.name for member in members()]


def case_id_for(member: Member, native_id: str) -> str:
    return f"jjj:{member.short}:{native_id}"


def origin_of_case_id(case_id: str) -> Member:
    """The jurisdiction that registered a case, read from its case_id."""
    parts = case_id.split(":", 2)
    if len(parts) != 3 or parts[0] != "jjj":
        raise UnknownJurisdiction(f"not a federation case_id: {case_id!r}")
    for member in members():
        if member.short == parts[1]:
            return member
    raise UnknownJurisdiction(f"case_id {case_id!r} names no member jurisdiction")


def competent_for(admin_code: str) -> Member | None:
    """属地管理: the member whose territory holds the GB/T 2260 code, if any."""
    for member in members():
        if admin_code.startswith(member.admin_prefix):
            return member
    return None
