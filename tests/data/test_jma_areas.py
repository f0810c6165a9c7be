"""data/jma_areas.csv and data/jma_tsunami_areas.csv against data/municipalities.csv and real bulletins."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from geo.jma import jis_code_for, jma_tables, region_municipalities, tsunami_area_prefectures
from tests.conftest import ROOT

DATA = ROOT / "data"
BULLETINS = ROOT / "tests" / "data" / "jma"


def rows(name: str) -> list[dict[str, str]]:
    """A data file's rows."""
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


MUNICIPALITIES = {row["code"]: row for row in rows("municipalities.csv")}
AREAS = rows("jma_areas.csv")


def test_every_jma_municipality_maps_to_a_municipality_of_the_same_name_and_prefecture() -> None:
    assert len(AREAS) == len({row["jma_code"] for row in AREAS}) == 1894
    for row in AREAS:
        target = MUNICIPALITIES.get(row["jis_code"])
        assert target is not None, row
        assert target["name_ja"] == row["jis_name"]
        assert row["jma_code"][:2] == target["pref_code"]
        # JMA shortens ward names ("札幌中央区" for "札幌市 中央区") and prefixes homonyms ("渡島松前町"); any
        # other difference is explained in the note.
        if not row["jma_name"].endswith(target["name_ja"].split()[-1]):
            assert row["note"], row
        if row["jis_code"] != row["jma_code"][:5]:
            assert row["note"], row


def test_all_188_seismic_regions_have_municipalities_of_one_prefecture() -> None:
    by_region: dict[str, set[str]] = defaultdict(set)
    for row in AREAS:
        by_region[row["region_code"]].add(row["jma_code"][:2])
    assert len(by_region) == 188
    assert all(len(prefs) == 1 for prefs in by_region.values())
    assert {row["region_basis"] for row in AREAS} == {"bulletin", "nearest"}


def test_the_table_agrees_with_every_city_in_area_of_the_test_bulletins() -> None:
    checked = 0
    for path in sorted(BULLETINS.glob("*VXSE53.xml")):
        for area in ET.parse(path).iter():
            if not area.tag.endswith("}Area") or area.find("{*}Code") is None:
                continue
            for city in area.findall("{*}City"):
                row = jma_tables().by_code.get(city.findtext("{*}Code") or "")
                if row is not None:  # older samples still use pre-merger codes the table no longer has
                    assert row.region_code == area.findtext("{*}Code"), (path.name, row)
                    checked += 1
    assert checked > 2000


def test_lookups() -> None:
    assert jis_code_for("1720400") == "17204"  # 輪島市
    assert jis_code_for("0110100") == "01101"  # 札幌市 中央区
    assert jis_code_for("9999999") is None
    noto = region_municipalities("390")  # 石川県能登
    assert {"17202", "17204", "17205", "17384", "17461", "17463"} <= set(noto)
    assert "17201" not in noto  # 金沢市 is in 石川県加賀
    assert region_municipalities("000") == ()


def test_tsunami_areas_name_valid_prefectures() -> None:
    table = rows("jma_tsunami_areas.csv")
    assert len(table) == 66
    prefs = {row["pref_code"] for row in MUNICIPALITIES.values()}
    for row in table:
        codes = row["prefecture_codes"].split()
        assert codes and set(codes) <= prefs, row
        assert len(codes) == 1 or row["basis"].startswith("shared sea"), row
    assert tsunami_area_prefectures("360") == ("17",)  # 石川県能登
    assert tsunami_area_prefectures("312") == ("12", "13", "14")  # 東京湾内湾


def test_data_readme_names_the_sources() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name in ("jma_areas.csv", "jma_tsunami_areas.csv", "9SQ/jma-eqarea-centroid", "p2pquake/epsp-peer-cs"):
        assert name in readme
    assert Path(ROOT / "scripts" / "build_jma_areas.py").is_file()
