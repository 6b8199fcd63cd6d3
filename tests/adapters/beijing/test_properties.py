"""Properties over generated valid Beijing work orders (hypothesis).

- native -> common -> native gives the original object back (key order aside, types exact);
- common -> native -> common gives the same case (provenance aside);
- a rendered case always decodes (the renderer writes valid orders).
"""

from __future__ import annotations

import json
import string
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.beijing import BeijingCodec
from adapters.beijing.from_common import case_to_native
from adapters.beijing.schema import WorkOrder
from adapters.beijing.tables import native_codes
from kernel.codec import Accepted
from kernel.normalize.resident_id import gb11643_check_digit
from kernel.tables import load_csv
from jjj.case.v1 import case_pb2

CODEC = BeijingCodec(clock=lambda: datetime(2026, 11, 24, 4, 0, tzinfo=timezone.utc))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BATCH_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BEIJING_CATEGORIES = [row["source_code"] for row in load_csv("taxonomy/crosswalk_beijing.csv")]
ADMIN_CODES = [row["code"] for row in load_csv("admin_codes.csv")]
TOP_LEVEL = set(WorkOrder.__required_keys__ | WorkOrder.__optional_keys__)
ABSENT = object()

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.digits + string.ascii_letters}


def full_width(text: str) -> str:
    return "".join(FULL_WIDTH.get(c, c) for c in text)


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


@st.composite
def typed_code(draw, code: str) -> str:
    """A code as a person might type it: mostly as is, sometimes full-width or padded."""
    return draw(st.sampled_from([code, code, code, full_width(code), f" {code} "]))


def put(draw, target: dict, key: str, value_strategy, *, nullable: bool = True) -> None:
    """An optional field: absent, null, or a value."""
    choices = [ABSENT, value_strategy] + ([st.none()] if nullable else [])
    choice = draw(st.sampled_from(choices))
    if choice is not ABSENT:
        target[key] = draw(choice)


@st.composite
def times(draw) -> str:
    moment = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@st.composite
def resident_ids(draw) -> str:
    first17 = draw(st.sampled_from(ADMIN_CODES)) + draw(digits(11))
    check = gb11643_check_digit(first17)
    if draw(st.booleans()):
        check = draw(st.sampled_from("0123456789X"))  # sometimes a wrong check digit
    number = first17 + check
    return draw(st.sampled_from([number, number.lower(), full_width(number), f"{number[:6]} {number[6:]}"]))


PHONES = st.one_of(
    st.builds(lambda rest: "13" + rest, digits(9)),
    st.builds(lambda rest: "1" + rest, digits(10)),
    st.builds(lambda rest: "010-" + rest, digits(8)),
    st.builds(lambda rest: "0316-" + rest, digits(7)),
    st.builds(lambda rest: "022 " + rest, digits(8)),
    st.builds(lambda rest: "6" + rest, digits(7)),
    st.sampled_from(["+852 9123 4567", "+85291234567", "+886 912 345 678", "12345", ""]),
    st.just("１３９１２３４５６７８"),
    st.text(max_size=12),
)


@st.composite
def requesters(draw) -> dict[str, Any]:
    if draw(st.booleans()):
        person: dict[str, Any] = {}
        for key in ("xm", "zjlx", "zjhm", "lxdh"):
            put(draw, person, key, st.just(""))
        put(draw, person, "xb", st.sampled_from(["9", "1", "2"]))
        person["sfnm"] = True
        return person
    person = {}
    id_type = draw(st.sampled_from(native_codes("zjlx")))
    put(draw, person, "xm", st.text(max_size=6))
    put(draw, person, "zjlx", typed_code(id_type))
    put(draw, person, "zjhm", resident_ids() if id_type == "111" else st.text(max_size=12))
    put(draw, person, "lxdh", PHONES)
    put(draw, person, "xb", st.sampled_from(["1", "2", "9", ""]))
    put(draw, person, "sfnm", st.just(False))
    return person


COORDINATES = st.one_of(
    st.floats(min_value=73.0, max_value=135.0).map(lambda x: round(x, 4)),
    st.floats(min_value=-180.0, max_value=180.0),
    st.integers(min_value=-180, max_value=180),
)
LATITUDES = st.one_of(
    st.floats(min_value=18.0, max_value=53.0).map(lambda x: round(x, 6)),
    st.floats(min_value=-90.0, max_value=90.0),
    st.integers(min_value=-90, max_value=90),
)


@st.composite
def places(draw) -> dict[str, Any]:
    place: dict[str, Any] = {"xzqh": draw(typed_code(draw(st.sampled_from(ADMIN_CODES) | digits(6))))}
    put(draw, place, "jdxz", digits(9))
    put(draw, place, "dz", st.text(max_size=10))
    if draw(st.booleans()):
        point: dict[str, Any] = {"lng": draw(COORDINATES), "lat": draw(LATITUDES)}
        put(draw, point, "zbx", st.sampled_from(["GCJ02", "GCJ02", "WGS84", "BD09", "gcj02", "XYZ"]))
        place["zb"] = point
    return place


@st.composite
def categories(draw) -> dict[str, Any]:
    code = draw(st.sampled_from(BEIJING_CATEGORIES) | digits(6) | digits(4))
    levels: dict[str, Any] = {"yj": draw(typed_code(code[:2]))}
    if len(code) >= 4:
        levels["ej"] = draw(typed_code(code[:4]))
    if len(code) == 6:
        levels["sj"] = draw(typed_code(code))
    elif draw(st.booleans()):
        levels["sj"] = draw(st.sampled_from(["", None]))
    return levels


@st.composite
def items(draw, fields: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for key, strategy in fields.items():
        put(draw, item, key, strategy)
    return item


def unknown_fields(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(max_size=8).filter(lambda k: k not in known), JSON_VALUES, max_size=2)


@st.composite
def work_orders(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from(["RX", "XF"]))
    version = draw(st.sampled_from(["3.2", "3.2", "3.1", "3.3"]))
    urgency = draw(st.sampled_from(native_codes("jjcd")))
    order: dict[str, Any] = {
        "gdbh": "BJ" + draw(digits(16)),
        "bbh": version,
        "ywlx": draw(typed_code(kind)),
        "qdly": draw(typed_code(draw(st.sampled_from(native_codes("qdly"))))),
        "sqlx": draw(typed_code(draw(st.sampled_from(native_codes("sqlx"))))),
    }
    put(draw, order, "bt", st.text(max_size=10))
    order["sqnr"] = draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
    order["sqr"] = draw(requesters())
    order["sfdd"] = draw(places())
    order["fl"] = draw(categories())
    order["jjcd"] = draw(typed_code(urgency))
    order["slsj"] = draw(times())
    if urgency in ("2", "3"):
        order["blsx"] = draw(times())
    else:
        put(draw, order, "blsx", times() | st.just(""))
    order["zt"] = draw(typed_code(draw(st.sampled_from(native_codes("zt")))))
    put(draw, order, "cbdw", st.lists(items({"dwbm": st.text(max_size=9), "dwmc": st.text(max_size=9)}), max_size=3))
    put(
        draw, order, "lz",
        st.lists(items({"dz": st.text(max_size=4), "sj": times() | st.just(""), "czr": st.text(max_size=5),
                        "yj": st.text(max_size=8)}), max_size=3),
    )
    put(draw, order, "hf", items({"sflx": st.booleans(), "sfjj": st.booleans(),
                                  "myd": st.sampled_from(native_codes("myd"))}))
    put(
        draw, order, "fj",
        st.lists(items({"wjm": st.text(max_size=8), "lx": st.sampled_from(["image/png", "application/pdf"]),
                        "dx": st.integers(min_value=0, max_value=2**63 - 1),
                        "sha256": st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64),
                        "url": st.text(max_size=10)}), max_size=2),
    )
    petition = items({
        "xfxs": st.sampled_from(native_codes("xfxs")), "rs": st.integers(min_value=0, max_value=2**31 - 1),
        "sfyj": st.booleans(), "sfcf": st.booleans(), "scxf": st.booleans(),
        "xfmd": st.sampled_from(native_codes("xfmd")),
    })
    if kind == "XF" and version != "3.1":
        order["xfxx"] = draw(petition)
    else:
        put(draw, order, "xfxx", petition)
    put(draw, order, "kzzd", st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4))
    order.update(draw(unknown_fields(TOP_LEVEL)))
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        order["sqr"].update(draw(unknown_fields({"xm", "zjlx", "zjhm", "lxdh", "xb", "sfnm"})))
    return order


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _strict(value: Any) -> str:
    # Order-insensitive, type-exact: 1 is not 1.0 nor true, -0.0 is not 0.0.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _decode_one(content: bytes) -> case_pb2.Case:
    outcomes = list(CODEC.decode(content))
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], Accepted), outcomes[0]
    return outcomes[0].case


@SETTINGS
@given(work_orders())
def test_native_common_native_is_lossless(order: dict[str, Any]) -> None:
    case = _decode_one(_encode(order))
    assert _strict(case_to_native(case)) == _strict(order)
    assert _strict(json.loads(CODEC.encode([case]))) == _strict(order)


@SETTINGS
@given(work_orders())
def test_common_native_common_gives_the_same_case(order: dict[str, Any]) -> None:
    first = _decode_one(_encode(order))
    second = _decode_one(CODEC.encode([first]))
    assert second.provenance.source_version == first.provenance.source_version
    first.ClearField("provenance")
    second.ClearField("provenance")
    assert second == first


@BATCH_SETTINGS
@given(st.lists(work_orders(), min_size=2, max_size=4))
def test_batches_round_trip_record_by_record(orders: list[dict[str, Any]]) -> None:
    cases, rejected = CODEC.decode_all(_encode(orders))
    assert rejected == [] and len(cases) == len(orders)
    assert _strict(json.loads(CODEC.encode(cases))) == _strict(orders)


@SETTINGS
@given(work_orders())
def test_a_case_stripped_of_its_extensions_still_renders_a_valid_order(order: dict[str, Any]) -> None:
    case = _decode_one(_encode(order))
    case.ClearField("extensions")
    again = _decode_one(CODEC.encode([case]))
    for field in ("case_id", "kind", "channel", "request_type", "urgency", "status", "received_at", "due_at",
                  "handlers", "history", "feedback", "attachments", "petition", "requester"):
        assert getattr(again, field) == getattr(case, field), field
    assert again.content == case.content
    assert again.category.source_code == case.category.source_code or not case.category.source_code.isdigit()
