"""Resolve each association to a municipality code and coordinates; writes data/associations.csv.

A city association sits in its city; a prefecture association is placed at the prefecture's capital
(the city office), because the reference list has no street addresses. Deterministic and offline:
it reads only ../shared/data/associations.csv (or --source) and the project's data/ files.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = [
    "id", "name_ja", "name_en", "kind", "prefecture_code", "prefecture_ja", "city_ja", "block",
    "verified", "block_confidence", "municipality_code", "municipality_ja", "location_basis", "lat", "lon",
]


def build(source: Path, out: Path) -> None:
    """Write the resolved association table."""
    municipalities = list(csv.DictReader((ROOT / "data/municipalities.csv").open(encoding="utf-8")))
    by_pref_name = {(m["pref_code"], m["name_ja"]): m for m in municipalities if m["is_ward"] == "False"}
    by_code = {m["code"]: m for m in municipalities}
    features = json.loads((ROOT / "data/prefectures.geojson").read_text(encoding="utf-8"))["features"]
    capitals = {f["properties"]["code"]: f["properties"]["capital_code"] for f in features}
    rows = []
    for row in csv.DictReader(source.open(encoding="utf-8")):
        if row["kind"] == "city":
            place = by_pref_name[(row["prefecture_code"], row["city_ja"])]
            basis = "city office of the association's city"
        else:
            place = by_code[capitals[row["prefecture_code"]]]
            basis = "city office of the prefectural capital (assumption: no street address in the source)"
        rows.append({**row, "municipality_code": place["code"], "municipality_ja": place["name_ja"],
                     "location_basis": basis, "lat": place["lat"], "lon": place["lon"]})
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared/data/associations.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "data/associations.csv")
    args = parser.parse_args()
    build(args.source, args.out)
