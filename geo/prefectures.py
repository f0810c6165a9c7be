"""The 47 prefectures from data/prefectures.geojson, and lookup by code or Japanese/English name."""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, shape

from geo.datadir import data_file, resolve_data_dir
from geo.errors import GeoError
from geo.projection import area_km2, in_japan_box

PREFECTURES_FILE = "prefectures.geojson"
PREFECTURE_CODES = tuple(f"{n:02d}" for n in range(1, 48))
_REQUIRED = ("code", "name_ja", "name_en", "region_en", "capital_code", "capital_lat", "capital_lon",
             "label_lat", "label_lon")


@dataclass(frozen=True)
class Prefecture:
    """One prefecture: JIS code ("17"), names, region, capital city office, label point, area, outline."""

    code: str
    name_ja: str
    name_en: str
    region_en: str
    capital_code: str
    capital_lat: float
    capital_lon: float
    label_lat: float
    label_lon: float
    area_km2: float
    geometry: MultiPolygon = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class PrefectureTable:
    """Loaded prefectures in code order, and the lookup index of every accepted key."""

    items: tuple[Prefecture, ...]
    by_code: dict[str, Prefecture]
    index: dict[str, Prefecture]


def normalise_key(text: str) -> str:
    """Lookup form of a name or code: NFKC, no spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _bad(where: str, problem_en: str, problem_ja: str) -> GeoError:
    return GeoError(PREFECTURES_FILE, f"{PREFECTURES_FILE}: {where}: {problem_en}",
                    f"{PREFECTURES_FILE}: {where}: {problem_ja}")


def _read_feature(position: int, feature: object) -> Prefecture:
    where = f"features[{position}]"
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise _bad(where, "not a Feature with properties", "properties を持つ Feature ではありません")
    props = feature["properties"]
    missing = [key for key in _REQUIRED if props.get(key) in (None, "")]
    if missing:
        raise _bad(where, f"missing properties {', '.join(missing)}", f"プロパティ {', '.join(missing)} がありません")
    code = str(props["code"])
    where = f"{where} (code {code})"
    if code not in PREFECTURE_CODES:
        raise _bad(where, "code must be a JIS prefecture code 01..47", "code は JIS 都道府県コード 01～47 です")
    try:
        geometry = shape(feature["geometry"])
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise _bad(where, f"unreadable geometry ({exc})", f"ジオメトリを読めません（{exc}）") from None
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon([geometry])
    if geometry.geom_type != "MultiPolygon" or geometry.is_empty:
        raise _bad(where, f"geometry must be a non-empty (Multi)Polygon, got {geometry.geom_type}",
                   f"ジオメトリは空でない (Multi)Polygon でなければなりません（{geometry.geom_type}）")
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise _bad(where, f"invalid geometry: {reason}", f"ジオメトリが不正です: {reason}")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (in_japan_box(min_lon, min_lat) and in_japan_box(max_lon, max_lat)):
        raise _bad(where, f"geometry bounds {geometry.bounds} reach outside Japan",
                   f"ジオメトリの範囲 {geometry.bounds} が日本の外に出ています")
    try:
        numbers = {key: float(props[key]) for key in ("capital_lat", "capital_lon", "label_lat", "label_lon")}
    except (TypeError, ValueError):
        raise _bad(where, "capital/label coordinates must be numbers", "首都・ラベル座標は数値です") from None
    return Prefecture(code=code, name_ja=str(props["name_ja"]), name_en=str(props["name_en"]),
                      region_en=str(props["region_en"]), capital_code=str(props["capital_code"]),
                      area_km2=area_km2(geometry), geometry=geometry, **numbers)


def _index(items: tuple[Prefecture, ...]) -> dict[str, Prefecture]:
    index: dict[str, Prefecture] = {}
    for pref in items:
        short_ja = pref.name_ja[:-1] if pref.name_ja[-1] in "都府県" else pref.name_ja
        keys = {pref.code, str(int(pref.code)), f"jp-{pref.code}", pref.name_ja, short_ja, pref.name_en}
        for key in keys:
            index[normalise_key(key)] = pref
    return index


@lru_cache(maxsize=8)
def load_prefecture_table(data_dir: Path) -> PrefectureTable:
    """Read and validate prefectures.geojson once per data directory."""
    path = data_file(data_dir, PREFECTURES_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad("file", f"not readable JSON ({exc})", f"JSON として読めません（{exc}）") from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise _bad("file", "not a FeatureCollection", "FeatureCollection ではありません")
    by_code: dict[str, Prefecture] = {}
    for position, feature in enumerate(features):
        pref = _read_feature(position, feature)
        if pref.code in by_code:
            raise _bad(f"features[{position}]", f"prefecture {pref.code} appears twice",
                       f"都道府県 {pref.code} が重複しています")
        by_code[pref.code] = pref
    missing = [code for code in PREFECTURE_CODES if code not in by_code]
    if missing:
        raise _bad("file", f"{len(by_code)} prefectures instead of 47; missing code(s) {', '.join(missing)}",
                   f"都道府県が 47 ではなく {len(by_code)} です。欠けているコード: {', '.join(missing)}")
    items = tuple(by_code[code] for code in PREFECTURE_CODES)
    return PrefectureTable(items=items, by_code=by_code, index=_index(items))


def prefectures(data_dir: str | Path | None = None) -> tuple[Prefecture, ...]:
    """All 47 prefectures in JIS code order."""
    return load_prefecture_table(resolve_data_dir(data_dir)).items


def prefecture(key: str | int, data_dir: str | Path | None = None, *, field_name: str = "prefecture") -> Prefecture:
    """One prefecture by code ("17", 17, "JP-17") or name ("石川県", "石川", "Ishikawa"); else GeoError."""
    table = load_prefecture_table(resolve_data_dir(data_dir))
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise GeoError(field_name, f"{field_name} must be a code or a name, got {key!r}",
                       f"{field_name} はコードまたは名前で指定してください（受け取った値: {key!r}）")
    found = table.index.get(normalise_key(str(key)))
    if found is None:
        close = difflib.get_close_matches(normalise_key(str(key)), list(table.index), n=3, cutoff=0.6)
        guesses = list(dict.fromkeys(table.index[c] for c in close))
        hint_en = f"; did you mean {', '.join(p.name_en for p in guesses)}?" if guesses else ""
        hint_ja = f"（候補: {'、'.join(p.name_ja for p in guesses)}）" if guesses else ""
        raise GeoError(field_name, f"unknown prefecture {key!r}: use a JIS code 01..47 or a name{hint_en}",
                       f"都道府県 {key!r} が見つかりません。JIS コード 01～47 か名前で指定してください{hint_ja}")
    return found
