"""Coordinate systems shared by geo: Japan's plausibility box, an equal-area projection, the WGS84 ellipsoid."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Geod, Transformer

from geo.errors import GeoError

# The brief's plausibility box for coordinates in Japan (includes Yonaguni, Minami-Torishima, Etorofu).
JAPAN_MIN_LON, JAPAN_MAX_LON = 122.0, 154.0
JAPAN_MIN_LAT, JAPAN_MAX_LAT = 20.0, 46.0

# Albers equal-area conic with standard parallels spanning Japan: areas are exact on the ellipsoid, and
# shapes stay close enough that straight projected edges follow the (densified) lon/lat edges.
EQUAL_AREA_PROJ = "+proj=aea +lat_1=25 +lat_2=45 +lat_0=35 +lon_0=136 +ellps=WGS84 +units=m +no_defs"

WGS84 = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def _to_equal_area() -> Transformer:
    return Transformer.from_crs("EPSG:4326", EQUAL_AREA_PROJ, always_xy=True)


def to_equal_area(geometry: shapely.Geometry) -> shapely.Geometry:
    """The geometry (lon/lat) in the equal-area projection, metres."""
    transformer = _to_equal_area()

    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, forward)


def area_km2(geometry: shapely.Geometry) -> float:
    """Ellipsoidal area of a lon/lat geometry in km², via the equal-area projection."""
    return float(to_equal_area(geometry).area) / 1e6


def in_japan_box(lon: float, lat: float) -> bool:
    """Whether (lon, lat) lies in Japan's plausibility box."""
    return JAPAN_MIN_LON <= lon <= JAPAN_MAX_LON and JAPAN_MIN_LAT <= lat <= JAPAN_MAX_LAT


def check_lon_lat(value: object, field: str) -> tuple[float, float]:
    """A (lon, lat) pair of finite numbers in Japan's box, or GeoError naming the field."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    try:
        lon, lat = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise GeoError(field, f"{field} must be a (longitude, latitude) pair of numbers, got {value!r}",
                       f"{field} は (経度, 緯度) の数値の組で指定してください（受け取った値: {value!r}）") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeoError(field, f"{field} ({lon}, {lat}) is not a finite coordinate",
                       f"{field} ({lon}, {lat}) は有限の座標ではありません")
    if not in_japan_box(lon, lat):
        raise GeoError(field, f"{field} ({lon}, {lat}) is outside Japan (longitude {JAPAN_MIN_LON:g}–"
                       f"{JAPAN_MAX_LON:g}, latitude {JAPAN_MIN_LAT:g}–{JAPAN_MAX_LAT:g})"
                       + swapped_hint_en(lon, lat),
                       f"{field} ({lon}, {lat}) は日本の範囲外です（経度 {JAPAN_MIN_LON:g}～{JAPAN_MAX_LON:g}、"
                       f"緯度 {JAPAN_MIN_LAT:g}～{JAPAN_MAX_LAT:g}）" + swapped_hint_ja(lon, lat))
    return lon, lat


def swapped_hint_en(lon: float, lat: float) -> str:
    """A hint when the pair looks like (lat, lon) instead of (lon, lat)."""
    return "; longitude and latitude look swapped (GeoJSON order is lon, lat)" if in_japan_box(lat, lon) else ""


def swapped_hint_ja(lon: float, lat: float) -> str:
    """Japanese form of swapped_hint_en."""
    return "。経度と緯度が逆のようです（GeoJSON は経度, 緯度の順）" if in_japan_box(lat, lon) else ""
