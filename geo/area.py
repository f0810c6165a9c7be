"""Affected-area resolution: prefectures, municipalities, a GeoJSON area or an epicentre with a radius
resolve to the affected prefectures, municipalities and therefore associations."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from geo.associations import load_association_table
from geo.datadir import resolve_data_dir
from geo.errors import GeoError
from geo.geojson_input import read_geojson_area
from geo.municipalities import Municipality, load_municipality_table, municipality
from geo.prefectures import PrefectureTable, load_prefecture_table, prefecture
from geo.projection import WGS84, check_lon_lat, to_equal_area

# A prefecture touched by a drawn area counts only from this share of its area on: the 1:10M borders are
# off by kilometres (data/README.md), so thinner slivers say nothing about the prefecture.
MIN_OVERLAP_SHARE = 0.05
# Slivers from this share up are reported as warnings, so a user sees what was left out and why.
REPORTED_SLIVER_SHARE = 0.005
MAX_RADIUS_KM = 500.0
MAX_EPICENTRE_GAP_KM = 200.0
CIRCLE_VERTICES = 128
# Straight lon/lat edges are densified before projecting so the equal-area shape follows them.
DENSIFY_DEGREES = 0.05

LISTED = "listed"
IN_LISTED_PREFECTURE = "in listed prefecture"
CONTAINS_LISTED_MUNICIPALITY = "contains listed municipality"
WARD_OF_LISTED_CITY = "ward of listed city"
CITY_OF_LISTED_WARD = "city of listed ward"
COVERS_MUNICIPAL_OFFICE = "covers municipal office"
OVERLAP_SHARE = "overlap share"
OFFICE_INSIDE_AREA = "office inside area"
INSIDE_RADIUS = "inside radius"
CITY_OF_AFFECTED_WARD = "city of affected ward"


@dataclass(frozen=True)
class AffectedPrefecture:
    """An affected prefecture, how it was reached, and (for drawn areas) the share of its area covered."""

    code: str
    name_ja: str
    name_en: str
    reached_by: str
    overlap_share: float | None


@dataclass(frozen=True)
class AffectedMunicipality:
    """An affected municipality or ward, how it was reached, and its office's distance from an epicentre."""

    code: str
    name_ja: str
    pref_code: str
    reached_by: str
    distance_km: float | None


@dataclass(frozen=True)
class AffectedAssociation:
    """An affected association and why (e.g. "prefecture 17 affected (listed)")."""

    id: str
    name_ja: str
    reason: str


@dataclass(frozen=True)
class AffectedArea:
    """The resolved area: affected prefectures, municipalities and associations, sorted, plus warnings."""

    prefectures: tuple[AffectedPrefecture, ...]
    municipalities: tuple[AffectedMunicipality, ...]
    associations: tuple[AffectedAssociation, ...]
    warnings: tuple[str, ...]
    source: str

    @property
    def association_ids(self) -> frozenset[str]:
        """Ids of the affected associations."""
        return frozenset(a.id for a in self.associations)

    @property
    def prefecture_codes(self) -> tuple[str, ...]:
        """Codes of the affected prefectures, sorted."""
        return tuple(p.code for p in self.prefectures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"source": self.source, "prefecture_codes": list(self.prefecture_codes),
                "association_ids": sorted(self.association_ids),
                "prefectures": [asdict(p) for p in self.prefectures],
                "municipalities": [asdict(m) for m in self.municipalities],
                "associations": [asdict(a) for a in self.associations],
                "warnings": list(self.warnings)}


@dataclass(frozen=True)
class _Index:
    """Per data directory: prefecture outlines in the equal-area projection and a search tree over them."""

    codes: tuple[str, ...]
    lonlat: tuple[shapely.Geometry, ...]
    equal_area: tuple[shapely.Geometry, ...]
    areas_m2: np.ndarray
    tree: shapely.STRtree
    lonlat_tree: shapely.STRtree


@lru_cache(maxsize=8)
def _index(data_dir: Path) -> _Index:
    items = load_prefecture_table(data_dir).items
    lonlat = tuple(p.geometry for p in items)
    equal_area = tuple(to_equal_area(shapely.segmentize(g, DENSIFY_DEGREES)) for g in lonlat)
    for geometry in (*equal_area, *lonlat):
        shapely.prepare(geometry)
    return _Index(codes=tuple(p.code for p in items), lonlat=lonlat, equal_area=equal_area,
                  areas_m2=np.array([g.area for g in equal_area]), tree=shapely.STRtree(equal_area),
                  lonlat_tree=shapely.STRtree(lonlat))


def prepare_area_index(data_dir: str | Path | None = None) -> None:
    """Build the cached outlines and search trees now, so the first resolution is as fast as the rest."""
    _index(resolve_data_dir(data_dir))


@lru_cache(maxsize=512)
def _whole_prefecture(data_dir: Path, pref_code: str) -> tuple[AffectedMunicipality, ...]:
    return tuple(AffectedMunicipality(m.code, m.name_ja, m.pref_code, IN_LISTED_PREFECTURE, None)
                 for m in load_municipality_table(data_dir).in_prefecture[pref_code])


def resolve_area(*, prefectures: Any = None, municipalities: Any = None, geojson: Any = None,
                 epicentre: Any = None, radius_km: Any = None,
                 data_dir: str | Path | None = None) -> AffectedArea:
    """Resolve exactly one kind of area (prefectures, municipalities, geojson, epicentre + radius_km)."""
    given = [name for name, value in (("prefectures", prefectures), ("municipalities", municipalities),
                                      ("geojson", geojson), ("epicentre", epicentre)) if value is not None]
    if len(given) != 1:
        named = ", ".join(given) if given else "none"
        raise GeoError("area", f"give exactly one of prefectures, municipalities, geojson or epicentre "
                       f"(with radius_km); got {named}", f"prefectures・municipalities・geojson・epicentre"
                       f"（radius_km 付き）のどれか 1 つだけを指定してください（指定されたもの: {named}）")
    if radius_km is not None and epicentre is None:
        raise GeoError("radius_km", "radius_km is only used with an epicentre",
                       "radius_km は epicentre と一緒にだけ指定できます")
    root = resolve_data_dir(data_dir)
    if prefectures is not None:
        return _from_prefectures(prefectures, root)
    if municipalities is not None:
        return _from_municipalities(municipalities, root)
    if geojson is not None:
        return _from_geojson(geojson, root)
    return _from_epicentre(epicentre, radius_km, root)


def _keys(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):
        keys: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, int) and not isinstance(value, bool):
        keys = [value]
    elif isinstance(value, Iterable) and not isinstance(value, dict):
        keys = list(value)
    else:
        raise GeoError(field, f"{field} must be a list of codes or names, got {value!r}",
                       f"{field} はコードまたは名前のリストで指定してください（受け取った値: {value!r}）")
    if not keys:
        raise GeoError(field, f"{field} is empty: list at least one", f"{field} が空です。1 つ以上指定してください")
    return keys


def _from_prefectures(value: Any, root: Path) -> AffectedArea:
    codes = sorted({prefecture(key, root, field_name="prefectures").code for key in _keys(value, "prefectures")})
    table = load_prefecture_table(root)
    prefs = {code: _affected_prefecture(table, code, LISTED, None) for code in codes}
    munis = [m for code in codes for m in _whole_prefecture(root, code)]
    return _finish(prefs, munis, [], "prefectures", root)


def _from_municipalities(value: Any, root: Path) -> AffectedArea:
    table = load_municipality_table(root)
    listed = {municipality(str(key) if isinstance(key, int) else key, root, field_name="municipalities").code
              for key in _keys(value, "municipalities")}
    reached: dict[str, str] = {}
    for code in sorted(listed):
        reached[code] = LISTED
        m = table.by_code[code]
        # A ward belongs to its designated city, and a designated city is all of its wards.
        if m.parent_code and m.parent_code not in listed:
            reached.setdefault(m.parent_code, CITY_OF_LISTED_WARD)
        for ward in table.wards_of.get(code, ()):
            if ward.code not in listed:
                reached.setdefault(ward.code, WARD_OF_LISTED_CITY)
    munis = [_affected_municipality(table.by_code[code], how, None) for code, how in reached.items()]
    prefs_table = load_prefecture_table(root)
    prefs = {code: _affected_prefecture(prefs_table, code, CONTAINS_LISTED_MUNICIPALITY, None)
             for code in sorted({table.by_code[code].pref_code for code in listed})}
    return _finish(prefs, munis, [], "municipalities", root)


def _from_geojson(value: Any, root: Path) -> AffectedArea:
    area, repair_warnings = read_geojson_area(value)
    table = load_municipality_table(root)
    inside = shapely.intersects_xy(area, table.lons, table.lats)
    office_distance = np.full(len(table.items), np.nan)
    return _covered(area, inside, office_distance, OFFICE_INSIDE_AREA, None, list(repair_warnings),
                    "geojson", root)


def _check_radius(radius_km: Any) -> float:
    if radius_km is None:
        raise GeoError("radius_km", "an epicentre needs radius_km (0 < radius <= 500)",
                       "epicentre には radius_km（0 より大きく 500 以下）が必要です")
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        radius = math.nan
    if isinstance(radius_km, bool) or not math.isfinite(radius) or radius <= 0 or radius > MAX_RADIUS_KM:
        raise GeoError("radius_km", f"radius_km must be a number greater than 0 and at most {MAX_RADIUS_KM:g} km, "
                       f"got {radius_km!r}", f"radius_km は 0 より大きく {MAX_RADIUS_KM:g} km 以下の数値です"
                       f"（受け取った値: {radius_km!r}）")
    return radius


def _gap_to_land_km(lon: float, lat: float, root: Path) -> float:
    """Geodesic distance from the point to the nearest prefecture outline (0 inside one)."""
    index = _index(root)
    point = Point(lon, lat)
    if len(index.lonlat_tree.query(point, predicate="intersects")):
        return 0.0
    # Candidates within a generous degree box, then exact distances in an azimuthal equidistant projection
    # centred on the point (distances from its centre are geodesic).
    reach_lat = MAX_EPICENTRE_GAP_KM / 110.0
    reach_lon = reach_lat / max(math.cos(math.radians(lat)), 0.1)
    search_box = shapely.box(lon - reach_lon, lat - reach_lat, lon + reach_lon, lat + reach_lat)
    candidates = index.lonlat_tree.query(search_box)
    if not len(candidates):
        return math.inf
    local = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m",
                                 always_xy=True)

    def forward(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(local.transform(coords[:, 0], coords[:, 1]))

    origin = Point(0.0, 0.0)
    return min(shapely.transform(index.lonlat[i], forward).distance(origin) for i in candidates) / 1000.0


def _from_epicentre(value: Any, radius_km: Any, root: Path) -> AffectedArea:
    lon, lat = check_lon_lat(value, "epicentre")
    radius = _check_radius(radius_km)
    gap = _gap_to_land_km(lon, lat, root)
    if gap > MAX_EPICENTRE_GAP_KM:
        shown = "more than 200" if math.isinf(gap) else f"{gap:.0f}"
        raise GeoError("epicentre", f"epicentre ({lon}, {lat}) is {shown} km from the nearest prefecture "
                       f"(at most {MAX_EPICENTRE_GAP_KM:g} km)", f"震央 ({lon}, {lat}) は最も近い都道府県から "
                       f"{shown} km 離れています（上限 {MAX_EPICENTRE_GAP_KM:g} km）")
    azimuths = np.linspace(0.0, 360.0, CIRCLE_VERTICES, endpoint=False)
    ring_lons, ring_lats, _ = WGS84.fwd(np.full(CIRCLE_VERTICES, lon), np.full(CIRCLE_VERTICES, lat), azimuths,
                                        np.full(CIRCLE_VERTICES, radius * 1000.0))
    circle = Polygon(np.column_stack([ring_lons, ring_lats]))
    table = load_municipality_table(root)
    # Geodesic distances only for offices in the circle's bounding box (padded): the rest are out of reach.
    west, south, east, north = circle.bounds
    pad = 0.01
    near = np.flatnonzero((table.lons >= west - pad) & (table.lons <= east + pad)
                          & (table.lats >= south - pad) & (table.lats <= north + pad))
    distance = np.full(len(table.items), np.inf)
    if len(near):
        _, _, metres = WGS84.inv(np.full(len(near), lon), np.full(len(near), lat), table.lons[near], table.lats[near])
        distance[near] = np.asarray(metres) / 1000.0
    # The city of an affected ward is affected too; report its own office's distance even when out of reach.
    parents = {table.items[i].parent_code for i in np.flatnonzero(distance <= radius)} - {None}
    for code in parents:
        position = table.position[code]  # type: ignore[index]
        if not np.isfinite(distance[position]):
            distance[position] = WGS84.inv(lon, lat, table.lons[position], table.lats[position])[2] / 1000.0
    return _covered(circle, distance <= radius, distance, INSIDE_RADIUS, INSIDE_RADIUS, [], "epicentre", root)


def _covered(area: shapely.Geometry, inside: np.ndarray, distance: np.ndarray, municipality_reached: str,
             prefecture_reached: str | None, warnings: list[str], source: str, root: Path) -> AffectedArea:
    """Affected municipalities (offices inside) and prefectures (office inside or share >= 5 %)."""
    table = load_municipality_table(root)
    reached: dict[str, str] = {}
    for position in np.flatnonzero(inside):
        reached[table.items[position].code] = municipality_reached
    for code in list(reached):
        parent = table.by_code[code].parent_code
        if parent and parent not in reached:
            reached[parent] = CITY_OF_AFFECTED_WARD
    munis = [_affected_municipality(table.by_code[code], how, _finite(distance[table.position[code]]))
             for code, how in reached.items()]
    offices_in = {table.by_code[code].pref_code for code in reached}
    shares = _overlap_shares(area, root)
    prefs_table = load_prefecture_table(root)
    prefs = {}
    for code in sorted(offices_in | {c for c, share in shares.items() if share >= MIN_OVERLAP_SHARE}):
        how = prefecture_reached or (COVERS_MUNICIPAL_OFFICE if code in offices_in else OVERLAP_SHARE)
        prefs[code] = _affected_prefecture(prefs_table, code, how, round(shares.get(code, 0.0), 4))
    for code, share in sorted(shares.items()):
        if code not in prefs and share >= REPORTED_SLIVER_SHARE:
            warnings.append(f"prefecture {code} {prefs_table.by_code[code].name_ja}: {share:.1%} of its area is "
                            f"covered but no municipal office; below {MIN_OVERLAP_SHARE:.0%}, not counted")
    if not prefs:
        warnings.append("no municipal office and no prefecture share of 5 % or more lies in the area: "
                        "nothing is affected")
    return _finish(prefs, munis, warnings, source, root)


def _overlap_shares(area: shapely.Geometry, root: Path) -> dict[str, float]:
    """Share of each touched prefecture's area that the lon/lat area covers (equal-area)."""
    index = _index(root)
    projected = to_equal_area(shapely.segmentize(area, DENSIFY_DEGREES))
    shapely.prepare(projected)
    shares = {}
    for i in index.tree.query(projected, predicate="intersects"):
        outline = index.equal_area[i]
        if projected.contains(outline):
            shares[index.codes[i]] = 1.0
        else:
            shares[index.codes[i]] = float(shapely.intersection(outline, projected).area / index.areas_m2[i])
    return shares


def _finite(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def _affected_prefecture(table: PrefectureTable, code: str, how: str, share: float | None) -> AffectedPrefecture:
    pref = table.by_code[code]
    return AffectedPrefecture(pref.code, pref.name_ja, pref.name_en, how, share)


def _affected_municipality(m: Municipality, how: str, distance: float | None) -> AffectedMunicipality:
    return AffectedMunicipality(m.code, m.name_ja, m.pref_code, how, distance)


def _finish(prefs: dict[str, AffectedPrefecture], munis: list[AffectedMunicipality], warnings: list[str],
            source: str, root: Path) -> AffectedArea:
    """Sort, and derive the affected associations from the affected prefectures and cities."""
    by_municipality = {m.code: m for m in munis}
    affected = []
    for item in load_association_table(root).items:
        if item.kind == "prefecture" and item.prefecture_code in prefs:
            reason = f"prefecture {item.prefecture_code} affected ({prefs[item.prefecture_code].reached_by})"
        elif item.kind == "city" and item.municipality_code in by_municipality:
            city = by_municipality[item.municipality_code]
            reason = f"city {city.code} {city.name_ja} affected ({city.reached_by})"
        else:
            continue
        affected.append(AffectedAssociation(item.id, item.name_ja, reason))
    return AffectedArea(prefectures=tuple(prefs[code] for code in sorted(prefs)),
                        municipalities=tuple(sorted(munis, key=lambda m: m.code)),
                        associations=tuple(affected), warnings=tuple(warnings), source=source)

