"""Beijing's code lists and format facts, loaded once from schemas/beijing/ (data, not code)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kernel.tables import CodeTable, load_yaml
from jjj.case.v1 import case_pb2

CODES_FILE = "beijing/codes.yaml"
FORMAT_FILE = "beijing/format.yaml"

# native field path (as rejections name it) -> (codes.yaml key, common enum)
_TABLE_SPECS = {
    "ywlx": ("ywlx", case_pb2.CaseKind),
    "qdly": ("qdly", case_pb2.Channel),
    "sqlx": ("sqlx", case_pb2.RequestType),
    "jjcd": ("jjcd", case_pb2.Urgency),
    "zt": ("zt", case_pb2.Status),
    "sqr.zjlx": ("zjlx", case_pb2.IdType),
    "xfxx.xfxs": ("xfxs", case_pb2.PetitionForm),
    "xfxx.xfmd": ("xfmd", case_pb2.PetitionPurpose),
    "hf.myd": ("myd", case_pb2.Satisfaction),
    "sfdd.zb.zbx": ("zbx", case_pb2.Crs),
}


@dataclass(frozen=True, slots=True)
class BeijingTables:
    kind: CodeTable
    channel: CodeTable
    request_type: CodeTable
    urgency: CodeTable
    status: CodeTable
    id_type: CodeTable
    petition_form: CodeTable
    petition_purpose: CodeTable
    satisfaction: CodeTable
    crs: CodeTable


def _table(field: str) -> CodeTable:
    key, enum = _TABLE_SPECS[field]
    return CodeTable.from_schema(CODES_FILE, key, enum, field)


@functools.cache
def tables() -> BeijingTables:
    return BeijingTables(
        kind=_table("ywlx"),
        channel=_table("qdly"),
        request_type=_table("sqlx"),
        urgency=_table("jjcd"),
        status=_table("zt"),
        id_type=_table("sqr.zjlx"),
        petition_form=_table("xfxx.xfxs"),
        petition_purpose=_table("xfxx.xfmd"),
        satisfaction=_table("hf.myd"),
        crs=_table("sfdd.zb.zbx"),
    )


def native_codes(key: str) -> tuple[str, ...]:
    """The native codes of one codes.yaml table, in file order (for the schema's enums)."""
    return tuple(str(code) for code in load_yaml(CODES_FILE)[key]["codes"])


@dataclass(frozen=True, slots=True)
class FormatFacts:
    versions_without_xfxx: frozenset[str]
    render_version: str
    render_crs: int
    coordinate_decimals: int
    render_gender: str
    urgent_deadline_hours: dict[str, int]
    province_admin_code: dict[int, str]
    foreign_case_id_key: str


@functools.cache
def format_facts() -> FormatFacts:
    spec = load_yaml(FORMAT_FILE)
    return FormatFacts(
        versions_without_xfxx=frozenset(str(v) for v in spec["versions_without_xfxx"]),
        render_version=str(spec["render_version"]),
        render_crs=case_pb2.Crs.Value(f"CRS_{spec['render_crs']}"),
        coordinate_decimals=int(spec["coordinate_decimals"]),
        render_gender=str(spec["render_gender"]),
        urgent_deadline_hours={str(k): int(v) for k, v in spec["urgent_deadline_hours"].items()},
        province_admin_code={
            case_pb2.Jurisdiction.Value(name): str(code) for name, code in spec["province_admin_code"].items()
        },
        foreign_case_id_key=str(spec["foreign_case_id_key"]),
    )
