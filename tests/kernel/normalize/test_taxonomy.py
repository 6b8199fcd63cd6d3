import csv

import pytest

from kernel.normalize.taxonomy import (
    BEIJING_SCHEME,
    HEBEI_SCHEME,
    OTHER_CODE,
    TIANJIN_SCHEME,
    CategoryMatch,
    common_codes,
    common_name,
    common_parent,
    is_common_code,
    map_category,
    other_source_code,
    schemes,
    source_code_for,
    source_name_for,
)
from kernel.tables import SCHEMAS_DIR
from tests.support.expected import JURISDICTIONS

SCHEME_OF_JURISDICTION = {"beijing": BEIJING_SCHEME, "tianjin": TIANJIN_SCHEME, "hebei": HEBEI_SCHEME}


def _native_categories(jurisdiction):
    raw = (JURISDICTIONS / jurisdiction / "categories.csv").read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.DictReader(text.splitlines()))


@pytest.mark.parametrize("jurisdiction", sorted(SCHEME_OF_JURISDICTION))
def test_crosswalk_covers_every_native_code(jurisdiction):
    scheme = SCHEME_OF_JURISDICTION[jurisdiction]
    rows = _native_categories(jurisdiction)
    assert rows
    for row in rows:
        match = map_category(scheme, row["code"])
        assert match.known, f"{jurisdiction} {row['code']} {row['name']} not crosswalked"
        assert is_common_code(match.code)
        assert source_name_for(scheme, row["code"]) == row["name"]


def test_beijing_levels_all_present():
    levels = {row["level"] for row in _native_categories("beijing")}
    assert levels == {"1", "2", "3"}


def test_common_taxonomy_is_two_levels_and_consistent():
    for code in common_codes():
        parent = common_parent(code)
        assert common_name(code)
        if parent is not None:
            assert is_common_code(parent)
            assert common_parent(parent) is None
            assert code.startswith(parent + ".")
    assert is_common_code(OTHER_CODE)


def test_every_crosswalk_target_exists():
    for path in (SCHEMAS_DIR / "taxonomy").glob("crosswalk_*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows, path
        codes = [row["source_code"] for row in rows]
        assert len(codes) == len(set(codes)), path.name
        for row in rows:
            assert is_common_code(row["common_code"]), (path.name, row)


def test_every_scheme_has_a_crosswalk_and_an_other_code_it_knows():
    assert set(schemes()) == set(SCHEME_OF_JURISDICTION.values())
    for scheme in schemes():
        assert map_category(scheme, other_source_code(scheme)) == CategoryMatch(OTHER_CODE, True)


@pytest.mark.parametrize(
    ("scheme", "native", "common"),
    [
        (BEIJING_SCHEME, "010101", "HOUSING.PROPERTY"),
        (BEIJING_SCHEME, "0202", "TRANSPORT.COMMUTE"),
        (BEIJING_SCHEME, "0501", "LABOUR.WAGES"),
        (BEIJING_SCHEME, "050201", "LABOUR.INSURANCE"),
        (BEIJING_SCHEME, "03", "MARKET"),
        (TIANJIN_SCHEME, "2103", "HOUSING.HEATING"),
        (TIANJIN_SCHEME, "2801", "TRANSPORT.PORT"),
        (TIANJIN_SCHEME, "9999", OTHER_CODE),
        (HEBEI_SCHEME, "B0202", "TRANSPORT.COMMUTE"),
        (HEBEI_SCHEME, "E0502", "LABOUR.INSURANCE"),
        (HEBEI_SCHEME, "H0801", "LAND.EXPROPRIATION"),
        (HEBEI_SCHEME, "Z9999", OTHER_CODE),
    ],
)
def test_map_known_codes(scheme, native, common):
    assert map_category(scheme, native) == CategoryMatch(common, True)


def test_same_subject_same_common_code_across_jurisdictions():
    assert map_category(BEIJING_SCHEME, "0103").code == map_category(TIANJIN_SCHEME, "2103").code
    assert map_category(TIANJIN_SCHEME, "2202").code == map_category(HEBEI_SCHEME, "B0202").code
    assert map_category(BEIJING_SCHEME, "030102").code == map_category(HEBEI_SCHEME, "C0302").code


def test_unknown_codes_map_to_other_unknown():
    # bj_rx_quality_flags: 0499 is not in Beijing's list.
    assert map_category(BEIJING_SCHEME, "0499") == CategoryMatch(OTHER_CODE, False)
    assert map_category(TIANJIN_SCHEME, "2999") == CategoryMatch(OTHER_CODE, False)
    assert map_category(HEBEI_SCHEME, "") == CategoryMatch(OTHER_CODE, False)


def test_codes_are_folded_before_lookup():
    assert map_category(HEBEI_SCHEME, " ａ０１０１ ") == CategoryMatch("HOUSING.PROPERTY", True)
    assert map_category(TIANJIN_SCHEME, "２１０３") == CategoryMatch("HOUSING.HEATING", True)


def test_unknown_scheme_is_a_programming_error():
    with pytest.raises(ValueError):
        map_category("shanghai-x", "01")


@pytest.mark.parametrize(
    ("scheme", "common", "native"),
    [
        # exact match; the shallowest native code of several (0103 供暖, not 010301)
        (BEIJING_SCHEME, "HOUSING.HEATING", "0103"),
        (BEIJING_SCHEME, "HOUSING.PROPERTY", "0101"),
        (BEIJING_SCHEME, "MARKET.FOOD", "030102"),
        (TIANJIN_SCHEME, "TRANSPORT.PORT", "2801"),
        (HEBEI_SCHEME, "LAND.TRANSFER", "H0802"),
        # no native code: parent's, never a bare Beijing level-1 code, else "other"
        (BEIJING_SCHEME, "TRANSPORT.PORT", "9901"),
        (BEIJING_SCHEME, "HOUSING", "9901"),
        (BEIJING_SCHEME, "LAND.EXPROPRIATION", "9901"),
        (TIANJIN_SCHEME, "LAND.TRANSFER", "9999"),
        (HEBEI_SCHEME, "TRANSPORT.PORT", "Z9999"),
        (HEBEI_SCHEME, "TRANSPORT", "Z9999"),
        (BEIJING_SCHEME, OTHER_CODE, "9901"),
        (TIANJIN_SCHEME, OTHER_CODE, "9999"),
        (HEBEI_SCHEME, OTHER_CODE, "Z9999"),
        (HEBEI_SCHEME, "NO.SUCH", "Z9999"),
        (TIANJIN_SCHEME, "", "9999"),
    ],
)
def test_source_code_for(scheme, common, native):
    assert source_code_for(scheme, common) == native


@pytest.mark.parametrize("jurisdiction", sorted(SCHEME_OF_JURISDICTION))
def test_rendered_code_maps_back_to_the_same_common_code(jurisdiction):
    # common -> native -> common is stable for every common code a scheme can express.
    scheme = SCHEME_OF_JURISDICTION[jurisdiction]
    for row in _native_categories(jurisdiction):
        common = map_category(scheme, row["code"]).code
        rendered = source_code_for(scheme, common)
        if scheme == BEIJING_SCHEME and len(row["code"]) == 2 and common != OTHER_CODE:
            assert rendered == "9901"  # a bare level-1 code is never rendered
        else:
            assert map_category(scheme, rendered).code == common, (row, rendered)


def test_parent_fallback_when_subject_has_only_a_parent():
    # Beijing renders a Tianjin 2801 port case: Beijing has no port code and no
    # renderable TRANSPORT code, so it becomes 其他; Tianjin renders Beijing's
    # level-1 "03" (MARKET) case as 9999 (no top-level codes in Tianjin).
    assert source_code_for(TIANJIN_SCHEME, map_category(BEIJING_SCHEME, "03").code) == "9999"
