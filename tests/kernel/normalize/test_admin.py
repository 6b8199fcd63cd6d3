import csv
from collections import Counter

import pytest

from kernel.normalize.admin import (
    admin_name,
    admin_parent,
    is_known_admin_code,
    jurisdiction_of,
    known_admin_codes,
)
from kernel.tables import SCHEMAS_DIR
from jjj.case.v1 import case_pb2
from tests.support.expected import SHARED


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_domain_code_is_present_with_the_same_name():
    domain = _rows(SHARED / "domain" / "admin_codes.csv")
    assert domain, "shared/domain/admin_codes.csv is empty"
    for row in domain:
        assert admin_name(row["code"]) == row["name"], row
        assert (admin_parent(row["code"]) or "") == row["parent"], row


def test_table_is_well_formed():
    rows = _rows(SCHEMAS_DIR / "admin_codes.csv")
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    for row in rows:
        assert len(row["code"]) == 6 and row["code"].isdigit(), row
        assert row["name"], row
        if row["parent"]:
            assert row["parent"] in known_admin_codes(), row
            assert row["code"][:2] == row["parent"][:2], row


def _county_level(prefix):
    return [code for code in known_admin_codes() if code.startswith(prefix) and not code.endswith("00")]


def test_complete_county_level_coverage():
    # 16 districts each in Beijing and Tianjin; Hebei: 49 districts, 21 county-level
    # cities, 91 counties and 6 autonomous counties = 167, in 11 prefecture-level cities.
    assert len(_county_level("11")) == 16
    assert len(_county_level("12")) == 16
    assert len(_county_level("13")) == 167
    prefectures = [code for code in known_admin_codes() if code.startswith("13") and code.endswith("00") and code != "130000"]
    assert len(prefectures) == 11
    kinds = Counter(admin_name(code)[-1] for code in _county_level("13"))
    assert kinds["区"] == 49 and kinds["市"] == 21 and kinds["县"] == 97


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        ("131082", "三河市", "131000"),
        ("131028", "大厂回族自治县", "131000"),
        ("131023", "永清县", "131000"),
        ("130638", "雄县", "130600"),
        ("130629", "容城县", "130600"),
        ("130632", "安新县", "130600"),
        ("110119", "延庆区", "110000"),
        ("120119", "蓟州区", "120000"),
        ("131000", "廊坊市", "130000"),
    ],
)
def test_known_codes(code, name, parent):
    assert is_known_admin_code(code)
    assert admin_name(code) == name
    assert admin_parent(code) == parent


def test_unknown_codes():
    assert not is_known_admin_code("131099")
    assert not is_known_admin_code("440305")
    assert not is_known_admin_code("")
    assert admin_name("999999") is None
    assert admin_parent("110000") is None
    assert is_known_admin_code(" 110105 ")


@pytest.mark.parametrize(
    ("code", "jurisdiction"),
    [
        ("110105", case_pb2.JURISDICTION_BEIJING),
        ("110115", case_pb2.JURISDICTION_BEIJING),
        ("120101", case_pb2.JURISDICTION_TIANJIN),
        ("131082", case_pb2.JURISDICTION_HEBEI),
        ("131003", case_pb2.JURISDICTION_HEBEI),
        ("131099", case_pb2.JURISDICTION_HEBEI),  # unknown county still routes by province
        ("120101002", case_pb2.JURISDICTION_TIANJIN),  # street code
        ("440305", case_pb2.JURISDICTION_UNSPECIFIED),
        ("", case_pb2.JURISDICTION_UNSPECIFIED),
        ("1", case_pb2.JURISDICTION_UNSPECIFIED),
        ("BJ0105", case_pb2.JURISDICTION_UNSPECIFIED),
    ],
)
def test_jurisdiction_of(code, jurisdiction):
    assert jurisdiction_of(code) == jurisdiction
