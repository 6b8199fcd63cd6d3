"""Coordinate systems used by mainland maps: WGS-84, GCJ-02 ("Mars") and BD-09 (Baidu).

GCJ-02 is WGS-84 plus a published-by-reverse-engineering nonlinear offset on the
Krasovsky ellipsoid; BD-09 is GCJ-02 with a further rotation and shift. Both
forward transforms are closed formulas; their inverses are not, so the inverse is a
fixed-point iteration on the forward transform until the error is below 1e-9 degrees
(about 0.1 mm), far inside the 1 m the common model needs. CGCS2000 differs from
WGS-84 by centimetres, so it is treated as identical.

All functions take and return (lng, lat) in degrees, in that order.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from jjj.case.v1 import case_pb2

# Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses it.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# Baidu's constant for the BD-09 rotation.
_X_PI = math.pi * 3000.0 / 180.0
# BD-09 shift of origin applied after the rotation.
_BD_DLNG = 0.0065
_BD_DLAT = 0.006

INVERSE_TOLERANCE_DEGREES = 1e-9
_MAX_ITERATIONS = 50

# The GCJ-02 offset is only applied inside this rough box (the classic "out of China"
# test of every GCJ-02 implementation): outside it, GCJ-02 equals WGS-84.
_GCJ_BOX = (72.004, 137.8347, 0.8293, 55.8271)  # min lng, max lng, min lat, max lat

# in_mainland_china: a rough approximation, good for a data-quality flag only.
# Mainland bounding box (Mohe to Hainan's south coast, Pamirs to the Wusuli river;
# South China Sea islands south of Hainan fall outside), minus rough boxes for
# Taiwan (with Penghu), Hong Kong and Macao. Neighbouring countries inside the
# box (Mongolia, Korea, northern Vietnam ...) are NOT excluded.
_MAINLAND_BOX = (73.5, 135.1, 18.1, 53.6)
_EXCLUDED_BOXES = (
    (119.9, 122.1, 21.8, 25.4),  # Taiwan island
    (119.3, 119.9, 23.1, 23.9),  # Penghu
    (113.83, 114.44, 22.15, 22.50),  # Hong Kong (north of 22.50 is Shenzhen's side, mostly)
    (113.52, 113.60, 22.10, 22.216),  # Macao
)

LngLat = tuple[float, float]
Transform = Callable[[float, float], LngLat]


def _in_box(lng: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    min_lng, max_lng, min_lat, max_lat = box
    return min_lng <= lng <= max_lng and min_lat <= lat <= max_lat


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> LngLat:
    if not _in_box(lng, lat, _GCJ_BOX):
        return lng, lat
    dlat = _offset_lat(lng - 105.0, lat - 35.0)
    dlng = _offset_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * math.sin(radlat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_bd09(lng: float, lat: float) -> LngLat:
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + _BD_DLNG, z * math.sin(theta) + _BD_DLAT


def _bd09_to_gcj02_closed_form(lng: float, lat: float) -> LngLat:
    """Baidu's published approximate inverse (error ~1e-6 degrees); the iteration's start."""
    x = lng - _BD_DLNG
    y = lat - _BD_DLAT
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def _invert(forward: Transform, target: LngLat, start: LngLat) -> LngLat:
    """Solve forward(p) = target by fixed-point iteration p <- p - (forward(p) - target).

    Converges because both forward transforms are the identity plus an offset that
    changes very slowly with position (its derivative is far below 1).
    """
    lng, lat = start
    for _ in range(_MAX_ITERATIONS):
        mapped_lng, mapped_lat = forward(lng, lat)
        error_lng = mapped_lng - target[0]
        error_lat = mapped_lat - target[1]
        if abs(error_lng) < INVERSE_TOLERANCE_DEGREES and abs(error_lat) < INVERSE_TOLERANCE_DEGREES:
            break
        lng -= error_lng
        lat -= error_lat
    return lng, lat


def gcj02_to_wgs84(lng: float, lat: float) -> LngLat:
    return _invert(wgs84_to_gcj02, (lng, lat), (lng, lat))


def bd09_to_gcj02(lng: float, lat: float) -> LngLat:
    return _invert(gcj02_to_bd09, (lng, lat), _bd09_to_gcj02_closed_form(lng, lat))


def wgs84_to_bd09(lng: float, lat: float) -> LngLat:
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> LngLat:
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


def _identity(lng: float, lat: float) -> LngLat:
    return lng, lat


_TO_WGS84 = {
    case_pb2.CRS_WGS84: _identity,
    case_pb2.CRS_CGCS2000: _identity,
    case_pb2.CRS_GCJ02: gcj02_to_wgs84,
    case_pb2.CRS_BD09: bd09_to_wgs84,
}
_FROM_WGS84 = {
    case_pb2.CRS_WGS84: _identity,
    case_pb2.CRS_CGCS2000: _identity,
    case_pb2.CRS_GCJ02: wgs84_to_gcj02,
    case_pb2.CRS_BD09: wgs84_to_bd09,
}


def _converter(table: dict[int, Transform], crs: int) -> Transform:
    try:
        return table[crs]
    except KeyError:
        raise ValueError(f"no conversion for coordinate system {crs!r} (CRS_UNSPECIFIED has none)") from None


def to_wgs84(lng: float, lat: float, crs: int) -> LngLat:
    """Source coordinates in `crs` (a case_pb2.Crs value) -> WGS-84."""
    return _converter(_TO_WGS84, crs)(float(lng), float(lat))


def from_wgs84(lng: float, lat: float, crs: int) -> LngLat:
    """WGS-84 -> coordinates in `crs` (a case_pb2.Crs value), for renderers."""
    return _converter(_FROM_WGS84, crs)(float(lng), float(lat))


def in_mainland_china(lng: float, lat: float) -> bool:
    """Rough test (see the box constants above): inside mainland China, not Taiwan, HK or Macao."""
    if not _in_box(lng, lat, _MAINLAND_BOX):
        return False
    return not any(_in_box(lng, lat, box) for box in _EXCLUDED_BOXES)


def distance_metres(a: LngLat, b: LngLat) -> float:
    """Great-circle (haversine) distance between two (lng, lat) points, in metres."""
    earth_radius = 6371008.8
    lng1, lat1 = map(math.radians, a)
    lng2, lat2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * earth_radius * math.asin(math.sqrt(min(1.0, h)))
