"""Loading and looking up prefectures, municipalities and associations; broken copies fail precisely."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import (
    GeoError,
    association,
    associations,
    associations_in_prefecture,
    load_all,
    municipalities,
    municipality,
    prefecture,
    prefectures,
)
from tests.conftest import ROOT


def test_forty_seven_prefectures_in_code_order_with_plausible_areas() -> None:
    items = prefectures()
    assert [p.code for p in items] == [f"{n:02d}" for n in range(1, 48)]
    ishikawa = items[16]
    assert (ishikawa.name_ja, ishikawa.name_en, ishikawa.capital_code) == ("石川県", "Ishikawa", "17201")
    # Official areas (GSI): Ishikawa 4,186 km², Kagawa 1,877 km²; 1:10M outlines lose a few per cent.
    assert 3900 < ishikawa.area_km2 < 4400
    assert 1700 < prefecture("37").area_km2 < 2000
    assert ishikawa.geometry.geom_type == "MultiPolygon"


@pytest.mark.parametrize("key", ["17", 17, "石川県", "石川", "Ishikawa", "ishikawa", "JP-17", " ＩＳＨＩＫＡＷＡ "])
def test_prefecture_lookup_accepts_codes_and_names(key: str | int) -> None:
    assert prefecture(key).code == "17"


def test_prefecture_lookup_pads_single_digit_codes_and_knows_to_fu_do() -> None:
    assert prefecture(7).name_ja == "福島県"
    assert prefecture("東京").code == "13"
    assert prefecture("大阪府").code == "27"
    assert prefecture("北海道").code == "01"


@pytest.mark.parametrize("key", ["48", 0, "Ishikwa", "", True, None])
def test_unknown_prefecture_is_a_bilingual_error(key: object) -> None:
    with pytest.raises(GeoError) as caught:
        prefecture(key)  # type: ignore[arg-type]
    assert caught.value.field == "prefecture"
    assert caught.value.message_ja and str(caught.value) == caught.value.message_en


def test_misspelt_prefecture_suggests_the_right_one() -> None:
    with pytest.raises(GeoError, match="did you mean Ishikawa"):
        prefecture("Ishikwa")


def test_municipalities_cover_municipalities_and_wards_with_parents() -> None:
    items = municipalities()
    assert len(items) == 1916
    assert sum(m.is_ward for m in items) == 175
    assert all(m.parent_code is not None for m in items if m.is_ward)
    assert all(m.parent_code is None for m in items if not m.is_ward)
    assert municipality("43101").parent_code == "43100"
    # Tokyo's special wards are municipalities in their own right, not wards of a designated city.
    assert municipality("13101").is_ward is False


@pytest.mark.parametrize("key", ["17204", "172049", "1720400", "輪島市", "石川県輪島市", "わじまし", "石川県 輪島市"])
def test_municipality_lookup_by_code_lg_code_jma_code_and_name(key: str) -> None:
    assert municipality(key).code == "17204"


def test_ward_lookup_with_or_without_space() -> None:
    assert municipality("札幌市中央区").code == "01101"
    assert municipality("札幌市 中央区").code == "01101"


def test_ambiguous_municipality_name_lists_candidates() -> None:
    with pytest.raises(GeoError) as caught:
        municipality("府中市")
    message = str(caught.value)
    assert "13206" in message and "34208" in message and "東京都府中市" in message
    assert "複数" in caught.value.message_ja
    assert municipality("広島県府中市").code == "34208"


@pytest.mark.parametrize("key, problem", [("99999", "unknown municipality code"), ("172040", "check digit"),
                                          ("1720412", "followed by 00"), ("1234", "5 digits"),
                                          ("どこでも市", "unknown municipality")])
def test_bad_municipality_keys_say_why(key: str, problem: str) -> None:
    with pytest.raises(GeoError, match=problem) as caught:
        municipality(key)
    assert caught.value.field == "municipality"


def test_integer_municipality_code_is_refused_because_it_loses_the_leading_zero() -> None:
    with pytest.raises(GeoError, match="as text"):
        municipality(1100)  # type: ignore[arg-type]


def test_sixty_three_associations_sorted_by_id() -> None:
    items = associations()
    assert len(items) == 63
    assert [a.id for a in items] == sorted(a.id for a in items)
    assert sum(a.kind == "prefecture" for a in items) == 46  # Nara has none
    assert sum(a.kind == "city" for a in items) == 17
    ishikawa = association("pref_ishikawa")
    assert (ishikawa.prefecture_code, ishikawa.municipality_code, ishikawa.city_ja) == ("17", "17201", None)
    assert association("city_kumamoto").municipality_code == "43100"


def test_unknown_association_suggests_close_ids() -> None:
    with pytest.raises(GeoError, match="pref_ishikawa") as caught:
        association("pref_ishikwa")
    assert caught.value.field == "association_id"


def test_associations_in_prefecture() -> None:
    assert [a.id for a in associations_in_prefecture("Kanagawa")] == ["city_kawasaki", "city_yokohama",
                                                                      "pref_kanagawa"]
    assert associations_in_prefecture(29) == ()  # Nara has no association
    with pytest.raises(GeoError):
        associations_in_prefecture("99")


def test_geo_imports_neither_the_application_nor_the_agreement() -> None:
    probe = ("import sys, geo; geo.prefectures(); print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'coordinator', 'agreements', 'sqlmodel', 'fastapi', 'httpx'}))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# Broken copies of the data: the loaders are what `ouen data check` relies on.

def _rewrite_geojson(data_dir: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = data_dir / "prefectures.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _rewrite_csv(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_a_missing_prefecture_is_named(data_copy: Path) -> None:
    _rewrite_geojson(data_copy, lambda d: d["features"].pop(16))
    with pytest.raises(GeoError, match=r"46 prefectures instead of 47; missing code\(s\) 17") as caught:
        prefectures(data_copy)
    assert caught.value.field == "prefectures.geojson"


def test_self_intersecting_prefecture_geometry_is_refused(data_copy: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[136, 36], [137, 37], [137, 36], [136, 37], [136, 36]]]}
    _rewrite_geojson(data_copy, lambda d: d["features"][16].update(geometry=bowtie))
    with pytest.raises(GeoError, match=r"features\[16\] \(code 17\): invalid geometry: Self-intersection"):
        prefectures(data_copy)


def test_duplicate_prefecture_is_refused(data_copy: Path) -> None:
    _rewrite_geojson(data_copy, lambda d: d["features"].append(d["features"][0]))
    with pytest.raises(GeoError, match="prefecture 01 appears twice"):
        prefectures(data_copy)


def test_missing_data_file_is_named(data_copy: Path) -> None:
    (data_copy / "municipalities.csv").unlink()
    with pytest.raises(GeoError, match=r"municipalities\.csv is missing"):
        municipalities(data_copy)


def test_bad_municipality_row_names_the_line(data_copy: Path) -> None:
    def break_row(rows: list[dict[str, str]]) -> None:
        rows[9]["lat"] = "north"
    _rewrite_csv(data_copy / "municipalities.csv", break_row)
    with pytest.raises(GeoError, match=r"municipalities\.csv line 11: lat/lon must be numbers"):
        municipalities(data_copy)


def test_association_in_an_unknown_place_is_refused(data_copy: Path) -> None:
    def break_row(rows: list[dict[str, str]]) -> None:
        rows[16]["municipality_code"] = "99999"
    _rewrite_csv(data_copy / "associations.csv", break_row)
    with pytest.raises(GeoError, match=r"associations\.csv line 18: pref_ishikawa: municipality_code '99999'"):
        associations(data_copy)


def test_two_associations_for_one_prefecture_are_refused(data_copy: Path) -> None:
    def duplicate(rows: list[dict[str, str]]) -> None:
        rows.append({**rows[16], "id": "pref_ishikawa_again"})
    _rewrite_csv(data_copy / "associations.csv", duplicate)
    with pytest.raises(GeoError, match="pref_ishikawa_again and pref_ishikawa both claim prefecture 17"):
        associations(data_copy)


def test_a_good_copy_loads_like_the_default(data_copy: Path) -> None:
    assert prefectures(data_copy) == prefectures()
    assert associations(data_copy) == associations()


def test_load_all_counts_everything() -> None:
    assert load_all() == {"prefectures": 47, "municipalities": 1741, "wards": 175, "associations": 63,
                          "neighbour_pairs": 104}


def test_load_all_fails_on_a_broken_copy(data_copy: Path) -> None:
    (data_copy / "prefecture_adjacency.json").write_text("[", encoding="utf-8")
    with pytest.raises(GeoError, match="not readable JSON"):
        load_all(data_copy)
