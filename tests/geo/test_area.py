"""Affected-area resolution from each kind of input, the scenario areas, and every kind of bad input."""

from __future__ import annotations

import json
import math

import pytest

from geo import AffectedArea, GeoError, municipality, resolve_area

NOTO_PENINSULA = [[136.65, 36.95], [137.4, 36.95], [137.45, 37.6], [136.6, 37.6], [136.65, 36.95]]
# A Nankai-Trough-like strip along the Pacific coast, from Suruga Bay (west of the Izu Islands) through the
# Kii peninsula and Shikoku's south coast to Miyazaki: a band about 20-40 km inland plus the sea beside it.
NANKAI_INLAND = [(138.9, 35.15), (138.4, 35.05), (137.9, 34.85), (137.4, 34.85), (136.9, 34.75), (136.5, 34.4),
                 (136.1, 34.0), (135.8, 33.75), (135.4, 33.85), (135.2, 34.0), (134.7, 34.05), (134.3, 33.6),
                 (133.6, 33.65), (133.0, 33.15), (132.6, 32.95), (131.8, 32.7), (131.55, 32.4), (131.35, 31.9),
                 (131.25, 31.5), (131.3, 31.35)]
NANKAI_OFFSHORE = [(131.7, 31.4), (132.0, 32.3), (132.8, 32.5), (133.6, 33.0), (134.3, 33.0), (135.0, 33.3),
                   (135.8, 33.2), (136.5, 33.7), (137.2, 34.3), (138.0, 34.4), (138.9, 34.6)]
NANKAI_STRIP = [list(p) for p in (*NANKAI_INLAND, *NANKAI_OFFSHORE, NANKAI_INLAND[0])]
BOWTIE_OVER_KUMAMOTO = [[130.6, 32.7], [130.9, 32.9], [130.9, 32.7], [130.6, 32.9], [130.6, 32.7]]


def polygon(ring: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


def box(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


# Prefecture lists

def test_noto_by_prefecture_affects_only_ishikawas_association() -> None:
    area = resolve_area(prefectures=["17"])
    assert area.source == "prefectures"
    assert area.association_ids == {"pref_ishikawa"}
    assert [(p.code, p.reached_by, p.overlap_share) for p in area.prefectures] == [("17", "listed", None)]
    assert len(area.municipalities) == 19  # Ishikawa's 11 cities, 8 towns
    assert {m.reached_by for m in area.municipalities} == {"in listed prefecture"}
    assert area.associations[0].reason == "prefecture 17 affected (listed)"


def test_tokyo_inland_prefectures_include_their_designated_cities() -> None:
    area = resolve_area(prefectures=[11, "千葉県", "Tokyo", "JP-14"])
    assert area.prefecture_codes == ("11", "12", "13", "14")
    assert area.association_ids == {"pref_saitama", "pref_chiba", "pref_tokyo", "pref_kanagawa", "city_saitama",
                                    "city_chiba", "city_yokohama", "city_kawasaki"}
    assert [a.id for a in area.associations] == sorted(area.association_ids)
    codes = [m.code for m in area.municipalities]
    assert codes == sorted(codes) and "14101" in codes and "14100" in codes


def test_prefectures_as_comma_separated_text_and_duplicates() -> None:
    assert resolve_area(prefectures="17, 17,18").prefecture_codes == ("17", "18")


# Municipality lists

@pytest.mark.parametrize("code", ["43101", "431010", "4310100"])
def test_a_ward_counts_for_its_designated_city(code: str) -> None:
    area = resolve_area(municipalities=[code])
    assert area.source == "municipalities"
    assert area.association_ids == {"pref_kumamoto", "city_kumamoto"}
    assert [(m.code, m.reached_by) for m in area.municipalities] == [("43100", "city of listed ward"),
                                                                     ("43101", "listed")]
    assert [(p.code, p.reached_by) for p in area.prefectures] == [("43", "contains listed municipality")]


def test_a_designated_city_brings_its_wards_but_not_its_neighbours() -> None:
    area = resolve_area(municipalities=["横浜市"])
    assert area.association_ids == {"pref_kanagawa", "city_yokohama"}
    wards = [m for m in area.municipalities if m.reached_by == "ward of listed city"]
    assert len(wards) == 18 and all(m.code.startswith("141") for m in wards)


def test_jma_city_codes_of_an_ordinary_town() -> None:
    area = resolve_area(municipalities=["1720400", "1720500"])  # Wajima, Suzu as in JMA XML City/Code
    assert [m.name_ja for m in area.municipalities] == ["輪島市", "珠洲市"]
    assert area.association_ids == {"pref_ishikawa"}


# GeoJSON areas

def test_noto_polygon_affects_only_ishikawa() -> None:
    area = resolve_area(geojson=polygon(NOTO_PENINSULA))
    assert area.source == "geojson"
    assert area.prefecture_codes == ("17",)
    assert area.association_ids == {"pref_ishikawa"}
    assert {"17204", "17205"} <= {m.code for m in area.municipalities}  # Wajima, Suzu
    assert "17201" not in {m.code for m in area.municipalities}  # Kanazawa lies south of the box
    share = area.prefectures[0].overlap_share
    assert share is not None and 0.3 < share < 0.6


def test_nankai_strip_resolves_to_the_pacific_coast_prefectures() -> None:
    area = resolve_area(geojson=polygon(NANKAI_STRIP))
    # Shizuoka, Aichi (Atsumi), Mie, Wakayama, Tokushima, Kochi, Miyazaki each have municipal offices in the
    # strip. Ehime's Uwa Sea coast is touched (1 % of its area, no office): a sliver, reported, not counted.
    # Tokyo stays out because the strip ends west of the Izu Islands; Osaka Bay, Nara and the Sea of Japan
    # side (Ishikawa) are not in it.
    assert area.prefecture_codes == ("22", "23", "24", "30", "36", "39", "45")
    assert all(p.reached_by == "covers municipal office" for p in area.prefectures)
    assert area.association_ids == {"pref_shizuoka", "city_shizuoka", "city_hamamatsu", "pref_aichi", "pref_mie",
                                    "pref_wakayama", "pref_tokushima", "pref_kochi", "pref_miyazaki"}
    assert "city_nagoya" not in area.association_ids  # Nagoya's office is 40 km inland
    assert any("prefecture 38" in w and "not counted" in w for w in area.warnings)


def test_feature_collection_is_the_union_of_its_features() -> None:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": polygon(NOTO_PENINSULA)},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [
            [box(130.6, 32.7, 130.9, 32.9)]]}}]}
    area = resolve_area(geojson=json.dumps(collection))  # also as a JSON string
    assert area.prefecture_codes == ("17", "43")
    assert {"pref_ishikawa", "pref_kumamoto", "city_kumamoto"} == area.association_ids


def test_a_ward_office_inside_brings_its_city() -> None:
    # A small box around Kumamoto's east ward office (130.767E 32.780N) but not the city hall.
    area = resolve_area(geojson=polygon(box(130.755, 32.77, 130.78, 32.79)))
    reached = {m.code: m.reached_by for m in area.municipalities}
    assert reached == {"43102": "office inside area", "43100": "city of affected ward"}
    assert "city_kumamoto" in area.association_ids


def test_a_sliver_over_a_neighbour_does_not_count() -> None:
    # Kumamoto's lowlands plus thin bands over the Oita (0.7 %) and Fukuoka (0.2 %) borders, no office there.
    area = resolve_area(geojson=polygon(box(130.55, 32.6, 130.95, 33.1)))
    assert area.prefecture_codes == ("43",)
    assert any(w.startswith("prefecture 44 大分県: 0.7% of its area") for w in area.warnings)
    assert all(m.pref_code == "43" for m in area.municipalities)


def test_self_intersecting_bowtie_is_repaired_with_a_warning() -> None:
    area = resolve_area(geojson=polygon(BOWTIE_OVER_KUMAMOTO))
    assert area.prefecture_codes == ("43",)
    assert any("repaired" in w and "Self-intersection" in w for w in area.warnings)


def test_an_unsafe_repair_is_refused() -> None:
    hole_outside = {"type": "Polygon", "coordinates": [box(135, 35, 136, 36),
                                                      [[137, 35], [137.5, 35], [137.5, 35.5], [137, 35]]]}
    with pytest.raises(GeoError, match="cannot be repaired safely") as caught:
        resolve_area(geojson=hole_outside)
    assert caught.value.field == "geojson" and "修復" in caught.value.message_ja


@pytest.mark.parametrize("geojson, problem", [
    ({"type": "FeatureCollection", "features": []}, "has no features"),
    ({"type": "Point", "coordinates": [135, 35]}, "Point has no area"),
    ({"type": "Polygon", "coordinates": [[[135, 35], [136, 35], [136, 36], [135, 36]]]}, "not closed"),
    ({"type": "Polygon", "coordinates": [[[135, 35], [136, 35], [135, 35]]]}, "at least 4 positions"),
    ({"type": "Polygon", "coordinates": [[[135, 35], ["x", 35], [136, 36], [135, 35]]]}, "must be"),
    ({"type": "Polygon", "coordinates": []}, "at least one ring"),
    ({"type": "Feature", "geometry": None}, "no geometry"),
    ({"type": "Circle"}, "unsupported GeoJSON type"),
    ("{not json", "not valid JSON"),
    ({"type": "Polygon", "coordinates": [[[135, 35], [136, 35], [137, 35], [135, 35]]]}, "cannot be repaired"),
])
def test_bad_geojson_says_what_is_wrong(geojson: object, problem: str) -> None:
    with pytest.raises(GeoError, match=problem) as caught:
        resolve_area(geojson=geojson)
    assert caught.value.field == "geojson" and caught.value.message_ja


def test_coordinates_outside_japan_are_named_with_their_position() -> None:
    ring = [[135, 35], [136, 35], [156.5, 36], [135, 35]]
    with pytest.raises(GeoError) as caught:
        resolve_area(geojson={"type": "Feature", "geometry": polygon(ring)})
    assert "geojson.geometry.coordinates[0][2]: coordinate (156.5, 36) is outside Japan" in str(caught.value)


def test_swapped_latitude_and_longitude_get_a_hint() -> None:
    with pytest.raises(GeoError, match="look swapped"):
        resolve_area(geojson=polygon([[35, 135], [35, 136], [36, 136], [35, 135]]))


# Epicentre and radius

def test_kumamoto_2016_affects_kumamoto_prefecture_and_city_only() -> None:
    area = resolve_area(epicentre=(130.76, 32.75), radius_km=30)
    assert area.source == "epicentre"
    assert area.prefecture_codes == ("43",)
    assert area.prefectures[0].reached_by == "inside radius"
    assert area.association_ids == {"pref_kumamoto", "city_kumamoto"}
    assert all(m.distance_km is not None and m.distance_km <= 30 for m in area.municipalities)
    city = next(m for m in area.municipalities if m.code == "43100")
    assert 7 < city.distance_km < 9  # type: ignore[operator]  # Kumamoto city hall is ~7.9 km from there
    assert {"43443", "43441"} <= {m.code for m in area.municipalities}  # Mashiki, Mifune


def test_epicentre_as_text_and_offshore_within_reach() -> None:
    area = resolve_area(epicentre="142.37, 38.32", radius_km=100)  # 2011 Tohoku, 70 km off Oshika
    assert area.prefecture_codes == ("04",)
    assert area.association_ids == {"pref_miyagi"}


def test_an_area_that_reaches_nothing_says_so() -> None:
    area = resolve_area(epicentre=(143.5, 37.5), radius_km=10)
    assert area.prefectures == () and area.association_ids == frozenset()
    assert any("nothing is affected" in w for w in area.warnings)


@pytest.mark.parametrize("radius", [0, -5, 500.1, math.nan, "abc", True, None])
def test_bad_radius_is_refused(radius: object) -> None:
    with pytest.raises(GeoError) as caught:
        resolve_area(epicentre=(130.76, 32.75), radius_km=radius)
    assert caught.value.field == "radius_km"
    assert "500" in str(caught.value)


def test_radius_of_500_km_is_the_largest_allowed() -> None:
    area = resolve_area(epicentre=(135.5, 34.7), radius_km=500)
    assert {"27", "26", "28"} <= set(area.prefecture_codes)


@pytest.mark.parametrize("epicentre, problem", [((200.0, 35.0), "outside Japan"), ((35.0, 135.0), "look swapped"),
                                                ((150.0, 40.0), "from the nearest prefecture"),
                                                (("a", "b"), "pair of numbers"), ((130.0,), "pair of numbers")])
def test_bad_epicentre_is_refused(epicentre: object, problem: str) -> None:
    with pytest.raises(GeoError, match=problem) as caught:
        resolve_area(epicentre=epicentre, radius_km=10)
    assert caught.value.field == "epicentre"


# Choosing the input

@pytest.mark.parametrize("kwargs", [{}, {"prefectures": ["17"], "municipalities": ["17204"]},
                                    {"prefectures": ["17"], "epicentre": (130.76, 32.75), "radius_km": 30}])
def test_exactly_one_input_is_required(kwargs: dict) -> None:
    with pytest.raises(GeoError, match="exactly one") as caught:
        resolve_area(**kwargs)
    assert caught.value.field == "area"


def test_radius_without_epicentre_is_refused() -> None:
    with pytest.raises(GeoError) as caught:
        resolve_area(prefectures=["17"], radius_km=30)
    assert caught.value.field == "radius_km"


@pytest.mark.parametrize("kwargs, field", [({"prefectures": ["48"]}, "prefectures"),
                                           ({"prefectures": []}, "prefectures"),
                                           ({"municipalities": ["99999"]}, "municipalities"),
                                           ({"municipalities": ["府中市"]}, "municipalities")])
def test_unknown_codes_name_the_input(kwargs: dict, field: str) -> None:
    with pytest.raises(GeoError) as caught:
        resolve_area(**kwargs)
    assert caught.value.field == field


def test_to_dict_is_json_ready() -> None:
    area = resolve_area(epicentre=(130.76, 32.75), radius_km=30)
    payload = json.loads(json.dumps(area.to_dict(), ensure_ascii=False))
    assert payload["source"] == "epicentre"
    assert payload["prefecture_codes"] == ["43"]
    assert payload["association_ids"] == ["city_kumamoto", "pref_kumamoto"]
    assert payload["prefectures"][0]["overlap_share"] == area.prefectures[0].overlap_share
    assert len(payload["municipalities"]) == len(area.municipalities)
    assert isinstance(area, AffectedArea)


def test_custom_data_dir_is_used(data_copy) -> None:  # type: ignore[no-untyped-def]
    rows = (data_copy / "associations.csv").read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if not row.startswith("city_kumamoto,")]
    (data_copy / "associations.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    area = resolve_area(epicentre=(130.76, 32.75), radius_km=30, data_dir=data_copy)
    assert area.association_ids == {"pref_kumamoto"}


def test_city_of_an_affected_ward_carries_its_own_distance() -> None:
    # 3 km around Yokohama's Aoba ward office (139.5374E 35.5527N): the ward is in, city hall (~15 km) is not.
    ward = municipality("14117")
    area = resolve_area(epicentre=(ward.lon, ward.lat), radius_km=3)
    city = next(m for m in area.municipalities if m.code == "14100")
    assert city.reached_by == "city of affected ward"
    assert city.distance_km is not None and city.distance_km > 3
    assert "city_yokohama" in area.association_ids
