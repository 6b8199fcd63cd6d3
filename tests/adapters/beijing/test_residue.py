"""residue: the extensions that turn a canonical rendering back into the native object."""

from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.beijing import residue

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=15,
)
OBJECTS = st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=5)


def _strict(value) -> str:
    return json.dumps(value, sort_keys=True)


def test_keys_paths_and_escaping() -> None:
    assert residue.key_for(("sqr", "xb")) == "beijing.sqr.xb"
    assert residue.key_for(("lz", 0, "sj")) == "beijing.lz.0.sj"
    assert residue.key_for(("kzzd", "a.b%c")) == "beijing.kzzd.a%2Eb%25c"
    assert residue.key_for(("@absent",)) == "beijing.%40absent"
    assert residue.segments("kzzd.a%2Eb%25c") == ("kzzd", "a.b%c")
    assert residue.segments("%40absent") == ("@absent",)


def test_diff_of_identical_objects_is_empty() -> None:
    document = {"a": "x", "b": [1, {"c": True}], "d": {"e": 1.5}}
    assert residue.diff(document, copy.deepcopy(document)) == {}


def test_diff_keeps_types_exactly() -> None:
    entries = residue.diff({"a": 1, "b": True, "c": -0.0}, {"a": 1.0, "b": 1, "c": 0.0})
    assert entries == {"beijing.a": "1", "beijing.b": "true", "beijing.c": "-0.0", "beijing.@json": '["a", "b", "c"]'}


def test_kzzd_is_kept_entry_by_entry() -> None:
    entries = residue.diff({"kzzd": {"wyfw": "粤语", "n": 2}}, {})
    assert entries["beijing.kzzd.wyfw"] == "粤语" and entries["beijing.kzzd.n"] == "2"
    assert residue.diff({"kzzd": {}}, {}) == {"beijing.kzzd": "{}", "beijing.@json": '["kzzd"]'}


def test_absent_fields_are_listed() -> None:
    entries = residue.diff({"a": "x"}, {"a": "x", "b": "", "c": {"d": 1}})
    assert json.loads(entries["beijing.@absent"]) == ["b", "c"]


@settings(max_examples=500, deadline=None)
@given(OBJECTS, OBJECTS)
def test_apply_of_diff_turns_any_rendering_into_the_native_object(native: dict, rendered: dict) -> None:
    entries = residue.diff(native, copy.deepcopy(rendered))
    assert all(key.startswith("beijing.") and isinstance(value, str) for key, value in entries.items())
    result = residue.apply(copy.deepcopy(rendered), entries)
    assert _strict(result) == _strict(native)
