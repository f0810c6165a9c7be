"""JMA's area codes mapped to the JIS codes of data/municipalities.csv (pure, cached).

- data/jma_areas.csv: JMA 市町村等 codes (7 digits) of earthquake information, their 地震情報／細分区域 (seismic
  region) and the JIS municipality each maps to.
- data/jma_tsunami_areas.csv: JMA 津波予報区 (tsunami forecast areas) and the prefectures on their shore.
Provenance and limits: data/README.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.datadir import data_file, resolve_data_dir

AREAS_FILE = "jma_areas.csv"
TSUNAMI_FILE = "jma_tsunami_areas.csv"


@dataclass(frozen=True)
class JmaMunicipality:
    """One JMA municipality code: its seismic region and the JIS municipality it maps to."""

    jma_code: str
    jma_name: str
    region_code: str
    region_name: str
    jis_code: str
    jis_name: str
    region_basis: str


@dataclass(frozen=True)
class JmaTables:
    """Lookups by JMA municipality code, by seismic region, and tsunami area -> prefectures."""

    by_code: dict[str, JmaMunicipality]
    by_region: dict[str, tuple[JmaMunicipality, ...]]
    region_names: dict[str, str]
    tsunami_prefectures: dict[str, tuple[str, ...]]
    tsunami_names: dict[str, str]


@lru_cache(maxsize=8)
def _tables(data_dir: Path) -> JmaTables:
    with data_file(data_dir, AREAS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = [JmaMunicipality(**{k: v for k, v in row.items() if k != "note"}) for row in csv.DictReader(handle)]
    by_region: dict[str, list[JmaMunicipality]] = {}
    for row in rows:
        by_region.setdefault(row.region_code, []).append(row)
    with data_file(data_dir, TSUNAMI_FILE).open(encoding="utf-8", newline="") as handle:
        tsunami = list(csv.DictReader(handle))
    return JmaTables(
        by_code={row.jma_code: row for row in rows},
        by_region={code: tuple(items) for code, items in by_region.items()},
        region_names={row.region_code: row.region_name for row in rows},
        tsunami_prefectures={row["code"]: tuple(row["prefecture_codes"].split()) for row in tsunami},
        tsunami_names={row["code"]: row["name"] for row in tsunami},
    )


def jma_tables(data_dir: str | Path | None = None) -> JmaTables:
    """The loaded JMA code tables (cached per data directory)."""
    return _tables(resolve_data_dir(data_dir))


def jis_code_for(jma_code: str, data_dir: str | Path | None = None) -> str | None:
    """The JIS municipality code for a JMA 市町村等 code, or None when the table does not know it."""
    row = jma_tables(data_dir).by_code.get(jma_code)
    return row.jis_code if row else None


def region_municipalities(region_code: str, data_dir: str | Path | None = None) -> tuple[str, ...]:
    """JIS codes of the municipalities in a JMA seismic region (empty for an unknown region)."""
    return tuple(sorted({row.jis_code for row in jma_tables(data_dir).by_region.get(region_code, ())}))


def tsunami_area_prefectures(area_code: str, data_dir: str | Path | None = None) -> tuple[str, ...]:
    """Prefecture codes on the shore of a JMA tsunami forecast area (empty for an unknown area)."""
    return jma_tables(data_dir).tsunami_prefectures.get(area_code, ())
