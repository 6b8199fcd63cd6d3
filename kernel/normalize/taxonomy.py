"""The common category taxonomy and the three native schemes' crosswalks to it.

Data, not code: schemas/taxonomy/common.csv (code,name,parent),
schemas/taxonomy/crosswalk_<jurisdiction>.csv (source_code,source_name,common_code)
and schemas/taxonomy/schemes.yaml (scheme -> crosswalk file and native "other" code);
schemas/taxonomy/README.md explains the design.

Category lists are open and change often, so an unknown native code is not an error:
it maps to OTHER_CODE with known=False and the caller flags `category:unknown_code`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kernel.errors import ConfigurationError
from kernel.normalize.text import clean_code
from kernel.tables import load_csv, load_yaml

TAXONOMY_DIR = "taxonomy"
OTHER_CODE = "OTHER"

BEIJING_SCHEME = "beijing-3level"
TIANJIN_SCHEME = "tianjin-4digit"
HEBEI_SCHEME = "hebei-letter5"


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    """The common code for a native code; known=False when the crosswalk lacks it."""

    code: str
    known: bool


@dataclass(frozen=True, slots=True)
class _Scheme:
    to_common: dict[str, str]  # native code -> common code
    names: dict[str, str]  # native code -> native name
    order: tuple[str, ...]  # native codes in file order
    other: str  # native "other" code
    render_min_length: int  # shortest native code source_code_for may return


@functools.cache
def _common() -> dict[str, tuple[str, str]]:
    """common code -> (name, parent or "")."""
    return {row["code"]: (row["name"], row["parent"] or "") for row in load_csv(f"{TAXONOMY_DIR}/common.csv")}


@functools.cache
def _scheme(scheme: str) -> _Scheme:
    specs = load_yaml(f"{TAXONOMY_DIR}/schemes.yaml")["schemes"]
    if scheme not in specs:
        raise ConfigurationError(f"unknown category scheme {scheme!r}; known: {', '.join(sorted(specs))}")
    spec = specs[scheme]
    rows = load_csv(f"{TAXONOMY_DIR}/{spec['crosswalk']}")
    return _Scheme(
        to_common={row["source_code"]: row["common_code"] for row in rows},
        names={row["source_code"]: row["source_name"] for row in rows},
        order=tuple(row["source_code"] for row in rows),
        other=str(spec["other"]),
        render_min_length=int(spec.get("render_min_length", 0)),
    )


def schemes() -> tuple[str, ...]:
    return tuple(load_yaml(f"{TAXONOMY_DIR}/schemes.yaml")["schemes"])


def map_category(scheme: str, source_code: str) -> CategoryMatch:
    """Native category code -> common code. Folds full-width and surrounding spaces first;
    letter codes are also tried upper-cased (Hebei "a0101" is A0101)."""
    table = _scheme(scheme).to_common
    code = clean_code(source_code or "")
    common = table.get(code) or table.get(code.upper())
    if common is None:
        return CategoryMatch(OTHER_CODE, False)
    return CategoryMatch(common, True)


def _shallowest_native(scheme: _Scheme, common_code: str) -> str | None:
    # Native codes are prefix-hierarchical (Beijing 01 > 0101 > 010101), so the shortest
    # code is the one that introduces the subject; ties keep file order (min is stable).
    matches = [
        code
        for code in scheme.order
        if scheme.to_common[code] == common_code and len(code) >= scheme.render_min_length
    ]
    return min(matches, key=len) if matches else None


def source_code_for(scheme: str, common_code: str) -> str | None:
    """Best native code for a common code, for rendering a foreign case.

    Exact match first, then the common parent's, then the scheme's "other" code; the
    common OTHER code always gives the scheme's "other" code. Codes shorter than the
    scheme's render_min_length are skipped (Beijing: never a bare level-1 code).
    Always returns a code for a known scheme (the signature allows None for callers
    written against an optional result).
    """
    native = _scheme(scheme)
    code = "" if common_code == OTHER_CODE else (common_code or "")
    while code:
        found = _shallowest_native(native, code)
        if found is not None:
            return found
        code = common_parent(code) or ""
    return native.other


def other_source_code(scheme: str) -> str:
    """The scheme's own "other" code (Beijing 9901, Tianjin 9999, Hebei Z9999)."""
    return _scheme(scheme).other


def source_name_for(scheme: str, source_code: str) -> str | None:
    """The native name of a native code as the crosswalk lists it (for renderers)."""
    return _scheme(scheme).names.get(source_code)


def common_name(code: str) -> str | None:
    entry = _common().get(code)
    return entry[0] if entry else None


def common_parent(code: str) -> str | None:
    entry = _common().get(code)
    return (entry[1] or None) if entry else None


def is_common_code(code: str) -> bool:
    return code in _common()


def common_codes() -> tuple[str, ...]:
    return tuple(_common())
