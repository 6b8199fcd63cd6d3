"""Whatever bytes arrive, BeijingCodec.decode gives outcomes, never an exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.beijing import CODEC
from kernel.codec import Accepted, Rejected
from tests.support.expected import JURISDICTIONS

SAMPLES = sorted((JURISDICTIONS / "beijing/samples/valid").glob("*.json"))
CHAOYANG = (JURISDICTIONS / "beijing/samples/valid/bj_rx_complaint_chaoyang.json").read_bytes()


def outcomes(content: bytes) -> list[Accepted | Rejected]:
    result = list(CODEC.decode(content))  # must not raise
    for outcome in result:
        if isinstance(outcome, Rejected):
            assert outcome.field and outcome.reason
        else:
            assert outcome.case.native_id and outcome.case.case_id.endswith(f":{outcome.case.native_id}"), outcome
    return result


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(content: bytes) -> None:
    outcomes(content)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SAMPLES), st.data())
def test_truncated_documents_are_rejected_as_json(path, data) -> None:
    raw = path.read_bytes().rstrip()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    result = outcomes(raw[:cut])
    assert len(result) == 1 and isinstance(result[0], Rejected)
    assert "json" in result[0].message().lower() or result[0].field == "json"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_mutated_documents_never_raise(path, data) -> None:
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[position] = data.draw(st.integers(min_value=0, max_value=255))
    outcomes(bytes(raw))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["gdbh", "sqr", "sfdd", "fl", "zt", "slsj", "cbdw", "lz", "hf", "fj", "xfxx", "kzzd", "zb"]),
       JSON_VALUES)
def test_any_json_value_in_any_field_never_raises(field: str, value) -> None:
    order = json.loads(CHAOYANG)
    if field == "zb":
        order["sfdd"]["zb"] = value
    else:
        order[field] = value
    outcomes(json.dumps(order, ensure_ascii=False, allow_nan=True).encode("utf-8"))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"null",
        b"42",
        b'"text"',
        b"{",
        b"[",
        b"[{}",
        b"[{},]",
        b"{} {}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"gdbh": 1e999}',
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b'{"rs": ' + b"9" * 10_000 + b"}",
        '{"gdbh": "北京"}'.encode("gbk"),
        '{"gdbh": "北京"}'.encode("utf-16"),
        '{"gdbh": "北京"}'.encode("utf-32"),
        b'{"sqnr": "\\ud800"}',
        b"\xef\xbb\xbf",
        b"\x00" * 100,
    ],
)
def test_hostile_documents_are_rejected_not_raised(content: bytes) -> None:
    result = outcomes(content)
    assert all(isinstance(o, Rejected) for o in result)


def test_lone_surrogate_anywhere_is_rejected_not_raised() -> None:
    for text in ('"sqnr": "\\ud800"', '"kzzd": {"\\udfff": "x"}', '"xzzd": "\\udc00"', '"bt": "a\\ud83d"'):
        # Appended last: a repeated key ("sqnr") wins over the first, as JSON parsers do.
        document = CHAOYANG.rstrip()[:-1] + b", " + text.encode() + b"}"
        result = outcomes(document)
        assert len(result) == 1 and isinstance(result[0], Rejected), (text, result)


def test_huge_fields_are_mapped() -> None:
    order = json.loads(CHAOYANG)
    order["sqnr"] = "投诉" * 2_000_000  # 12 MB of UTF-8
    order["kzzd"] = {f"k{i}": "v" * 100 for i in range(5_000)}
    order["lz"] = order["lz"] * 2_000
    result = outcomes(json.dumps(order, ensure_ascii=False).encode("utf-8"))
    assert isinstance(result[0], Accepted)
    assert len(result[0].case.content) == 4_000_000 and len(result[0].case.history) == 4_000


def test_utf8_bom_is_tolerated() -> None:
    result = outcomes(b"\xef\xbb\xbf" + CHAOYANG)
    assert isinstance(result[0], Accepted)


def test_non_bytes_input_is_rejected_not_raised() -> None:
    assert isinstance(list(CODEC.decode(bytearray(CHAOYANG)))[0], Accepted)
    result = list(CODEC.decode("not bytes"))  # type: ignore[arg-type]
    assert len(result) == 1 and isinstance(result[0], Rejected)
