"""Whole-file checks of the reference data, for `ouen data check` (each problem names file and key)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import shape
from shapely.validation import explain_validity

PREFECTURE_PROPERTIES = (
    "code", "code_int", "iso_3166_2", "name_ja", "name_en", "region_code", "region_ja", "region_en",
    "capital_code", "capital_ja", "capital_lat", "capital_lon", "centroid_lat", "centroid_lon", "label_lat",
    "label_lon", "area_km2_approx", "n_parts",
)
ASSOCIATION_COLUMNS = ("id", "name_ja", "name_en", "kind", "prefecture_code", "block", "municipality_code",
                       "lat", "lon")


@dataclass(frozen=True)
class DataProblem:
    """One defect in a reference file: where it is and what is wrong."""

    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}"


def _check_prefectures(path: Path) -> tuple[list[DataProblem], set[str]]:
    problems: list[DataProblem] = []
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError) as exc:
        return [DataProblem(path.name, "features", f"unreadable: {exc}")], set()
    codes: set[str] = set()
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        code = str(props.get("code", f"#{index}"))
        key = f"features[{index}] (code {code})"
        missing = [name for name in PREFECTURE_PROPERTIES if name not in props]
        if missing:
            problems.append(DataProblem(path.name, key, f"missing properties {', '.join(missing)}"))
        if code in codes:
            problems.append(DataProblem(path.name, key, "duplicate prefecture code"))
        codes.add(code)
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(DataProblem(path.name, key, f"unreadable geometry: {exc}"))
            continue
        if geometry.is_empty or not geometry.is_valid:
            reason = "empty" if geometry.is_empty else explain_validity(geometry)
            problems.append(DataProblem(path.name, key, f"invalid geometry: {reason}"))
    expected = {f"{n:02d}" for n in range(1, 48)}
    for code in sorted(expected - codes):
        problems.append(DataProblem(path.name, f"prefecture {code}", "missing prefecture"))
    for code in sorted(codes - expected):
        problems.append(DataProblem(path.name, f"prefecture {code}", "unknown prefecture code"))
    return problems, codes


def _check_adjacency(path: Path, codes: set[str]) -> list[DataProblem]:
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [DataProblem(path.name, "(file)", f"unreadable: {exc}")]
    problems = []
    for index, pair in enumerate(pairs):
        for side in ("a", "b"):
            if pair.get(side) not in codes:
                problems.append(DataProblem(path.name, f"[{index}].{side}", f"unknown prefecture {pair.get(side)}"))
        if pair.get("type") not in ("land", "sea"):
            problems.append(DataProblem(path.name, f"[{index}].type", "must be land or sea"))
    return problems


def _check_municipalities(path: Path, codes: set[str]) -> tuple[list[DataProblem], dict[str, str]]:
    problems: list[DataProblem] = []
    pref_of: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("pref_code") not in codes:
                problems.append(DataProblem(path.name, f"line {line} code {row.get('code')}",
                                            f"unknown prefecture {row.get('pref_code')}"))
            if row.get("code", "") in pref_of:
                problems.append(DataProblem(path.name, f"line {line}", f"duplicate code {row.get('code')}"))
            pref_of[row.get("code", "")] = row.get("pref_code", "")
    return problems, pref_of


def _check_associations(path: Path, codes: set[str], pref_of: dict[str, str]) -> list[DataProblem]:
    problems: list[DataProblem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ASSOCIATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            return [DataProblem(path.name, "header", f"missing columns {', '.join(missing)}")]
        for line, row in enumerate(reader, start=2):
            key = f"line {line} ({row['id']})"
            if row["id"] in seen:
                problems.append(DataProblem(path.name, key, "association listed twice"))
            seen.add(row["id"])
            if row["prefecture_code"] not in codes:
                problems.append(DataProblem(path.name, key, f"unknown prefecture {row['prefecture_code']}"))
            if pref_of.get(row["municipality_code"]) != row["prefecture_code"]:
                problems.append(DataProblem(path.name, key,
                                            f"municipality {row['municipality_code']} is not in its prefecture"))
            if row["kind"] not in ("prefecture", "city"):
                problems.append(DataProblem(path.name, key, "kind must be prefecture or city"))
    if len(seen) != 63:
        problems.append(DataProblem(path.name, "(rows)", f"{len(seen)} associations, expected 63"))
    return problems


def check_reference_data(data_dir: Path) -> list[DataProblem]:
    """Every defect found in the reference files under data_dir (empty when all is well)."""
    problems, codes = _check_prefectures(data_dir / "prefectures.geojson")
    problems += _check_adjacency(data_dir / "prefecture_adjacency.json", codes)
    municipality_problems, pref_of = _check_municipalities(data_dir / "municipalities.csv", codes)
    problems += municipality_problems
    problems += _check_associations(data_dir / "associations.csv", codes, pref_of)
    return problems
