"""Coordinate transforms pinned to published reference values, the inverse's promised
precision, box edges, and the haversine against an independent formula.

Reference values: the example of the widely used coordtransform library
(wandergis/coordtransform, test/app.js) for the point (116.404, 39.915).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.normalize import geo
from kernel.normalize.geo import (
    INVERSE_TOLERANCE_DEGREES,
    bd09_to_gcj02,
    distance_metres,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_mainland_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from jjj.case.v1 import case_pb2

MEAN_EARTH_RADIUS = 6371008.8  # IUGG mean radius, metres
EXACT = 1e-12  # degrees: the same formula, up to floating-point rounding


def test_wgs84_to_gcj02_matches_the_reference_implementation():
    lng, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lng == pytest.approx(116.41024449916938, abs=EXACT)
    assert lat == pytest.approx(39.91640428150164, abs=EXACT)


def test_gcj02_to_bd09_matches_the_reference_implementation():
    lng, lat = gcj02_to_bd09(116.404, 39.915)
    assert lng == pytest.approx(116.41036949371029, abs=EXACT)
    assert lat == pytest.approx(39.92133699351021, abs=EXACT)


def test_the_inverse_starts_from_baidus_published_approximate_inverse():
    # The reference library's bd09togcj02 is this closed form; the iteration refines it.
    lng, lat = geo._bd09_to_gcj02_closed_form(116.404, 39.915)
    assert lng == pytest.approx(116.39762729119315, abs=EXACT)
    assert lat == pytest.approx(39.90865673957631, abs=EXACT)


mainland = st.tuples(
    st.floats(min_value=73.5, max_value=135.0, allow_nan=False),
    st.floats(min_value=18.2, max_value=53.5, allow_nan=False),
).filter(lambda p: in_mainland_china(*p))


@given(mainland)
def test_the_gcj02_inverse_meets_its_tolerance_in_both_coordinates(point):
    lng, lat = wgs84_to_gcj02(*gcj02_to_wgs84(*point))
    assert abs(lng - point[0]) < INVERSE_TOLERANCE_DEGREES
    assert abs(lat - point[1]) < INVERSE_TOLERANCE_DEGREES


@given(mainland)
def test_the_bd09_inverse_meets_its_tolerance_in_both_coordinates(point):
    lng, lat = gcj02_to_bd09(*bd09_to_gcj02(*point))
    assert abs(lng - point[0]) < INVERSE_TOLERANCE_DEGREES
    assert abs(lat - point[1]) < INVERSE_TOLERANCE_DEGREES


def test_an_unspecified_system_is_refused_by_name():
    with pytest.raises(ValueError) as error:
        to_wgs84(116.0, 39.0, case_pb2.CRS_UNSPECIFIED)
    assert str(error.value) == "no conversion for coordinate system 0 (CRS_UNSPECIFIED has none)"


@pytest.mark.parametrize("edge", [(73.5, 35.0), (135.1, 45.0), (100.0, 18.1), (100.0, 53.6)])
def test_the_mainland_box_includes_its_edges(edge):
    assert in_mainland_china(*edge)


def test_the_gcj02_box_includes_its_edges():
    # On the box's edge the offset applies; just outside it does not.
    assert wgs84_to_gcj02(72.004, 30.0) != (72.004, 30.0)
    assert wgs84_to_gcj02(137.8347, 30.0) != (137.8347, 30.0)
    assert wgs84_to_gcj02(100.0, 0.8293) != (100.0, 0.8293)
    assert wgs84_to_gcj02(100.0, 55.8271) != (100.0, 55.8271)
    assert wgs84_to_gcj02(72.0039, 30.0) == (72.0039, 30.0)


def test_a_degree_of_meridian_is_the_mean_radius_times_pi_over_180():
    assert distance_metres((116.0, 0.0), (116.0, 1.0)) == pytest.approx(MEAN_EARTH_RADIUS * math.pi / 180, rel=1e-12)


def spherical_law_of_cosines(a, b) -> float:
    lng1, lat1 = map(math.radians, a)
    lng2, lat2 = map(math.radians, b)
    cosine = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lng2 - lng1)
    return MEAN_EARTH_RADIUS * math.acos(max(-1.0, min(1.0, cosine)))


coordinates = st.tuples(st.floats(min_value=-180, max_value=180), st.floats(min_value=-80, max_value=80))


@given(coordinates, coordinates)
def test_haversine_agrees_with_the_law_of_cosines(a, b):
    expected = spherical_law_of_cosines(a, b)
    # The law of cosines loses precision for nearby points; compare where it is sound.
    if expected > 1000:
        assert distance_metres(a, b) == pytest.approx(expected, rel=1e-6)


def test_antipodes_are_half_a_circumference_even_when_rounding_overshoots():
    # For this pair the haversine term rounds to 1.0000000000000002, a hair above 1.
    a, b = (-56.285426283203606, -3.722599590946473), (123.7145737167964, 3.722599590946473)
    assert distance_metres(a, b) == pytest.approx(math.pi * MEAN_EARTH_RADIUS, rel=1e-12)
