"""The committed reference data in data/ keeps its documented invariants, and the rebuild script
reproduces it from the pinned sources (the rebuild test runs only when the source cache exists)."""

from __future__ import annotations

import collections
import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from shapely.geometry import Point, shape

from tests.conftest import ROOT, need

DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"
CACHE = ROOT / "build" / "sources"
SCRIPT = ROOT / "scripts" / "rebuild_reference_data.py"
PREFECTURE_PROPERTIES = [
    "code", "code_int", "iso_3166_2", "name_ja", "name_en", "region_code", "region_ja", "region_en",
    "capital_code", "capital_ja", "capital_lat", "capital_lon", "centroid_lat", "centroid_lon",
    "label_lat", "label_lon", "area_km2_approx", "n_parts",
]
BLOCK_SIZES = {"hokkaido_tohoku": 11, "kanto": 13, "tokai_hokuriku": 10, "kinki": 8, "chugoku_shikoku": 10,
               "kyushu": 11}


def load_script() -> ModuleType:
    """Import scripts/rebuild_reference_data.py (scripts/ is not a package)."""
    name = "rebuild_reference_data"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is created
        spec.loader.exec_module(module)
    return sys.modules[name]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def prefectures() -> dict:
    return json.loads((DATA / "prefectures.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def adjacency() -> list[dict]:
    return json.loads((DATA / "prefecture_adjacency.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def municipalities() -> list[dict[str, str]]:
    return read_csv(DATA / "municipalities.csv")


@pytest.fixture(scope="module")
def associations() -> list[dict[str, str]]:
    return read_csv(DATA / "associations.csv")


# --- prefectures.geojson ----------------------------------------------------------------------------


def test_47_prefectures_in_code_order_with_every_documented_property(prefectures: dict) -> None:
    features = prefectures["features"]
    assert [f["id"] for f in features] == [f"{n:02d}" for n in range(1, 48)]
    for number, feature in enumerate(features, start=1):
        props = feature["properties"]
        assert list(props) == PREFECTURE_PROPERTIES, feature["id"]
        expected = (feature["id"], number, f"JP-{number:02d}")
        assert (props["code"], props["code_int"], props["iso_3166_2"]) == expected
        assert feature["geometry"]["type"] == "MultiPolygon"
        assert props["n_parts"] == len(feature["geometry"]["coordinates"])
        assert props["area_km2_approx"] > 0
    assert "Natural Earth" in prefectures["attribution"]
    assert {f["properties"]["region_code"] for f in features} == set(range(1, 9))


def test_prefecture_geometry_is_rfc7946_with_five_decimals_and_points_inside(prefectures: dict) -> None:
    for feature in prefectures["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid, feature["id"]
        for polygon in geom.geoms:
            assert polygon.exterior.is_ccw, feature["id"]  # RFC 7946 3.1.6: exteriors counter-clockwise
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert all(round(value, 5) == value for point in ring for value in point)
        props = feature["properties"]
        assert geom.contains(Point(props["label_lon"], props["label_lat"])), feature["id"]
        assert 122 < props["centroid_lon"] < 154 and 20 < props["centroid_lat"] < 46


def test_corrections_are_in_the_committed_polygons(prefectures: dict) -> None:
    geoms = {f["id"]: shape(f["geometry"]) for f in prefectures["features"]}
    amami_oshima, nagashima, tobishima, yuge = (Point(129.45, 28.3), Point(130.156, 32.162),
                                                Point(139.546, 39.192), Point(133.212, 34.267))
    assert geoms["46"].contains(amami_oshima) and not geoms["47"].contains(amami_oshima)
    assert geoms["46"].contains(nagashima) and not geoms["43"].contains(nagashima)
    assert geoms["06"].contains(tobishima)
    assert geoms["38"].contains(yuge)


def test_capitals_are_municipal_offices(prefectures: dict, municipalities: list[dict[str, str]]) -> None:
    by_code = {m["code"]: m for m in municipalities}
    for feature in prefectures["features"]:
        props = feature["properties"]
        office = by_code[props["capital_code"]]
        assert office["pref_code"] == props["code"] and office["name_ja"] == props["capital_ja"]
        assert office["is_ward"] == "False"
        assert (props["capital_lat"], props["capital_lon"]) == (round(float(office["lat"]), 6),
                                                                round(float(office["lon"]), 6))
    assert by_code["13104"]["name_ja"] == "新宿区"


# --- prefecture_adjacency.json ------------------------------------------------------------------------


def test_86_land_and_18_sea_pairs_sorted_without_duplicates(adjacency: list[dict], prefectures: dict) -> None:
    names = {f["id"]: f["properties"]["name_ja"] for f in prefectures["features"]}
    kinds = collections.Counter(row["type"] for row in adjacency)
    assert kinds == {"land": 86, "sea": 18}
    pairs = [(row["a"], row["b"]) for row in adjacency]
    assert pairs == sorted(set(pairs))
    for row in adjacency:
        assert list(row) == ["a", "b", "a_ja", "b_ja", "type", "shared_border_km", "gap_km"]
        assert row["a"] < row["b"] and (row["a_ja"], row["b_ja"]) == (names[row["a"]], names[row["b"]])
        if row["type"] == "sea":
            assert row["shared_border_km"] == 0.0 and 0 < row["gap_km"] <= 30
        else:
            assert row["shared_border_km"] > 0 or row["gap_km"] > 0


def test_adjacency_keeps_the_documented_examples(adjacency: list[dict]) -> None:
    by_pair = {(row["a"], row["b"]): row for row in adjacency}
    assert (by_pair["01", "02"]["type"], by_pair["01", "02"]["gap_km"]) == ("sea", 18.7)
    assert (by_pair["46", "47"]["type"], by_pair["46", "47"]["gap_km"]) == ("sea", 22.1)
    assert (by_pair["35", "40"]["type"], by_pair["35", "40"]["gap_km"]) == ("sea", 1.5)
    assert by_pair["09", "11"]["type"] == "land"  # Tochigi-Saitama: japanmap right, Natural Earth apart
    assert ("08", "10") not in by_pair  # Ibaraki-Gunma: Natural Earth wrongly touches


# --- municipalities.csv -----------------------------------------------------------------------------------


def test_1916_municipality_rows_with_1741_municipalities(municipalities: list[dict[str, str]]) -> None:
    assert len(municipalities) == 1916
    assert sum(m["is_ward"] == "False" for m in municipalities) == 1741
    assert len({m["code"] for m in municipalities}) == 1916
    for m in municipalities:
        assert len(m["code"]) == 5 and m["code"][:2] == m["pref_code"] and m["lg_code6"][:5] == m["code"]
        assert 20 < float(m["lat"]) < 46 and 122 < float(m["lon"]) < 154
        assert (m["is_ward"] == "True") == (" " in m["name_ja"])
    hamamatsu_wards = [m for m in municipalities if m["name_ja"].startswith("浜松市 ")]
    assert len(hamamatsu_wards) == 7  # the data predates the 2024 reorganisation into 3 wards


# --- associations.csv ---------------------------------------------------------------------------------------


def test_63_associations_in_six_blocks(associations: list[dict[str, str]]) -> None:
    assert len(associations) == 63 and len({a["id"] for a in associations}) == 63
    assert collections.Counter(a["block"] for a in associations) == BLOCK_SIZES
    assert collections.Counter(a["kind"] for a in associations) == {"prefecture": 46, "city": 17}


def test_every_association_sits_in_an_existing_municipality_of_its_prefecture(
        associations: list[dict[str, str]], municipalities: list[dict[str, str]], prefectures: dict) -> None:
    by_code = {m["code"]: m for m in municipalities}
    capitals = {f["id"]: f["properties"]["capital_code"] for f in prefectures["features"]}
    for association in associations:
        place = by_code[association["municipality_code"]]
        assert place["pref_code"] == association["prefecture_code"], association["id"]
        assert (association["lat"], association["lon"]) == (place["lat"], place["lon"])
        assert association["municipality_ja"] == place["name_ja"]
        if association["kind"] == "city":
            assert place["name_ja"] == association["city_ja"]
        else:
            assert place["code"] == capitals[association["prefecture_code"]]


def test_unconfirmed_and_low_confidence_rows_stay_visible(associations: list[dict[str, str]]) -> None:
    unverified = {a["id"] for a in associations if a["verified"] == "no"}
    low = {a["id"] for a in associations if a["block_confidence"] == "low"}
    assert unverified == {"pref_nagano", "pref_oita", "city_saitama"}
    assert low == {"pref_shizuoka", "city_shizuoka", "city_hamamatsu", "pref_yamaguchi"}
    assert {a["verified"] for a in associations} == {"yes", "no"}


# --- equal to the authoritative copies beside the project -----------------------------------------------


@pytest.fixture
def shared() -> Path:
    """../shared/data beside the project (as in CI, where its absence fails instead of skipping)."""
    if not SHARED.is_dir():
        need("shared", f"no shared reference directory at {SHARED}")
    return SHARED


@pytest.mark.parametrize("name", ["prefectures.geojson", "municipalities.csv"])
def test_committed_files_equal_the_shared_reference(name: str, shared: Path) -> None:
    assert (DATA / name).read_bytes() == (shared / name).read_bytes()


def test_adjacency_differs_from_the_shared_reference_only_in_documented_figures(adjacency: list[dict],
                                                                                shared: Path) -> None:
    theirs_all = json.loads((shared / "prefecture_adjacency.json").read_text(encoding="utf-8"))
    fixed = ("a", "b", "a_ja", "b_ja", "type")
    assert [[row[k] for k in fixed] for row in adjacency] == [[row[k] for k in fixed] for row in theirs_all]
    for ours, theirs in zip(adjacency, theirs_all, strict=True):  # data/README.md: at most 0.5 and 0.2 km
        assert abs(ours["shared_border_km"] - theirs["shared_border_km"]) <= 0.5 + 1e-9
        assert abs(ours["gap_km"] - theirs["gap_km"]) <= 0.2 + 1e-9


def test_curated_association_columns_equal_the_shared_reference(associations: list[dict[str, str]],
                                                                shared: Path) -> None:
    theirs = read_csv(shared / "associations.csv")
    curated = load_script().CURATED_ASSOCIATION_COLUMNS
    assert list(theirs[0]) == curated
    assert [{c: row[c] for c in curated} for row in associations] == theirs


# --- the rebuild script's pure parts (no network) --------------------------------------------------


def test_association_in_an_unknown_city_is_rejected_with_the_field_named(associations: list[dict[str, str]],
                                                                         prefectures: dict) -> None:
    script = load_script()
    broken = [{**associations[0], "kind": "city", "city_ja": "存在しない市"}]
    with pytest.raises(ValueError, match=r"association pref_hokkaido: city_ja.*存在しない市.*市区町村"):
        script.resolve_associations(broken, (DATA / "municipalities.csv").read_bytes(), prefectures)


def test_resolving_the_curated_columns_reproduces_the_committed_associations(
        associations: list[dict[str, str]], prefectures: dict) -> None:
    script = load_script()
    rows = script.resolve_associations(associations, (DATA / "municipalities.csv").read_bytes(), prefectures)
    assert script.render_associations(rows) == (DATA / "associations.csv").read_bytes()


def test_adjacency_comparison_flags_changed_pairs_and_out_of_tolerance_figures(adjacency: list[dict]) -> None:
    script = load_script()
    committed = json.dumps(adjacency).encode()
    nudged = [dict(row) for row in adjacency]
    nudged[0]["gap_km"] = round(nudged[0]["gap_km"] + 0.2, 1)
    assert script.compare_adjacency(json.dumps(nudged).encode(), committed)[0] is True
    nudged[0]["gap_km"] = round(nudged[0]["gap_km"] + 0.5, 1)
    ok, summary = script.compare_adjacency(json.dumps(nudged).encode(), committed)
    assert not ok and "gap_km: 1/104 differ, max |diff| 0.7 km at 01-02" in summary
    retyped = [dict(row) for row in adjacency]
    retyped[0]["type"] = "land"
    ok, summary = script.compare_adjacency(json.dumps(retyped).encode(), committed)
    assert not ok and "pairs differ" in summary


def test_a_tampered_source_archive_is_refused(tmp_path: Path) -> None:
    script = load_script()
    (tmp_path / script.JAPANMAP.archive).write_bytes(b"not the pinned wheel")
    with pytest.raises(script.SourceError, match="does not match the pinned"):
        script.fetch(script.JAPANMAP, tmp_path, download=False)
    with pytest.raises(script.SourceError, match="downloads are disabled"):
        script.fetch(script.JAPANCODE, tmp_path, download=False)


# --- the rebuild itself (needs the source cache; the network is not available in every run) ----


def _cache_complete() -> bool:
    script = load_script()
    return all((CACHE / source.archive).exists() for source in script.SOURCES)


@pytest.mark.slow
def test_rebuild_check_reproduces_the_committed_files() -> None:
    if not _cache_complete():
        need("sources", f"source cache {CACHE} is incomplete; run the script once with network to fill it")
    result = subprocess.run([sys.executable, str(SCRIPT), "--check", "--no-download", "--cache", str(CACHE)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("prefectures.geojson", "prefecture_adjacency.json", "municipalities.csv", "associations.csv"):
        assert f"same   {name}: identical" in result.stdout


@pytest.mark.slow
def test_rebuild_is_deterministic() -> None:
    if not _cache_complete():
        need("sources", f"source cache {CACHE} is incomplete; run the script once with network to fill it")
    script = load_script()
    first = script.rebuild(CACHE, DATA / "associations.csv", download=False)
    second = script.rebuild(CACHE, DATA / "associations.csv", download=False)
    assert first == second
    assert first["prefectures.geojson"] == (DATA / "prefectures.geojson").read_bytes()
