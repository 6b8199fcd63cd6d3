"""Hebei's published schema and code lists, loaded once from schemas/hebei/.

columns.yaml gives the header, the required columns and the 件号 pattern;
codes.yaml the closed code lists. The parser, to_common, from_common and renderer all read them
from here, so the published schema and the code cannot drift apart.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kernel.codec import MappingError
from kernel.normalize.taxonomy import HEBEI_SCHEME
from kernel.tables import CodeTable, load_yaml
from jjj.case.v1 import case_pb2

COLUMNS_FILE = "hebei/columns.yaml"
CODES_FILE = "hebei/codes.yaml"
SOURCE_SCHEMA = "hebei-csv"
CATEGORY_SCHEME = HEBEI_SCHEME
EXTENSION_PREFIX = "hebei."


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    required: bool | str  # True, False or "petition"
    type: str
    table: str = ""


def _columns() -> tuple[Column, ...]:
    spec = load_yaml(COLUMNS_FILE)["columns"]
    return tuple(
        Column(name=c["name"], required=c["required"], type=c["type"], table=c.get("table", "")) for c in spec
    )


_SPEC = load_yaml(COLUMNS_FILE)
COLUMNS: tuple[Column, ...] = _columns()
HEADER: tuple[str, ...] = tuple(column.name for column in COLUMNS)
SCHEMA_VERSION: str = str(_SPEC["version"])
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required is True)
PETITION_REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required == "petition")
PETITION_COLUMN: str = _SPEC["petition_when"]["column"]
PETITION_VALUE: str = _SPEC["petition_when"]["equals"]
NATIVE_ID_FORMAT: str = next(c for c in _SPEC["columns"] if c["type"] == "id")["format"]
NATIVE_ID_PATTERN = re.compile(next(c for c in _SPEC["columns"] if c["type"] == "id")["pattern"])


def _table(key: str, enum) -> CodeTable:
    return CodeTable.from_schema(CODES_FILE, key, enum, key)


KIND = _table("类别", case_pb2.CaseKind)
CHANNEL = _table("来源渠道", case_pb2.Channel)
REQUEST_TYPE = _table("诉求类型", case_pb2.RequestType)
ID_TYPE = _table("证件类型", case_pb2.IdType)
URGENCY = _table("紧急程度", case_pb2.Urgency)
STATUS = _table("办理状态", case_pb2.Status)
SATISFACTION = _table("回访满意度", case_pb2.Satisfaction)
PETITION_FORM = _table("信访形式", case_pb2.PetitionForm)
PETITION_PURPOSE = _table("信访目的", case_pb2.PetitionPurpose)


class BoolTable:
    """是 / 否 <-> bool. Not a CodeTable: the values are booleans, not enum values."""

    def __init__(self, mapping: Mapping[str, bool]) -> None:
        self._to_bool = dict(mapping)
        self._to_native = {value: native for native, value in mapping.items()}

    def to_bool(self, native: str, field: str) -> bool:
        value = self._to_bool.get(native)
        if value is None:
            raise MappingError(field, f"{native!r} is not 是 or 否")
        return value

    def to_native(self, value: bool) -> str:
        return self._to_native[bool(value)]

    def natives(self) -> list[str]:
        return list(self._to_bool)


YES_NO = BoolTable(load_yaml(CODES_FILE)["是否"]["codes"])


def check_header(names: list[str]) -> None:
    """Raise MappingError("header", ...) unless `names` is exactly the published header."""
    if tuple(names) == HEADER:
        return
    if len(names) != len(HEADER):
        detail = f"{len(names)} columns instead of {len(HEADER)}"
    else:
        wrong = next(i for i, (got, want) in enumerate(zip(names, HEADER)) if got != want)
        detail = f"column {wrong + 1} is {names[wrong]!r}, expected {HEADER[wrong]!r}"
    shown = ",".join(names)[:200]
    raise MappingError(
        "header", f"header must be exactly the {len(HEADER)} columns of the spec in order ({detail}); got {shown!r}"
    )


def is_petition_row(row: Mapping[str, str]) -> bool:
    return row.get(PETITION_COLUMN, "").strip() == PETITION_VALUE


_required_cells = operator.itemgetter(*REQUIRED)
_petition_cells = operator.itemgetter(*PETITION_REQUIRED)


def check_required(row: Mapping[str, str]) -> None:
    """Raise MappingError(column, ...) for the first required cell that is empty or blank."""
    if not all(map(str.strip, _required_cells(row))):  # the common case in one C-level pass
        for name in REQUIRED:
            if not row[name].strip():
                raise MappingError(name, "required column is empty")
    if is_petition_row(row) and not all(map(str.strip, _petition_cells(row))):
        for name in PETITION_REQUIRED:
            if not row[name].strip():
                raise MappingError(name, f"required for a petition ({PETITION_COLUMN} = {PETITION_VALUE}) but empty")


def _list_separators() -> dict[str, tuple[str, str]]:
    return {
        c["name"]: (c["separator"], c["parts_separator"]) for c in _SPEC["columns"] if c["type"] == "list"
    }


# column -> (entry separator "；", part separator ":" or "|")
LIST_SEPARATORS: dict[str, tuple[str, str]] = _list_separators()
