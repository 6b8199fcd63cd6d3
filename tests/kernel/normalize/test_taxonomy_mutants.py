"""Category rendering rules on a small taxonomy written here, where each rule shows:
the shortest native code wins, a subject without one falls back to its parent's, the
common OTHER is always the scheme's own "other" code, and a code is looked up as listed
before it is tried upper-cased."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel import tables
from kernel.normalize import taxonomy
from kernel.normalize.taxonomy import CategoryMatch, common_name, common_parent, map_category, source_code_for

COMMON = """\
code,name,parent
A,甲,
A.X,甲一,A
A.Y,甲二,A
B,乙,
OTHER,其他,
"""
CROSSWALK = """\
source_code,source_name,common_code
10,甲,A
100101,甲一细,A.X
1001,甲一,A.X
2002,乙旧,B
21,乙,B
b01,乙小写,B
9900,其他旧,OTHER
9999,其他,OTHER
"""
SCHEMES = "schemes:\n  small:\n    crosswalk: crosswalk_small.csv\n    other: \"9999\"\n"


def _forget_tables() -> None:
    tables.load_yaml.cache_clear()
    tables.load_csv.cache_clear()
    taxonomy._scheme.cache_clear()
    taxonomy._common.cache_clear()


@pytest.fixture
def small_taxonomy(tmp_path: Path, monkeypatch):
    folder = tmp_path / "taxonomy"
    folder.mkdir()
    (folder / "common.csv").write_text(COMMON, encoding="utf-8")
    (folder / "crosswalk_small.csv").write_text(CROSSWALK, encoding="utf-8")
    (folder / "schemes.yaml").write_text(SCHEMES, encoding="utf-8")
    monkeypatch.setattr(tables, "SCHEMAS_DIR", tmp_path)
    _forget_tables()
    yield "small"
    monkeypatch.undo()
    _forget_tables()


def test_the_shortest_native_code_wins_whatever_its_place_in_the_file(small_taxonomy):
    assert source_code_for(small_taxonomy, "A.X") == "1001"
    assert source_code_for(small_taxonomy, "B") == "21"  # not 2002, listed first and sorting first


def test_a_subject_without_a_native_code_gets_its_parents(small_taxonomy):
    assert source_code_for(small_taxonomy, "A.Y") == "10"


def test_the_common_other_is_always_the_schemes_other_code(small_taxonomy):
    assert source_code_for(small_taxonomy, "OTHER") == "9999"  # not 9900, also mapped to OTHER


def test_a_lower_case_code_listed_as_such_is_found_as_listed(small_taxonomy):
    assert map_category(small_taxonomy, "b01") == CategoryMatch("B", True)
    assert map_category(small_taxonomy, "B01") == CategoryMatch("OTHER", False)


def test_common_names_and_parents_of_the_shipped_taxonomy():
    assert common_parent("HOUSING.HEATING") == "HOUSING"
    assert common_parent("HOUSING") is None
    assert common_parent("NO.SUCH") is None
    assert common_name("HOUSING.HEATING") == "供暖供热"
    assert common_name("NO.SUCH") is None
