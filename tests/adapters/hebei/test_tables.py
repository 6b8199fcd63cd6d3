"""schemas/hebei/ agrees with SPEC.md, and every common enum value has a Hebei rendering."""

from __future__ import annotations

import csv
import re

import pytest

from kernel.normalize.taxonomy import map_category
from adapters.hebei import tables
from adapters.hebei.tables import HEADER, PETITION_REQUIRED, REQUIRED
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS

SPEC = (JURISDICTIONS / "hebei" / "SPEC.md").read_text(encoding="utf-8")


def spec_table() -> list[tuple[list[str], str, str]]:
    """(column names, required, values) per row of the SPEC's column table."""
    rows = []
    outside_backticks = re.compile(r"\|(?=(?:[^`]*`[^`]*`)*[^`]*$)")  # `time|action|by|note` is one cell
    for line in SPEC.splitlines():
        cells = [cell.strip() for cell in outside_backticks.split(line.strip().strip("|"))]
        if len(cells) == 3 and cells[0] not in ("column", "---") and not cells[0].startswith("-"):
            rows.append(([name.strip() for name in cells[0].split(",")], cells[1], cells[2]))
    return rows


def test_the_header_is_the_spec_columns_in_order():
    assert list(HEADER) == [name for names, _, _ in spec_table() for name in names]


def test_required_columns_follow_the_spec():
    required, petition = [], []
    for names, flag, _ in spec_table():
        flags = [part.strip() for part in flag.split(",")]
        flags += [flags[-1]] * (len(names) - len(flags))
        for name, one in zip(names, flags):
            if one == "yes":
                required.append(name)
            elif one == "petitions":
                petition.append(name)
    assert list(REQUIRED) == required
    assert list(PETITION_REQUIRED) == petition


def spec_values(column: str) -> list[str]:
    values = next(v for names, _, v in spec_table() if column in names)
    values = re.sub(r"\([^)]*\)|`", "", values).replace(", or empty", "").replace(" or ", ", ")
    return [part.strip().split(" ")[0] for part in values.split(",") if part.strip()]


@pytest.mark.parametrize(
    "column, table",
    [
        ("类别", tables.KIND),
        ("来源渠道", tables.CHANNEL),
        ("诉求类型", tables.REQUEST_TYPE),
        ("证件类型", tables.ID_TYPE),
        ("紧急程度", tables.URGENCY),
        ("办理状态", tables.STATUS),
        ("回访满意度", tables.SATISFACTION),
        ("信访形式", tables.PETITION_FORM),
        ("信访目的", tables.PETITION_PURPOSE),
    ],
)
def test_code_lists_are_exactly_the_spec_lists(column, table):
    assert sorted(table.natives()) == sorted(spec_values(column))


def test_yes_no_is_是_否():
    assert tables.YES_NO.natives() == ["是", "否"]
    assert tables.YES_NO.to_native(True) == "是" and tables.YES_NO.to_native(False) == "否"


OPTIONAL = {tables.ID_TYPE, tables.SATISFACTION}


@pytest.mark.parametrize(
    "table",
    [
        tables.KIND,
        tables.CHANNEL,
        tables.REQUEST_TYPE,
        tables.ID_TYPE,
        tables.URGENCY,
        tables.STATUS,
        tables.SATISFACTION,
        tables.PETITION_FORM,
        tables.PETITION_PURPOSE,
    ],
    ids=lambda table: table.field,
)
def test_every_common_enum_value_renders_as_a_hebei_code(table):
    allowed = set(table.natives()) | ({""} if table in OPTIONAL else set())
    for value in table.enum.values():
        assert table.to_native(value) in allowed, table.enum.Name(value)


@pytest.mark.parametrize(
    "table, enum_value, native",
    [
        (tables.CHANNEL, case_pb2.CHANNEL_PUBLIC_SUGGESTION, "网站"),
        (tables.CHANNEL, case_pb2.CHANNEL_REFERRAL, "12345热线"),
        (tables.STATUS, case_pb2.STATUS_RECEIVED, "已交办"),
        (tables.STATUS, case_pb2.STATUS_ACCEPTED, "办理中"),
        (tables.STATUS, case_pb2.STATUS_NOT_ACCEPTED, "已办结"),
        (tables.KIND, case_pb2.CASE_KIND_UNSPECIFIED, "热线工单"),
        (tables.ID_TYPE, case_pb2.ID_TYPE_UNSPECIFIED, ""),
    ],
)
def test_documented_render_overrides(table, enum_value, native):
    assert table.to_native(enum_value) == native


def test_every_code_of_categories_csv_is_known_to_the_crosswalk():
    with (JURISDICTIONS / "hebei" / "categories.csv").open(encoding="utf-8", newline="") as handle:
        codes = [line["code"] for line in csv.DictReader(handle)]
    assert codes and all(map_category(tables.CATEGORY_SCHEME, code).known for code in codes)


def test_the_id_pattern_is_published_in_the_schema():
    assert tables.NATIVE_ID_PATTERN.fullmatch("HB1310222026000123")
    assert not tables.NATIVE_ID_PATTERN.fullmatch("HB131022202600012")
