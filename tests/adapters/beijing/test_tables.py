"""Beijing's code tables (schemas/beijing/codes.yaml), its JSON Schema, and the spec's lists."""

from __future__ import annotations

import csv
import json
import re

import pytest

from adapters.beijing import schema
from adapters.beijing.tables import CODES_FILE, native_codes, tables
from kernel.codec import MappingError
from kernel.normalize.taxonomy import BEIJING_SCHEME, map_category
from kernel.tables import load_yaml
from jjj.case.v1 import case_pb2
from tests.support.expected import JURISDICTIONS

BEIJING = JURISDICTIONS / "beijing"
ENUM_TABLES = [
    ("ywlx", case_pb2.CaseKind),
    ("qdly", case_pb2.Channel),
    ("sqlx", case_pb2.RequestType),
    ("jjcd", case_pb2.Urgency),
    ("zt", case_pb2.Status),
    ("zjlx", case_pb2.IdType),
    ("xfxs", case_pb2.PetitionForm),
    ("xfmd", case_pb2.PetitionPurpose),
    ("myd", case_pb2.Satisfaction),
    ("zbx", case_pb2.Crs),
]


def _csv_codes(name: str) -> list[str]:
    with (BEIJING / name).open(encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("key", "csv_name"),
    [("qdly", "channels.csv"), ("sqlx", "request_types.csv"), ("zt", "statuses.csv"), ("zjlx", "id_types.csv")],
)
def test_code_lists_are_the_specs_lists(key: str, csv_name: str) -> None:
    codes = [code for code in native_codes(key) if code != ""]  # "" = no id type (anonymous)
    assert sorted(codes) == sorted(_csv_codes(csv_name))


def test_inline_code_lists_are_the_specs_lists() -> None:
    spec = (BEIJING / "SPEC.md").read_text(encoding="utf-8")
    assert set(native_codes("ywlx")) == {"RX", "XF"} and "`RX` hotline" in spec
    assert set(native_codes("jjcd")) == {"1", "2", "3"}
    assert set(native_codes("xfxs")) == {"1", "2", "3", "4"}
    assert set(native_codes("xfmd")) == {"1", "2", "3", "9"}
    assert set(native_codes("myd")) == {"1", "2", "3"}


@pytest.mark.parametrize(("key", "enum"), ENUM_TABLES)
def test_every_common_value_renders_as_a_beijing_code(key: str, enum) -> None:
    table = {
        "ywlx": tables().kind, "qdly": tables().channel, "sqlx": tables().request_type, "jjcd": tables().urgency,
        "zt": tables().status, "zjlx": tables().id_type, "xfxs": tables().petition_form,
        "xfmd": tables().petition_purpose, "myd": tables().satisfaction, "zbx": tables().crs,
    }[key]
    for value in enum.values():
        native = table.to_native(value)
        assert native in native_codes(key), (enum.Name(value), native)


@pytest.mark.parametrize(("key", "enum"), ENUM_TABLES)
def test_parsing_then_rendering_a_native_code_gives_it_back(key: str, enum) -> None:
    spec = load_yaml(CODES_FILE)[key]
    for native, name in spec["codes"].items():
        assert enum.Name(enum.Value(name)) == name
    table = {"qdly": tables().channel, "zt": tables().status, "zjlx": tables().id_type}.get(key)
    if table is not None:
        for native in native_codes(key):
            assert table.to_native(table.to_common(native)) == native


def test_fallbacks_for_values_beijing_lacks() -> None:
    codes = tables()
    assert codes.channel.to_native(case_pb2.CHANNEL_REFERRAL) == "01"
    assert codes.status.to_native(case_pb2.STATUS_RECEIVED) == "20"
    assert codes.status.to_native(case_pb2.STATUS_ACCEPTED) == "30"
    assert codes.status.to_native(case_pb2.STATUS_NOT_ACCEPTED) == "35"
    assert codes.status.to_native(case_pb2.STATUS_RECHECKED) == "40"
    assert codes.id_type.to_native(case_pb2.ID_TYPE_UNSPECIFIED) == ""


def test_unknown_code_is_a_mapping_error_naming_the_field() -> None:
    with pytest.raises(MappingError) as error:
        tables().channel.to_common("99")
    assert error.value.field == "qdly"


def test_every_beijing_category_crosswalks() -> None:
    with (BEIJING / "categories.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            assert map_category(BEIJING_SCHEME, row["code"]).known, row


# --- JSON Schema ---------------------------------------------------------------------------

SPEC_REQUIRED = {"gdbh", "bbh", "ywlx", "qdly", "sqlx", "sqnr", "sqr", "sfdd", "fl", "jjcd", "slsj", "zt"}
SPEC_FIELDS = SPEC_REQUIRED | {"bt", "blsx", "cbdw", "lz", "hf", "fj", "xfxx", "kzzd"}


def test_committed_json_schema_is_generated_from_the_model() -> None:
    committed = json.loads(schema.JSON_SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == schema.json_schema(), "run: .venv/bin/python -m adapters.beijing.schema"


def test_json_schema_is_draft_2020_12_with_the_specs_fields() -> None:
    document = schema.json_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["required"]) == SPEC_REQUIRED
    assert set(document["properties"]) == SPEC_FIELDS
    assert document["additionalProperties"] is True  # unknown fields are kept, not refused
    assert document["properties"]["gdbh"]["pattern"] == r"^BJ[0-9]{16}$"
    assert document["properties"]["qdly"]["enum"] == list(native_codes("qdly"))
    assert re.fullmatch(document["properties"]["slsj"]["pattern"], "2026-11-24 09:30:12")


def test_json_schema_and_types_agree_on_every_object() -> None:
    document = schema.json_schema()
    types = {
        "Requester": schema.Requester, "Place": schema.Place, "Coordinates": schema.Coordinates,
        "Classification": schema.Classification, "HandlingUnit": schema.HandlingUnit, "Step": schema.Step,
        "FollowUp": schema.FollowUp, "Attachment": schema.Attachment, "Petition": schema.Petition,
    }
    assert set(document["$defs"]) == set(types)
    for name, typed in [*types.items(), ("WorkOrder", schema.WorkOrder)]:
        definition = document if name == "WorkOrder" else document["$defs"][name]
        assert set(definition["properties"]) == typed.__required_keys__ | typed.__optional_keys__
        assert set(definition.get("required", [])) == typed.__required_keys__
        assert definition["additionalProperties"] is True
