"""Neighbouring prefectures by land border or short sea link, from data/prefecture_adjacency.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.datadir import data_file, resolve_data_dir
from geo.errors import GeoError
from geo.prefectures import load_prefecture_table, prefecture

ADJACENCY_FILE = "prefecture_adjacency.json"


@dataclass(frozen=True)
class Neighbour:
    """A neighbouring prefecture: land border (shared_border_km) or sea link (gap_km of open water)."""

    code: str
    name_ja: str
    type: str
    gap_km: float
    shared_border_km: float


def _bad(where: str, problem_en: str, problem_ja: str) -> GeoError:
    return GeoError(ADJACENCY_FILE, f"{ADJACENCY_FILE}: {where}: {problem_en}",
                    f"{ADJACENCY_FILE}: {where}: {problem_ja}")


@lru_cache(maxsize=8)
def load_adjacency(data_dir: Path) -> dict[str, tuple[Neighbour, ...]]:
    """Neighbours of every prefecture, read and validated once per data directory."""
    by_code = load_prefecture_table(data_dir).by_code
    try:
        pairs = json.loads(data_file(data_dir, ADJACENCY_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad("file", f"not readable JSON ({exc})", f"JSON として読めません（{exc}）") from None
    if not isinstance(pairs, list):
        raise _bad("file", "must be a list of pairs", "ペアのリストでなければなりません")
    found: dict[str, dict[str, Neighbour]] = {code: {} for code in by_code}
    for i, pair in enumerate(pairs):
        where = f"[{i}]"
        try:
            a, b, kind = str(pair["a"]), str(pair["b"]), pair["type"]
            gap, border = float(pair["gap_km"]), float(pair["shared_border_km"])
        except (KeyError, TypeError, ValueError):
            raise _bad(where, "needs a, b, type, gap_km and shared_border_km", "a, b, type, gap_km, "
                       "shared_border_km が必要です") from None
        if a not in by_code or b not in by_code or a == b:
            raise _bad(where, f"unknown or identical prefecture codes {a!r}, {b!r}",
                       f"都道府県コード {a!r}, {b!r} が不正です")
        if kind not in ("land", "sea"):
            raise _bad(where, f"type must be land or sea, got {kind!r}", f"type は land か sea です（{kind!r}）")
        if b in found[a]:
            raise _bad(where, f"pair {a}-{b} appears twice", f"ペア {a}-{b} が重複しています")
        found[a][b] = Neighbour(b, by_code[b].name_ja, kind, gap, border)
        found[b][a] = Neighbour(a, by_code[a].name_ja, kind, gap, border)
    return {code: tuple(sorted(near.values(), key=lambda n: (n.type != "land", n.code)))
            for code, near in found.items()}


def neighbours(pref_code: str | int, data_dir: str | Path | None = None) -> tuple[Neighbour, ...]:
    """The prefecture's neighbours: land borders first, then sea links, each by code."""
    code = prefecture(pref_code, data_dir, field_name="pref_code").code
    return load_adjacency(resolve_data_dir(data_dir))[code]


def are_neighbours(a: str | int, b: str | int, data_dir: str | Path | None = None) -> bool:
    """Whether two prefectures share a land border or a short sea link."""
    other = prefecture(b, data_dir, field_name="b").code
    return any(n.code == other for n in neighbours(a, data_dir))
