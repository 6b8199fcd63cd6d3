"""Beijing's native work order (SPEC.md, schema 3.2) as pydantic-validated types: the field checks.

The schema (typed dicts, validated by pydantic in strict mode; typed dicts rather
than BaseModels because validating them costs half as much, and this runs for every
order) says what a well-formed work order is: required fields, JSON types (strict:
"1" is not 1, 0 is not false), patterns, and the closed code lists of
schemas/beijing/codes.yaml. Codes and structured codes are full-width folded and
stripped before the check (typed fields arrive as "０１"). Rules that span fields
(xfxx for petitions, blsx for urgent orders) are checked by to_common; they are
recorded in the JSON Schema too.

Unknown fields are allowed everywhere (the platform adds fields between versions):
to_common keeps them in extensions. The committed JSON Schema
schemas/beijing/workorder.schema.json is generated from these types:
`python -m adapters.beijing.schema` rewrites it, a test checks it is current.
"""

# No `from __future__ import annotations`: TypedDict must see NotRequired at class
# creation for its __required_keys__.
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import NotRequired, TypedDict

from adapters.beijing.tables import native_codes
from kernel.codec import MappingError
from kernel.normalize.text import clean_code
from kernel.tables import SCHEMAS_DIR

JSON_SCHEMA_FILE = SCHEMAS_DIR / "beijing" / "workorder.schema.json"
JSON_SCHEMA_ID = "https://jjj-exchange.example/schemas/beijing/workorder.schema.json"

GDBH_PATTERN = r"^BJ[0-9]{16}$"
TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Optional times may be sent as "" (no time), which to_common reads as absent.
OPTIONAL_TIME_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})?$"
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
_REPR_LIMIT = 60


def _clean(value: Any) -> Any:
    if type(value) is not str:
        return value
    # Plain ASCII (nearly every order) has nothing to fold, only spaces to strip.
    return value.strip() if value.isascii() else clean_code(value)


def _code(key: str, description: str) -> Any:
    """A closed code list of codes.yaml, folded before the check."""
    return Annotated[Literal[native_codes(key)], BeforeValidator(_clean), Field(description=description)]


def _text(description: str, pattern: str | None = None) -> Any:
    return Annotated[str, Field(description=description, pattern=pattern)]


def _structured(description: str, pattern: str | None = None) -> Any:
    """A structured code (admin, street, category), folded before the check."""
    return Annotated[str, Field(description=description, pattern=pattern), BeforeValidator(_clean)]


Required = Annotated[str, Field(pattern=r"\S")]  # present and not blank
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


# Strict JSON types; unknown keys allowed (and kept by to_common) at every level.
_CONFIG = ConfigDict(strict=True, extra="allow")


@with_config(_CONFIG)
class Requester(TypedDict):
    """诉求人. Anonymous orders (sfnm true) carry empty strings."""

    xm: NotRequired[_text("姓名, name") | None]
    zjlx: NotRequired[_code("zjlx", "证件类型, id type (id_types.csv); empty when none") | None]
    zjhm: NotRequired[_text("证件号码, id number") | None]
    lxdh: NotRequired[_text("联系电话, phone") | None]
    xb: NotRequired[_text("性别: 1 male, 2 female, 9 unknown") | None]
    sfnm: NotRequired[Annotated[bool, Field(description="是否匿名, anonymous")] | None]


@with_config(_CONFIG)
class Coordinates(TypedDict):
    lng: Annotated[FiniteFloat, Field(description="longitude, degrees")]
    lat: Annotated[FiniteFloat, Field(description="latitude, degrees")]
    zbx: NotRequired[_text('坐标系, always "GCJ02"') | None]


@with_config(_CONFIG)
class Place(TypedDict):
    """事发地点."""

    xzqh: _structured("行政区划, GB/T 2260", r"^[0-9]{6}$")
    jdxz: NotRequired[_structured("街道乡镇 code, 9 digits") | None]
    dz: NotRequired[_text("address") | None]
    zb: NotRequired[Coordinates | None]


@with_config(_CONFIG)
class Classification(TypedDict):
    """分类: yj (2 digits) > ej (4) > sj (6); the list (categories.csv) is open."""

    yj: _structured("level 1", r"\S")
    ej: NotRequired[_structured("level 2") | None]
    sj: NotRequired[_structured("level 3, may be missing") | None]


@with_config(_CONFIG)
class HandlingUnit(TypedDict):
    """承办单位."""

    dwbm: NotRequired[_text("unit code") | None]
    dwmc: NotRequired[_text("unit name") | None]


@with_config(_CONFIG)
class Step(TypedDict):
    """流转记录 entry."""

    dz: NotRequired[_text("动作, action") | None]
    sj: NotRequired[_text("time, yyyy-MM-dd HH:mm:ss Beijing time", OPTIONAL_TIME_PATTERN) | None]
    czr: NotRequired[_text("操作人, actor") | None]
    yj: NotRequired[_text("意见, note") | None]


@with_config(_CONFIG)
class FollowUp(TypedDict):
    """回访."""

    sflx: NotRequired[Annotated[bool, Field(description="是否联系, contacted")] | None]
    sfjj: NotRequired[Annotated[bool, Field(description="是否解决, resolved")] | None]
    myd: NotRequired[_code("myd", "满意度: 1 满意, 2 基本满意, 3 不满意") | None]


@with_config(_CONFIG)
class Attachment(TypedDict):
    """附件."""

    wjm: NotRequired[_text("file name") | None]
    lx: NotRequired[_text("media type") | None]
    dx: NotRequired[Annotated[int, Field(description="size in bytes", ge=0, le=INT64_MAX)] | None]
    sha256: NotRequired[_text("sha256, hex") | None]
    url: NotRequired[_text("uri") | None]


@with_config(_CONFIG)
class Petition(TypedDict):
    """信访信息 (only ywlx = XF; absent in 3.1)."""

    xfxs: NotRequired[_code("xfxs", "信访形式: 1 来信, 2 来访, 3 网上, 4 12345转") | None]
    rs: NotRequired[Annotated[int, Field(description="人数, participants", ge=0, le=INT32_MAX)] | None]
    sfyj: NotRequired[Annotated[bool, Field(description="是否越级, bypassed level")] | None]
    sfcf: NotRequired[Annotated[bool, Field(description="是否重复, repeat")] | None]
    scxf: NotRequired[Annotated[bool, Field(description="是否初信初访, first time")] | None]
    xfmd: NotRequired[_code("xfmd", "信访目的: 1 求决, 2 揭发控告, 3 意见建议, 9 其他") | None]


# Cross-field rules to_common checks, stated for readers of the JSON Schema.
_CONDITIONAL_RULES = [
    {
        "description": "ywlx XF needs xfxx (except in bbh 3.1)",
        "if": {
            "properties": {"ywlx": {"const": "XF"}, "bbh": {"not": {"const": "3.1"}}},
            "required": ["ywlx", "bbh"],
        },
        "then": {"required": ["xfxx"]},
    },
    {
        "description": "Beijing's rule: jjcd 2 or 3 needs blsx",
        "if": {"properties": {"jjcd": {"enum": ["2", "3"]}}, "required": ["jjcd"]},
        "then": {"required": ["blsx"], "properties": {"blsx": {"pattern": TIME_PATTERN}}},
    },
]


@with_config(ConfigDict(strict=True, extra="allow", title="Beijing 12345 work order",
                        json_schema_extra={"allOf": _CONDITIONAL_RULES}))
class WorkOrder(TypedDict):
    """Beijing 12345 接诉即办 work order, JSON, schema 3.2 (3.1 accepted)."""

    gdbh: _text("工单编号: BJ + yyyymmdd + 8 digits", GDBH_PATTERN)
    bbh: Annotated[Required, Field(description='版本号, "3.2" ("3.1" lacks xfxx and kzzd)')]
    ywlx: _code("ywlx", "业务类型: RX hotline, XF petition")
    qdly: _code("qdly", "渠道来源 (channels.csv)")
    sqlx: _code("sqlx", "诉求类型 (request_types.csv)")
    bt: NotRequired[_text("标题, title") | None]
    sqnr: Annotated[Required, Field(description="诉求内容, the citizen's words")]
    sqr: Requester
    sfdd: Place
    fl: Classification
    jjcd: _code("jjcd", "紧急程度: 1 normal, 2 urgent, 3 critical")
    slsj: _text("受理时间, Beijing time", TIME_PATTERN)
    blsx: NotRequired[_text("办理时限, Beijing time", OPTIONAL_TIME_PATTERN) | None]
    zt: _code("zt", "状态 (statuses.csv)")
    cbdw: NotRequired[list[HandlingUnit] | None]
    lz: NotRequired[list[Step] | None]
    hf: NotRequired[FollowUp | None]
    fj: NotRequired[list[Attachment] | None]
    xfxx: NotRequired[Petition | None]
    kzzd: NotRequired[Annotated[dict[str, Any], Field(description="扩展字段, free key-value pairs")] | None]


# Validates and returns a new dict: codes folded, unknown keys as they came.
_VALIDATOR = TypeAdapter(WorkOrder)


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "json"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def _reason(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "required field missing"
    if value is None:
        return "required field missing (null)"
    if kind == "string_pattern_mismatch":
        return f"{_short(value)} does not match {error['ctx']['pattern']}"
    if kind == "literal_error":
        return f"{_short(value)} is not in the code list ({error['ctx']['expected']})"
    return f"{error['msg'].lower()}, got {_short(value)}"


def validate(obj: Any) -> WorkOrder:
    """Check one parsed work order and return it as a new dict with codes folded (unknown
    keys included); MappingError names the first offending field path."""
    if not isinstance(obj, dict):
        raise MappingError("json", f"a work order must be a JSON object, got {type(obj).__name__}")
    try:
        return _VALIDATOR.validate_python(obj)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise MappingError(_path(first["loc"]), _reason(first) + more) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the native format, generated from the model."""
    schema = _VALIDATOR.json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": JSON_SCHEMA_ID, **schema}


def render_json_schema() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    JSON_SCHEMA_FILE.write_text(render_json_schema(), encoding="utf-8")
    print(f"wrote {JSON_SCHEMA_FILE}")
