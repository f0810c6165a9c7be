"""Reading a user's GeoJSON area: structure checks, Japan's box, safe repair of invalid polygons."""

from __future__ import annotations

import json
import math
from typing import Any

import shapely
from shapely.geometry import Polygon

from geo.errors import GeoError
from geo.projection import (
    JAPAN_MAX_LAT,
    JAPAN_MAX_LON,
    JAPAN_MIN_LAT,
    JAPAN_MIN_LON,
    in_japan_box,
    swapped_hint_en,
    swapped_hint_ja,
    to_equal_area,
)

FIELD = "geojson"
# A repair is "safe" when the repaired area differs from the area the rings describe by at most this share.
REPAIR_TOLERANCE = 0.01


def _error(path: str, problem_en: str, problem_ja: str) -> GeoError:
    return GeoError(FIELD, f"{path}: {problem_en}", f"{path}: {problem_ja}")


def read_geojson_area(value: Any) -> tuple[shapely.Geometry, tuple[str, ...]]:
    """The union of the polygons in a GeoJSON dict or string (lon/lat, valid), and repair warnings."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _error(FIELD, f"not valid JSON ({exc})", f"JSON として読めません（{exc}）") from None
    warnings: list[str] = []
    polygons = [_repaired(polygon, path, warnings) for polygon, path in _polygons(value, FIELD)]
    area = shapely.union_all([p for p in polygons if not p.is_empty])
    if area.is_empty or area.area == 0:
        raise _error(FIELD, "the polygons enclose no area", "ポリゴンに面積がありません")
    return area, tuple(warnings)


def _polygons(node: Any, path: str) -> list[tuple[list[Any], str]]:
    """Every polygon's rings (with its JSON path) in a GeoJSON object."""
    if not isinstance(node, dict):
        raise _error(path, "must be a GeoJSON object", "GeoJSON オブジェクトでなければなりません")
    kind = node.get("type")
    if kind == "FeatureCollection":
        features = node.get("features")
        if not isinstance(features, list) or not features:
            raise _error(path, "the FeatureCollection has no features", "FeatureCollection に Feature がありません")
        return [found for i, f in enumerate(features) for found in _polygons(f, f"{path}.features[{i}]")]
    if kind == "Feature":
        if node.get("geometry") is None:
            raise _error(path, "the Feature has no geometry", "Feature に geometry がありません")
        return _polygons(node["geometry"], f"{path}.geometry")
    if kind == "GeometryCollection":
        members = node.get("geometries")
        if not isinstance(members, list) or not members:
            raise _error(path, "the GeometryCollection is empty", "GeometryCollection が空です")
        return [found for i, g in enumerate(members) for found in _polygons(g, f"{path}.geometries[{i}]")]
    coordinates = node.get("coordinates")
    if kind == "Polygon":
        return [(_rings(coordinates, f"{path}.coordinates"), f"{path}.coordinates")]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise _error(path, "the MultiPolygon has no polygons", "MultiPolygon にポリゴンがありません")
        return [(_rings(rings, f"{path}.coordinates[{i}]"), f"{path}.coordinates[{i}]")
                for i, rings in enumerate(coordinates)]
    if kind in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        raise _error(path, f"a {kind} has no area; give a Polygon or MultiPolygon (or an epicentre and radius)",
                     f"{kind} には面積がありません。Polygon か MultiPolygon（または震央と半径）を指定してください")
    raise _error(path, f"unsupported GeoJSON type {kind!r}", f"対応していない GeoJSON の type です: {kind!r}")


def _rings(rings: Any, path: str) -> list[list[tuple[float, float]]]:
    if not isinstance(rings, list) or not rings:
        raise _error(path, "a polygon needs at least one ring", "ポリゴンには少なくとも 1 つのリングが必要です")
    return [_ring(ring, f"{path}[{i}]") for i, ring in enumerate(rings)]


def _ring(ring: Any, path: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise _error(path, "a ring must be a list of positions", "リングは座標の配列です")
    points = []
    for i, position in enumerate(ring):
        where = f"{path}[{i}]"
        if (not isinstance(position, list | tuple) or len(position) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])):
            raise _error(where, f"a position must be [longitude, latitude] numbers, got {position!r}",
                         f"座標は [経度, 緯度] の数値です（{position!r}）")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise _error(where, f"coordinate ({lon}, {lat}) is not finite", f"座標 ({lon}, {lat}) が有限ではありません")
        if not in_japan_box(lon, lat):
            raise _error(where, f"coordinate ({lon:g}, {lat:g}) is outside Japan (longitude {JAPAN_MIN_LON:g}–"
                         f"{JAPAN_MAX_LON:g}, latitude {JAPAN_MIN_LAT:g}–{JAPAN_MAX_LAT:g})"
                         + swapped_hint_en(lon, lat),
                         f"座標 ({lon:g}, {lat:g}) は日本の範囲外です（経度 {JAPAN_MIN_LON:g}～{JAPAN_MAX_LON:g}、"
                         f"緯度 {JAPAN_MIN_LAT:g}～{JAPAN_MAX_LAT:g}）" + swapped_hint_ja(lon, lat))
        points.append((lon, lat))
    if len(points) < 4:
        raise _error(path, f"a ring needs at least 4 positions (first = last), got {len(points)}",
                     f"リングには少なくとも 4 点（始点 = 終点）が必要です（{len(points)} 点）")
    if points[0] != points[-1]:
        raise _error(path, f"the ring is not closed: first {points[0]} differs from last {points[-1]}",
                     f"リングが閉じていません: 始点 {points[0]} と終点 {points[-1]} が異なります")
    return points


def _filled_km2(ring: list[tuple[float, float]]) -> float:
    """Area a single ring encloses, counting every loop once (GEOS 'structure' repair of the ring alone)."""
    filled = shapely.make_valid(Polygon(ring), method="structure", keep_collapsed=False)
    return float(to_equal_area(filled).area) / 1e6


def _repaired(rings: list[list[tuple[float, float]]], path: str, warnings: list[str]) -> shapely.Geometry:
    polygon = Polygon(rings[0], rings[1:])
    if polygon.is_valid:
        return polygon
    reason = shapely.is_valid_reason(polygon)
    repaired = shapely.make_valid(polygon)
    repaired = shapely.union_all(shapely.get_parts(repaired)[
        shapely.get_type_id(shapely.get_parts(repaired)) == shapely.GeometryType.POLYGON])
    described = _filled_km2(rings[0]) - sum(_filled_km2(hole) for hole in rings[1:])
    repaired_km2 = float(to_equal_area(repaired).area) / 1e6 if not repaired.is_empty else 0.0
    if described <= 0 or abs(repaired_km2 - described) > REPAIR_TOLERANCE * described:
        raise _error(path, f"invalid polygon ({reason}) that cannot be repaired safely: the repair would change "
                     f"its area from {described:.1f} km² to {repaired_km2:.1f} km²",
                     f"不正なポリゴン（{reason}）を安全に修復できません: 修復すると面積が {described:.1f} km² から "
                     f"{repaired_km2:.1f} km² に変わります")
    warnings.append(f"{path}: invalid polygon ({reason}) repaired with make_valid; area {described:.1f} km² "
                    f"-> {repaired_km2:.1f} km²")
    return repaired
