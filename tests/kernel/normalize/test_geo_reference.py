"""The coordinate transforms against published reference values, to well within the 1 m the module promises.

The references are the worked example of the widely used coordtransform library
(github.com/wandergis/coordtransform, test/app.js and README, reproduced by e.g.
hutool's CoordinateUtilTest): the point (116.404, 39.915) in Beijing taken as
WGS-84 and as GCJ-02. Their inverses are the libraries' one-step approximations,
so inverses are checked the other way round: from the reference's output back
to (116.404, 39.915).
"""

from __future__ import annotations

import pytest

from kernel.normalize.geo import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    distance_metres,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from jjj.case.v1 import case_pb2

# Half the promised metre: a formula error of a metre or more cannot pass.
TOLERANCE_METRES = 0.5
POINT = (116.404, 39.915)
GCJ02_OF_POINT = (116.41024449916938, 39.91640428150164)  # wgs84togcj02(116.404, 39.915)
BD09_OF_POINT_AS_GCJ02 = (116.41036949371029, 39.92133699351021)  # gcj02tobd09(116.404, 39.915)
BD09_OF_POINT = (116.41662724378733, 39.922699552216216)  # wgs84 -> gcj02 -> bd09 of (116.404, 39.915)


@pytest.mark.parametrize(
    ("transform", "given", "expected"),
    [
        (wgs84_to_gcj02, POINT, GCJ02_OF_POINT),
        (gcj02_to_bd09, POINT, BD09_OF_POINT_AS_GCJ02),
        (wgs84_to_bd09, POINT, BD09_OF_POINT),
        (gcj02_to_wgs84, GCJ02_OF_POINT, POINT),
        (bd09_to_gcj02, BD09_OF_POINT_AS_GCJ02, POINT),
        (bd09_to_wgs84, BD09_OF_POINT, POINT),
    ],
    ids=["wgs84->gcj02", "gcj02->bd09", "wgs84->bd09", "gcj02->wgs84", "bd09->gcj02", "bd09->wgs84"],
)
def test_each_transform_lands_on_the_reference_point(transform, given, expected):
    assert distance_metres(transform(*given), expected) < TOLERANCE_METRES


@pytest.mark.parametrize(
    ("crs", "native"),
    [(case_pb2.CRS_GCJ02, GCJ02_OF_POINT), (case_pb2.CRS_BD09, BD09_OF_POINT)],
    ids=["gcj02", "bd09"],
)
def test_decoders_and_renderers_use_the_same_transforms(crs, native):
    assert distance_metres(to_wgs84(*native, crs), POINT) < TOLERANCE_METRES
    assert distance_metres(from_wgs84(*POINT, crs), native) < TOLERANCE_METRES


def test_the_tolerance_is_finer_than_the_offsets_it_guards():
    # A metre is about 9e-6 degrees of latitude: the tolerance is far below the old 5e-5 degrees.
    assert distance_metres(POINT, (POINT[0], POINT[1] + 5e-5)) > 5 * TOLERANCE_METRES
