import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.normalize.geo import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    distance_metres,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_mainland_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from jjj.case.v1 import case_pb2

# EXPECTED.json allows 5e-5 degrees (about 5 m); the module promises 1 m, and its six-decimal
# expected values are good to about 0.1 m: half a metre lets no metre-sized error through.
METRES = 0.5


def test_beijing_chaoyang_gcj02_sample():
    assert distance_metres(to_wgs84(116.4701, 39.9087, case_pb2.CRS_GCJ02), (116.463963, 39.907377)) < METRES


def test_beijing_sanhe_gcj02_sample():
    assert distance_metres(to_wgs84(116.8235, 39.956, case_pb2.CRS_GCJ02), (116.817472, 39.954844)) < METRES


def test_tianjin_heping_bd09_sample():
    assert distance_metres(to_wgs84(117.2073, 39.1238, case_pb2.CRS_BD09), (117.194435, 39.116928)) < METRES


def test_gcj02_offset_is_hundreds_of_metres_in_beijing():
    # The offset is real: a no-op transform would pass the round trips below.
    wgs = (116.3913, 39.9075)
    assert 100 < distance_metres(wgs, wgs84_to_gcj02(*wgs)) < 1000
    assert 500 < distance_metres(wgs, wgs84_to_bd09(*wgs)) < 2000


def test_cgcs2000_and_wgs84_are_identity():
    point = (116.2988, 39.4384)  # hb_mixed_four row 2
    assert to_wgs84(*point, case_pb2.CRS_CGCS2000) == point
    assert to_wgs84(*point, case_pb2.CRS_WGS84) == point
    assert from_wgs84(*point, case_pb2.CRS_CGCS2000) == point


def test_unspecified_crs_is_refused():
    with pytest.raises(ValueError):
        to_wgs84(116.0, 39.0, case_pb2.CRS_UNSPECIFIED)
    with pytest.raises(ValueError):
        from_wgs84(116.0, 39.0, case_pb2.CRS_UNSPECIFIED)


def test_outside_china_gcj02_is_identity():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize(
    ("lng", "lat", "inside"),
    [
        (116.4, 39.9, True),  # Beijing
        (117.2, 39.1, True),  # Tianjin
        (116.82, 39.95, True),  # Yanjiao
        (114.05, 22.54, True),  # Shenzhen Futian
        (113.55, 22.25, True),  # Zhuhai
        (110.3, 20.0, True),  # Haikou
        (87.6, 43.8, True),  # Urumqi
        (126.6, 45.8, True),  # Harbin
        (114.17, 22.30, False),  # Hong Kong, Kowloon
        (113.54, 22.19, False),  # Macao
        (121.5, 25.03, False),  # Taipei
        (120.3, 22.6, False),  # Kaohsiung
        (119.58, 23.57, False),  # Penghu
        (2.35, 48.85, False),  # Paris
        (-74.0, 40.7, False),  # New York
        (0.0, 0.0, False),  # a default-zero point
    ],
)
def test_in_mainland_china(lng, lat, inside):
    assert in_mainland_china(lng, lat) is inside


def test_haversine_sanity():
    assert distance_metres((116.0, 39.0), (116.0, 40.0)) == pytest.approx(111_195, rel=1e-3)
    assert distance_metres((116.0, 39.0), (116.0, 39.0)) == 0


mainland = st.tuples(
    st.floats(min_value=73.5, max_value=135.0, allow_nan=False),
    st.floats(min_value=18.2, max_value=53.5, allow_nan=False),
).filter(lambda p: in_mainland_china(*p))


@given(mainland)
def test_gcj02_round_trip_within_a_metre(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert distance_metres(point, back) < 1.0


@given(mainland)
def test_bd09_round_trip_within_a_metre(point):
    assert distance_metres(point, bd09_to_wgs84(*wgs84_to_bd09(*point))) < 1.0
    assert distance_metres(point, bd09_to_gcj02(*gcj02_to_bd09(*point))) < 1.0


@given(mainland, st.sampled_from([case_pb2.CRS_GCJ02, case_pb2.CRS_BD09, case_pb2.CRS_WGS84, case_pb2.CRS_CGCS2000]))
def test_to_and_from_wgs84_are_inverse(point, crs):
    # The renderer's direction then the decoder's: native -> common -> native is stable.
    native = from_wgs84(*point, crs)
    assert distance_metres(point, to_wgs84(*native, crs)) < 1.0
