"""Build data/jma_areas.csv: JMA's municipality codes (市町村等, 7 digits) with their seismic region
(地震情報／細分区域) and the JIS code of data/municipalities.csv that each one maps to.

Sources (copies in --sources; data/README.md names their repositories and commits):
  jma_city_centroid.csv  every JMA 市町村等 code of earthquake information, name, centroid (9SQ/jma-eqarea-centroid)
  jma_area_centroid.csv  the 188 地震情報／細分区域 codes, names, centroids (same repository)
  bulletins/*.xml        JMA 震源・震度に関する情報 (VXSE53) bulletins: each <City> sits inside its <Area>

The region of a municipality is read from the bulletins when one lists it (basis "bulletin"); the others
take the region of the nearest such municipality or region centroid in the same prefecture (basis
"nearest"). `--check` reports how often that rule reproduces the bulletins' own answer (leave one out).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
HEADER = ["jma_code", "jma_name", "region_code", "region_name", "jis_code", "jis_name", "region_basis", "note"]

# JMA codes whose first five digits are not a row of municipalities.csv, and why.
JIS_EXCEPTIONS = {
    # Hamamatsu's 2024 wards; municipalities.csv predates them (data/README.md, "Limits"): the whole city.
    "2213800": ("22130", "2024 ward of Hamamatsu; municipalities.csv has the pre-2024 wards, so the city"),
    "2213900": ("22130", "2024 ward of Hamamatsu; municipalities.csv has the pre-2024 wards, so the city"),
    "2214000": ("22130", "2024 ward of Hamamatsu; municipalities.csv has the pre-2024 wards, so the city"),
}

# Rows whose names differ from municipalities.csv although the code maps plainly, and why.
NOTES = {
    "2822100": "篠山市 was renamed 丹波篠山市 in 2019 (same code)",
    "3940500": "梼 and 檮 are variants of one character",
    "4220202": "JMA reports 宇久島 apart from the rest of 佐世保市; both are the same municipality",
    "4621502": "JMA reports 甑島 apart from the rest of 薩摩川内市; both are the same municipality",
}


def _read_csv(path: Path) -> list[list[str]]:
    return [row for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()) if row]


def bulletin_regions(folder: Path) -> dict[str, str]:
    """JMA municipality code -> region code, from every <Area><City> nesting in the bulletins."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.xml")):
        for area in ET.parse(path).iter():
            if not area.tag.endswith("}Area"):
                continue
            code = area.find("{*}Code")
            for city in area.findall("{*}City"):
                city_code = city.findtext("{*}Code")
                if code is not None and city_code:
                    found[city_code] = str(code.text)
    return found


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * math.cos(lat))


def _nearest(point: tuple[float, float], seeds: list[tuple[tuple[float, float], str]]) -> str:
    return min(seeds, key=lambda seed: _distance(point, seed[0]))[1]


def build_rows(sources: Path) -> tuple[list[dict[str, str]], float]:
    """The table's rows and the leave-one-out agreement of the nearest rule with the bulletins."""
    cities = {row[0].zfill(7): (row[1], (float(row[2]), float(row[3])))
              for row in _read_csv(sources / "jma_city_centroid.csv")}
    regions = {row[0]: (row[1], (float(row[2]), float(row[3]))) for row in _read_csv(sources / "jma_area_centroid.csv")}
    known = {code: region for code, region in bulletin_regions(sources / "bulletins").items() if code in cities}
    with (DATA / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        municipalities = {row["code"]: row for row in csv.DictReader(handle)}
    # A region's prefecture is that of its municipalities (region codes do not encode it); a region no
    # bulletin lists takes the prefecture of the municipality nearest its centroid.
    region_pref = {region: code[:2] for code, region in known.items()}
    all_cities = [(point, code[:2]) for code, (_, point) in cities.items()]
    for code, (_, point) in regions.items():
        region_pref.setdefault(code, _nearest(point, all_cities))

    def seeds_for(pref: str, leave_out: str | None = None) -> list[tuple[tuple[float, float], str]]:
        items = [(cities[c][1], r) for c, r in known.items() if c[:2] == pref and c != leave_out]
        items += [(point, code) for code, (_, point) in regions.items() if region_pref[code] == pref]
        return items

    agree = sum(_nearest(cities[c][1], seeds_for(c[:2], c)) == r for c, r in known.items())
    rows = []
    for code, (name, point) in sorted(cities.items()):
        region = known.get(code) or _nearest(point, seeds_for(code[:2]))
        jis, note = JIS_EXCEPTIONS.get(code, (code[:5], NOTES.get(code, "")))
        if jis not in municipalities:
            raise SystemExit(f"{code} {name}: no municipality {jis} in data/municipalities.csv")
        rows.append({"jma_code": code, "jma_name": name, "region_code": region, "region_name": regions[region][0],
                     "jis_code": jis, "jis_name": municipalities[jis]["name_ja"],
                     "region_basis": "bulletin" if code in known else "nearest", "note": note})
    missing = set(regions) - {row["region_code"] for row in rows}
    if missing:
        raise SystemExit(f"regions without a municipality: {sorted(missing)}")
    return rows, agree / len(known)


def render(rows: list[dict[str, str]]) -> str:
    """The CSV text (LF line ends, UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> None:
    """Write (or --check) data/jma_areas.csv."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, required=True, help="folder with the source copies")
    parser.add_argument("--check", action="store_true", help="compare with data/jma_areas.csv instead of writing")
    args = parser.parse_args()
    rows, agreement = build_rows(args.sources)
    basis = sum(row["region_basis"] == "bulletin" for row in rows)
    print(f"{len(rows)} municipalities, {basis} regions from bulletins, nearest rule agrees {agreement:.1%} "
          f"(leave one out)")
    text = render(rows)
    target = DATA / "jma_areas.csv"
    if args.check:
        sys.exit(0 if target.read_text(encoding="utf-8") == text else 1)
    target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
