"""Resolve each association to a municipality code and coordinates; writes data/associations.csv.

A city association sits in its city; a prefecture association is placed at the prefecture's capital
(the city office), because the reference list has no street addresses. Deterministic and offline:
it reads only the curated list (--source, default ../shared/data/associations.csv) and the project's
data/ files. The rule itself is `resolve_associations` in rebuild_reference_data.py, which also checks it.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from rebuild_reference_data import DATA, ROOT, render_associations, resolve_associations


def build(source: Path, out: Path) -> None:
    """Write the resolved association table."""
    with source.open(encoding="utf-8", newline="") as handle:
        curated = list(csv.DictReader(handle))
    prefectures = json.loads((DATA / "prefectures.geojson").read_text(encoding="utf-8"))
    rows = resolve_associations(curated, (DATA / "municipalities.csv").read_bytes(), prefectures)
    out.write_bytes(render_associations(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared/data/associations.csv")
    parser.add_argument("--out", type=Path, default=DATA / "associations.csv")
    args = parser.parse_args()
    build(args.source, args.out)
