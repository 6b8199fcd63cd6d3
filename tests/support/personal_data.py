"""The citizens' names, ID numbers and phones in the given samples, in every spelling a log could hold."""

from __future__ import annotations

import functools
import re

from adapters.registry import codec_for
from kernel import jurisdictions
from tests.support.expected import SHARED


def _spellings(party) -> set[str]:
    found = set()
    if party.name and len(party.name) >= 2:
        found.add(party.name)
    if party.id_number:
        found |= {party.id_number, party.id_number.lower()}
    if party.phone:
        digits = re.sub(r"\D", "", party.phone)
        national = digits[2:] if party.phone.startswith("+86") else digits
        found |= {party.phone, digits, national}
    return {value for value in found if len(value) >= 2}


@functools.cache
def personal_values() -> frozenset[str]:
    """Every requester's and party's personal datum in the valid samples of all three jurisdictions."""
    values: set[str] = set()
    for member in jurisdictions.members():
        codec = codec_for(member.name)
        for sample in sorted((SHARED / "jurisdictions" / member.name / "samples" / "valid").iterdir()):
            cases, _ = codec.decode_all(sample.read_bytes())
            for case in cases:
                values |= _spellings(case.requester)
    return frozenset(values)


def leaks(text: str) -> list[str]:
    """The personal values that occur in `text`."""
    return sorted(value for value in personal_values() if value in text)
