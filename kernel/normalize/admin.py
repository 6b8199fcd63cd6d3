"""Administrative divisions (GB/T 2260 six-digit codes) of Beijing, Tianjin and Hebei.

The table is data, schemas/admin_codes.csv (code,name,parent): the three
province-level rows, Hebei's 11 prefecture-level cities, and every county-level
division (district, county, county-level city) of the three. Codes outside it are
not errors: the caller keeps them and flags `location.admin_code:unknown`.
Functional areas without a GB/T 2260 code (development zones, Xiong'an New Area,
whose counties 雄县/容城县/安新县 are still coded under Baoding) are not listed.
"""

from __future__ import annotations

import functools

from kernel.tables import load_csv
from jjj.case.v1 import case_pb2

ADMIN_CODES_FILE = "admin_codes.csv"

# The first two digits of a GB/T 2260 code name the province-level division.
_JURISDICTION_BY_PROVINCE_PREFIX = {
    "11": case_pb2.JURISDICTION_BEIJING,
    "12": case_pb2.JURISDICTION_TIANJIN,
    "13": case_pb2.JURISDICTION_HEBEI,
}


@functools.cache
def _table() -> dict[str, tuple[str, str]]:
    """code -> (name, parent code or "")."""
    return {row["code"]: (row["name"], row["parent"] or "") for row in load_csv(ADMIN_CODES_FILE)}


def is_known_admin_code(code: str) -> bool:
    return (code or "").strip() in _table()


def admin_name(code: str) -> str | None:
    entry = _table().get((code or "").strip())
    return entry[0] if entry else None


def admin_parent(code: str) -> str | None:
    """The enclosing division's code (county -> prefecture or province), None for top level or unknown."""
    entry = _table().get((code or "").strip())
    return (entry[1] or None) if entry else None


def known_admin_codes() -> frozenset[str]:
    return frozenset(_table())


def jurisdiction_of(code: str) -> case_pb2.Jurisdiction.ValueType:
    """Beijing / Tianjin / Hebei by the code's 2-digit province prefix, UNSPECIFIED otherwise.

    Works for codes not in the table too (a new county in Hebei still routes to Hebei),
    and for longer street codes (9+ digits), which start with their county's code.
    """
    value = (code or "").strip()
    if len(value) < 2 or not value.isascii() or not value.isdigit():
        return case_pb2.JURISDICTION_UNSPECIFIED
    return _JURISDICTION_BY_PROVINCE_PREFIX.get(value[:2], case_pb2.JURISDICTION_UNSPECIFIED)
