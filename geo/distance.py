"""Geodesic distances on the WGS84 ellipsoid between places, and the cached matrix among associations."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from geo.associations import association, load_association_table
from geo.datadir import resolve_data_dir
from geo.errors import GeoError
from geo.municipalities import municipality
from geo.projection import WGS84


def _point(value: tuple[float, float], field: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise GeoError(field, f"{field} must be a (longitude, latitude) pair, got {value!r}",
                       f"{field} は (経度, 緯度) の組です（受け取った値: {value!r}）") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeoError(field, f"{field} ({lon}, {lat}) is not a longitude/latitude pair",
                       f"{field} ({lon}, {lat}) は経度・緯度の組ではありません")
    return lon, lat


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic (WGS84) distance in km between two (lon, lat) points."""
    lon_a, lat_a = _point(a, "a")
    lon_b, lat_b = _point(b, "b")
    return float(WGS84.inv(lon_a, lat_a, lon_b, lat_b)[2]) / 1000.0


@lru_cache(maxsize=8)
def _matrix(data_dir: Path) -> tuple[tuple[str, ...], np.ndarray, dict[str, int]]:
    items = load_association_table(data_dir).items
    ids = tuple(a.id for a in items)
    lons = np.array([a.lon for a in items])
    lats = np.array([a.lat for a in items])
    rows, cols = np.triu_indices(len(items), k=1)
    _, _, metres = WGS84.inv(lons[rows], lats[rows], lons[cols], lats[cols])
    matrix = np.zeros((len(items), len(items)))
    matrix[rows, cols] = np.asarray(metres) / 1000.0
    matrix[cols, rows] = matrix[rows, cols]  # filled from one triangle so it is exactly symmetric
    matrix.setflags(write=False)
    return ids, matrix, {ident: i for i, ident in enumerate(ids)}


def association_distance_matrix(data_dir: str | Path | None = None) -> tuple[tuple[str, ...], np.ndarray]:
    """Association ids (sorted) and the symmetric, read-only matrix of geodesic distances between them in km."""
    ids, matrix, _ = _matrix(resolve_data_dir(data_dir))
    return ids, matrix


def association_distance_km(a_id: str, b_id: str, data_dir: str | Path | None = None) -> float:
    """Geodesic distance in km between two associations' places."""
    _, matrix, position = _matrix(resolve_data_dir(data_dir))
    first = association(a_id, data_dir).id
    second = association(b_id, data_dir).id
    return float(matrix[position[first], position[second]])


def place_to_association_km(municipality_code: str, association_id: str, data_dir: str | Path | None = None) -> float:
    """Geodesic distance in km from a municipality's office to an association's place."""
    place = municipality(municipality_code, data_dir, field_name="municipality_code")
    target = association(association_id, data_dir)
    return distance_km((place.lon, place.lat), (target.lon, target.lat))
