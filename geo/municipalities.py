"""Municipalities and designated-city wards from data/municipalities.csv (offices as points), with lookup."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from geo.datadir import data_file, resolve_data_dir
from geo.errors import GeoError
from geo.prefectures import load_prefecture_table, normalise_key
from geo.projection import in_japan_box

MUNICIPALITIES_FILE = "municipalities.csv"
_COLUMNS = ("code", "lg_code6", "pref_code", "name_ja", "name_kana", "is_ward", "lat", "lon")


@dataclass(frozen=True)
class Municipality:
    """A municipality or designated-city ward: JIS X 0402 code, names, office point, parent city of a ward."""

    code: str
    pref_code: str
    name_ja: str
    name_kana: str
    is_ward: bool
    lat: float
    lon: float
    parent_code: str | None


@dataclass(frozen=True)
class MunicipalityTable:
    """Loaded municipalities in code order, lookup indexes, and office coordinates as arrays."""

    items: tuple[Municipality, ...]
    by_code: dict[str, Municipality]
    position: dict[str, int]
    by_lg_code: dict[str, Municipality]
    by_name: dict[str, tuple[Municipality, ...]]
    wards_of: dict[str, tuple[Municipality, ...]]
    in_prefecture: dict[str, tuple[Municipality, ...]]
    lons: np.ndarray
    lats: np.ndarray


def _bad(line: int, problem_en: str, problem_ja: str) -> GeoError:
    return GeoError(MUNICIPALITIES_FILE, f"{MUNICIPALITIES_FILE} line {line}: {problem_en}",
                    f"{MUNICIPALITIES_FILE} {line} 行目: {problem_ja}")


def _read_row(line: int, row: dict[str, str], pref_codes: set[str]) -> tuple[Municipality, str]:
    code, lg_code = row["code"] or "", row["lg_code6"] or ""
    if not (len(code) == 5 and code.isdigit()):
        raise _bad(line, f"code {code!r} is not a 5-digit JIS X 0402 code",
                   f"code {code!r} は 5 桁の JIS コードではありません")
    if not (len(lg_code) == 6 and lg_code.isdigit() and lg_code.startswith(code)):
        raise _bad(line, f"lg_code6 {lg_code!r} must be code {code} plus a check digit",
                   f"lg_code6 {lg_code!r} はコード {code} と検査数字の 6 桁です")
    if row["pref_code"] not in pref_codes or row["pref_code"] != code[:2]:
        raise _bad(line, f"pref_code {row['pref_code']!r} does not match code {code}",
                   f"pref_code {row['pref_code']!r} がコード {code} と一致しません")
    if row["is_ward"] not in ("True", "False"):
        raise _bad(line, f"is_ward must be True or False, got {row['is_ward']!r}",
                   f"is_ward は True か False です（{row['is_ward']!r}）")
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        raise _bad(line, "lat/lon must be numbers", "lat/lon は数値です") from None
    if not in_japan_box(lon, lat):
        raise _bad(line, f"office ({lon}, {lat}) is outside Japan", f"役所の位置 ({lon}, {lat}) が日本の外です")
    if not row["name_ja"]:
        raise _bad(line, "name_ja is empty", "name_ja が空です")
    municipality = Municipality(code=code, pref_code=row["pref_code"], name_ja=row["name_ja"],
                                name_kana=row["name_kana"] or "", is_ward=row["is_ward"] == "True",
                                lat=lat, lon=lon, parent_code=None)
    return municipality, lg_code


def _with_parents(items: list[Municipality], lines: dict[str, int]) -> list[Municipality]:
    # A ward's name is "<city> <ward>" (e.g. "熊本市 中央区"); its parent is the city of that name.
    cities = {(m.pref_code, m.name_ja): m.code for m in items if not m.is_ward}
    result = []
    for m in items:
        if m.is_ward:
            city_name = m.name_ja.split()[0]
            parent = cities.get((m.pref_code, city_name))
            if parent is None:
                raise _bad(lines[m.code], f"ward {m.code} {m.name_ja}: no designated city {city_name} in "
                           f"prefecture {m.pref_code}", f"区 {m.code} {m.name_ja} の市 {city_name} がありません")
            m = Municipality(**{**m.__dict__, "parent_code": parent})
        result.append(m)
    return result


@lru_cache(maxsize=8)
def load_municipality_table(data_dir: Path) -> MunicipalityTable:
    """Read and validate municipalities.csv once per data directory."""
    prefectures = load_prefecture_table(data_dir)
    path = data_file(data_dir, MUNICIPALITIES_FILE)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise _bad(1, f"missing column(s) {', '.join(missing)}", f"列 {', '.join(missing)} がありません")
        parsed: list[Municipality] = []
        lg_codes: dict[str, str] = {}
        lines: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            municipality, lg_code = _read_row(line, row, set(prefectures.by_code))
            if municipality.code in lines:
                raise _bad(line, f"code {municipality.code} repeats line {lines[municipality.code]}",
                           f"コード {municipality.code} が {lines[municipality.code]} 行目と重複しています")
            lines[municipality.code] = line
            lg_codes[municipality.code] = lg_code
            parsed.append(municipality)
    items = tuple(sorted(_with_parents(parsed, lines), key=lambda m: m.code))
    by_name: dict[str, list[Municipality]] = {}
    for m in items:
        pref_name = prefectures.by_code[m.pref_code].name_ja
        for name in {m.name_ja, pref_name + m.name_ja, m.name_kana}:
            if name:
                by_name.setdefault(normalise_key(name), []).append(m)
    wards_of: dict[str, list[Municipality]] = {}
    in_prefecture: dict[str, list[Municipality]] = {code: [] for code in prefectures.by_code}
    for m in items:
        in_prefecture[m.pref_code].append(m)
        if m.parent_code:
            wards_of.setdefault(m.parent_code, []).append(m)
    return MunicipalityTable(
        items=items, by_code={m.code: m for m in items}, position={m.code: i for i, m in enumerate(items)},
        by_lg_code={lg_codes[m.code]: m for m in items},
        by_name={key: tuple(dict.fromkeys(found)) for key, found in by_name.items()},
        wards_of={code: tuple(wards) for code, wards in wards_of.items()},
        in_prefecture={code: tuple(found) for code, found in in_prefecture.items()},
        lons=np.array([m.lon for m in items]), lats=np.array([m.lat for m in items]))


def municipalities(data_dir: str | Path | None = None) -> tuple[Municipality, ...]:
    """All municipalities and designated-city wards in code order."""
    return load_municipality_table(resolve_data_dir(data_dir)).items


def municipality(key: str, data_dir: str | Path | None = None, *, field_name: str = "municipality") -> Municipality:
    """One municipality by 5-digit code, 6-digit LG code, 7-digit JMA code (code + "00") or name; else GeoError.

    Names may carry the prefecture ("石川県輪島市") and a ward its city ("札幌市中央区"); a name shared by
    several municipalities (府中市) is an error that lists the candidates.
    """
    table = load_municipality_table(resolve_data_dir(data_dir))
    if not isinstance(key, str):
        raise GeoError(field_name, f"{field_name} must be a code or name as text, got {key!r}",
                       f"{field_name} はコードまたは名前の文字列で指定してください（受け取った値: {key!r}）")
    text = normalise_key(key)
    if text.isdigit():
        return _by_code(table, text, key, field_name)
    found = table.by_name.get(text, ())
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        prefectures = load_prefecture_table(resolve_data_dir(data_dir)).by_code
        listed = ", ".join(f"{m.code} {prefectures[m.pref_code].name_ja}{m.name_ja}" for m in found)
        raise GeoError(field_name, f"municipality name {key!r} is ambiguous: {listed}; give the code or "
                       f"prefix the prefecture", f"市区町村名 {key!r} は複数あります: {listed}。コードを使うか"
                       f"都道府県名を付けてください")
    raise GeoError(field_name, f"unknown municipality {key!r}", f"市区町村 {key!r} が見つかりません")


def _by_code(table: MunicipalityTable, digits: str, key: str, field_name: str) -> Municipality:
    found: Municipality | None = None
    if len(digits) == 5:
        found = table.by_code.get(digits)
    elif len(digits) == 6:
        found = table.by_lg_code.get(digits)
        if found is None and digits[:5] in table.by_code:
            raise GeoError(field_name, f"{key!r}: wrong check digit for LG code of {digits[:5]}",
                           f"{key!r}: {digits[:5]} の全国地方公共団体コードの検査数字が違います")
    elif len(digits) == 7:
        if not digits.endswith("00"):
            raise GeoError(field_name, f"{key!r}: a 7-digit JMA code is the 5-digit code followed by 00",
                           f"{key!r}: 7 桁の気象庁コードは 5 桁コードの後に 00 が付いた形です")
        found = table.by_code.get(digits[:5])
    else:
        raise GeoError(field_name, f"{key!r}: a municipality code has 5 digits (JIS), 6 (LG) or 7 (JMA)",
                       f"{key!r}: 市区町村コードは 5 桁（JIS）、6 桁（地方公共団体コード）か 7 桁（気象庁）です")
    if found is None:
        raise GeoError(field_name, f"unknown municipality code {key!r}", f"市区町村コード {key!r} が見つかりません")
    return found


def kana_key(text: str) -> str:
    """Search form of a name or reading: normalise_key, then katakana folded to hiragana (ワジマ → わじま)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in normalise_key(text))


@lru_cache(maxsize=8)
def _search_keys(data_dir: Path) -> tuple[tuple[Municipality, tuple[str, ...]], ...]:
    prefectures = load_prefecture_table(data_dir).by_code
    keys = []
    for m in load_municipality_table(data_dir).items:
        pref_name = prefectures[m.pref_code].name_ja
        names = {kana_key(m.name_ja), kana_key(pref_name + m.name_ja), kana_key(m.name_kana)}
        if m.is_ward:  # a ward is also found by its own name ("中央区"), not only "札幌市中央区"
            names.add(kana_key(m.name_ja.split()[-1]))
        keys.append((m, tuple(sorted(n for n in names if n))))
    return tuple(keys)


def search_municipalities(query: str, *, prefecture_code: str | None = None, limit: int = 20,
                          data_dir: str | Path | None = None) -> list[Municipality]:
    """Municipalities whose name (kanji, with or without its prefecture) or reading (hiragana or katakana)
    starts with or contains `query`: exact matches first, then prefixes, then substrings, each in code order."""
    text = kana_key(query)
    if not text or limit < 1:
        return []
    ranked: list[tuple[int, str, Municipality]] = []
    for m, names in _search_keys(resolve_data_dir(data_dir)):
        if prefecture_code is not None and m.pref_code != prefecture_code:
            continue
        if text in names:
            ranked.append((0, m.code, m))
        elif any(name.startswith(text) for name in names):
            ranked.append((1, m.code, m))
        elif any(text in name for name in names):
            ranked.append((2, m.code, m))
    ranked.sort(key=lambda item: item[:2])
    return [m for _, _, m in ranked[:limit]]
