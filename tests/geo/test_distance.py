"""Geodesic distances against known values, the association matrix, places to associations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo import (
    GeoError,
    association,
    association_distance_km,
    association_distance_matrix,
    associations,
    distance_km,
    municipality,
    place_to_association_km,
)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Independent spherical estimate (mean Earth radius 6371.0088 km, IUGG); within ~0.5 % of WGS84."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_known_wgs84_lengths() -> None:
    # The WGS84 meridian quadrant is 10,001.965729 km; one degree of the equator is 2π·6378.137/360 km.
    assert distance_km((0.0, 0.0), (0.0, 90.0)) == pytest.approx(10001.965729, abs=1e-3)
    assert distance_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(2 * math.pi * 6378.137 / 360, abs=1e-3)


def test_tokyo_to_osaka_is_about_400_km() -> None:
    tokyo, osaka = (139.6917, 35.6895), (135.5200, 34.6863)  # the two prefectural government offices
    km = distance_km(tokyo, osaka)
    assert km == pytest.approx(haversine_km(tokyo, osaka), rel=0.01)
    assert 390 < km < 405
    assert distance_km(osaka, tokyo) == pytest.approx(km, abs=1e-9)
    assert distance_km(tokyo, tokyo) == 0


@pytest.mark.parametrize("bad", [(200.0, 35.0), (135.0, 95.0), ("x", 35.0), (135.0,), (math.nan, 35.0)])
def test_bad_points_are_refused(bad: tuple) -> None:
    with pytest.raises(GeoError) as caught:
        distance_km(bad, (135.0, 35.0))
    assert caught.value.field == "a"


def test_matrix_is_symmetric_with_zero_diagonal_and_sorted_ids() -> None:
    ids, matrix = association_distance_matrix()
    assert ids == tuple(sorted(a.id for a in associations())) and len(ids) == 63
    assert matrix.shape == (63, 63)
    assert np.array_equal(matrix, matrix.T)
    assert np.all(np.diag(matrix) == 0)
    assert not matrix.flags.writeable
    off_diagonal = matrix[~np.eye(63, dtype=bool)]
    assert off_diagonal.min() >= 0 and off_diagonal.max() < 3000  # Hokkaido to Okinawa is ~2,240 km


def test_matrix_entries_match_pointwise_distances() -> None:
    ids, matrix = association_distance_matrix()
    for a_id, b_id in [("pref_ishikawa", "pref_toyama"), ("pref_hokkaido", "pref_okinawa"),
                       ("city_kumamoto", "pref_fukuoka")]:
        a, b = association(a_id), association(b_id)
        expected = haversine_km((a.lon, a.lat), (b.lon, b.lat))
        assert association_distance_km(a_id, b_id) == pytest.approx(expected, rel=0.01)
        assert matrix[ids.index(a_id), ids.index(b_id)] == association_distance_km(b_id, a_id)
    # Fukuoka's prefectural and city associations are both placed at Fukuoka city hall.
    assert association_distance_km("pref_fukuoka", "city_fukuoka") == 0


def test_unknown_association_in_distance() -> None:
    with pytest.raises(GeoError) as caught:
        association_distance_km("pref_ishikawa", "pref_nara")
    assert caught.value.field == "association_id"


def test_place_to_association() -> None:
    wajima = municipality("17204")
    ishikawa = association("pref_ishikawa")
    km = place_to_association_km("17204", "pref_ishikawa")
    assert km == pytest.approx(haversine_km((wajima.lon, wajima.lat), (ishikawa.lon, ishikawa.lat)), rel=0.01)
    assert 85 < km < 105  # Wajima to Kanazawa, ~95 km in a straight line
    assert place_to_association_km("1720400", "pref_ishikawa") == km
    with pytest.raises(GeoError) as caught:
        place_to_association_km("99999", "pref_ishikawa")
    assert caught.value.field == "municipality_code"
