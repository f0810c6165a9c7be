"""Where association rows come from: geo.associations() when it exists, else data/associations.csv.

The CSV reader is a stop-gap adapter until geo/ provides `associations(data_dir=None)`; both yield the same
attribute names (id, name_ja, name_en, kind, prefecture_code, block, municipality_code, lat, lon, verified).
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coordinator.associations.models import SECRETARIAT_ID


@dataclass(frozen=True)
class AssociationRecord:
    """One association as read from the reference data."""

    id: str
    name_ja: str
    name_en: str
    kind: str
    prefecture_code: str
    block: str | None
    municipality_code: str | None
    lat: float | None
    lon: float | None
    verified: bool


# The secretariat is not one of the 63 associations but acts in the workflow like one. CLAIR's office is
# in Chiyoda-ku, Tokyo (13101); its point is the ward office's (assumption: no street-level point needed).
SECRETARIAT = AssociationRecord(
    id=SECRETARIAT_ID, name_ja="自治体国際化協会（CLAIR）",
    name_en="Council of Local Authorities for International Relations (CLAIR)", kind="secretariat",
    prefecture_code="13", block=None, municipality_code="13101", lat=35.69388889, lon=139.7536111,
    verified=True)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"yes", "true", "1"}


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _record(item: Any) -> AssociationRecord:
    get = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
    return AssociationRecord(
        id=str(get("id")), name_ja=str(get("name_ja")), name_en=str(get("name_en")), kind=str(get("kind")),
        prefecture_code=str(get("prefecture_code")).zfill(2), block=_text(get("block")),
        municipality_code=_text(get("municipality_code")), lat=_number(get("lat")), lon=_number(get("lon")),
        verified=_flag(get("verified")))


def _from_csv(data_dir: Path) -> list[AssociationRecord]:
    with (data_dir / "associations.csv").open(encoding="utf-8", newline="") as handle:
        return [_record(row) for row in csv.DictReader(handle)]


def association_records(data_dir: Path) -> list[AssociationRecord]:
    """The 63 associations from the reference data, plus the secretariat."""
    # geo.associations is a submodule until geo/__init__.py exports the function of that name.
    reader = getattr(importlib.import_module("geo"), "associations", None)
    records = [_record(item) for item in reader(data_dir)] if callable(reader) else _from_csv(data_dir)
    return [*records, SECRETARIAT]
