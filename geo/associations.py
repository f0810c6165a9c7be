"""The regional international associations from data/associations.csv, with their places."""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.datadir import data_file, resolve_data_dir
from geo.errors import GeoError
from geo.municipalities import load_municipality_table
from geo.prefectures import load_prefecture_table, prefecture
from geo.projection import in_japan_box

ASSOCIATIONS_FILE = "associations.csv"
_COLUMNS = ("id", "name_ja", "name_en", "kind", "prefecture_code", "city_ja", "block", "verified",
            "block_confidence", "municipality_code", "lat", "lon")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Association:
    """One association: id, names, prefecture or city kind, block, verification flags, place."""

    id: str
    name_ja: str
    name_en: str
    kind: str
    prefecture_code: str
    city_ja: str | None
    block: str
    verified: bool
    block_confidence: str
    municipality_code: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AssociationTable:
    """Loaded associations sorted by id, and indexes by id and prefecture."""

    items: tuple[Association, ...]
    by_id: dict[str, Association]
    in_prefecture: dict[str, tuple[Association, ...]]


def _bad(line: int, problem_en: str, problem_ja: str) -> GeoError:
    return GeoError(ASSOCIATIONS_FILE, f"{ASSOCIATIONS_FILE} line {line}: {problem_en}",
                    f"{ASSOCIATIONS_FILE} {line} 行目: {problem_ja}")


def _read_row(line: int, row: dict[str, str], data_dir: Path) -> Association:
    prefectures = load_prefecture_table(data_dir).by_code
    municipalities = load_municipality_table(data_dir).by_code
    ident = row["id"] or ""
    if not _ID.match(ident):
        raise _bad(line, f"id {ident!r} must be lower-case letters, digits and _",
                   f"id {ident!r} は英小文字・数字・_ です")
    if row["kind"] not in ("prefecture", "city"):
        raise _bad(line, f"{ident}: kind must be prefecture or city, got {row['kind']!r}",
                   f"{ident}: kind は prefecture か city です（{row['kind']!r}）")
    if row["prefecture_code"] not in prefectures:
        raise _bad(line, f"{ident}: unknown prefecture_code {row['prefecture_code']!r}",
                   f"{ident}: prefecture_code {row['prefecture_code']!r} が不明です")
    if row["kind"] == "city" and not row["city_ja"]:
        raise _bad(line, f"{ident}: a city association needs city_ja", f"{ident}: 市の協会には city_ja が必要です")
    place = municipalities.get(row["municipality_code"] or "")
    if place is None or place.pref_code != row["prefecture_code"] or place.is_ward:
        raise _bad(line, f"{ident}: municipality_code {row['municipality_code']!r} is not a city of prefecture "
                   f"{row['prefecture_code']}", f"{ident}: municipality_code {row['municipality_code']!r} は"
                   f"都道府県 {row['prefecture_code']} の市区町村ではありません")
    if row["verified"] not in ("yes", "no"):
        raise _bad(line, f"{ident}: verified must be yes or no", f"{ident}: verified は yes か no です")
    if not row["block"] or not row["name_ja"]:
        raise _bad(line, f"{ident}: block and name_ja are required", f"{ident}: block と name_ja は必須です")
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        raise _bad(line, f"{ident}: lat/lon must be numbers", f"{ident}: lat/lon は数値です") from None
    if not in_japan_box(lon, lat):
        raise _bad(line, f"{ident}: place ({lon}, {lat}) is outside Japan",
                   f"{ident}: 位置 ({lon}, {lat}) が日本の外です")
    return Association(id=ident, name_ja=row["name_ja"], name_en=row["name_en"] or "", kind=row["kind"],
                       prefecture_code=row["prefecture_code"], city_ja=row["city_ja"] or None,
                       block=row["block"], verified=row["verified"] == "yes",
                       block_confidence=row["block_confidence"] or "", municipality_code=place.code,
                       lat=lat, lon=lon)


@lru_cache(maxsize=8)
def load_association_table(data_dir: Path) -> AssociationTable:
    """Read and validate associations.csv once per data directory."""
    path = data_file(data_dir, ASSOCIATIONS_FILE)
    by_id: dict[str, Association] = {}
    seats: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise _bad(1, f"missing column(s) {', '.join(missing)}", f"列 {', '.join(missing)} がありません")
        for line, row in enumerate(reader, start=2):
            item = _read_row(line, row, data_dir)
            if item.id in by_id:
                raise _bad(line, f"id {item.id} appears twice", f"id {item.id} が重複しています")
            # One association per prefecture and per designated city (MIC's certification scheme).
            seat = (item.kind, item.prefecture_code if item.kind == "prefecture" else item.municipality_code)
            if seat in seats:
                raise _bad(line, f"{item.id} and {seats[seat]} both claim {item.kind} {seat[1]}",
                           f"{item.id} と {seats[seat]} が同じ {seat[1]} の協会になっています")
            seats[seat] = item.id
            by_id[item.id] = item
    items = tuple(sorted(by_id.values(), key=lambda a: a.id))
    in_prefecture: dict[str, list[Association]] = {}
    for item in items:
        in_prefecture.setdefault(item.prefecture_code, []).append(item)
    return AssociationTable(items=items, by_id={a.id: a for a in items},
                            in_prefecture={code: tuple(found) for code, found in in_prefecture.items()})


def associations(data_dir: str | Path | None = None) -> tuple[Association, ...]:
    """All associations sorted by id."""
    return load_association_table(resolve_data_dir(data_dir)).items


def association(association_id: str, data_dir: str | Path | None = None) -> Association:
    """One association by id (e.g. "pref_ishikawa"); GeoError for an unknown id."""
    table = load_association_table(resolve_data_dir(data_dir))
    found = table.by_id.get(association_id) if isinstance(association_id, str) else None
    if found is None:
        close = difflib.get_close_matches(str(association_id), list(table.by_id), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        hint_ja = f"（候補: {'、'.join(close)}）" if close else ""
        raise GeoError("association_id", f"unknown association id {association_id!r}{hint}",
                       f"協会 ID {association_id!r} が見つかりません{hint_ja}")
    return found


def associations_in_prefecture(pref_code: str | int, data_dir: str | Path | None = None) -> tuple[Association, ...]:
    """The prefecture's association and its cities' associations, sorted by id (empty for Nara)."""
    code = prefecture(pref_code, data_dir, field_name="pref_code").code
    return load_association_table(resolve_data_dir(data_dir)).in_prefecture.get(code, ())
