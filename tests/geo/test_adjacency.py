"""Neighbouring prefectures by land and by short sea links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo import GeoError, are_neighbours, neighbours


def test_hokkaido_reaches_aomori_across_the_tsugaru_strait() -> None:
    near = neighbours("01")
    assert [(n.code, n.type) for n in near] == [("02", "sea")]
    assert near[0].gap_km == pytest.approx(18.7) and near[0].name_ja == "青森県"


def test_land_neighbours_come_first_then_sea_each_by_code() -> None:
    near = neighbours("東京都")
    assert [(n.code, n.type) for n in near] == [("11", "land"), ("12", "land"), ("14", "land"), ("19", "land"),
                                                ("22", "sea")]
    assert all(n.shared_border_km > 0 and n.gap_km == 0 for n in near if n.type == "land")


def test_are_neighbours_is_symmetric_and_knows_sea_links() -> None:
    assert are_neighbours("35", "40") and are_neighbours("Fukuoka", "Yamaguchi")  # Kanmon strait
    assert are_neighbours(46, 47)
    assert not are_neighbours("01", "47")
    assert not are_neighbours("17", "13")


def test_no_prefecture_is_isolated() -> None:
    assert all(neighbours(code) for code in range(1, 48))


def test_unknown_prefecture_in_neighbours() -> None:
    with pytest.raises(GeoError) as caught:
        neighbours("48")
    assert caught.value.field == "pref_code"


def test_broken_adjacency_file_names_the_entry(data_copy: Path) -> None:
    path = data_copy / "prefecture_adjacency.json"
    pairs = json.loads(path.read_text(encoding="utf-8"))
    pairs[3]["type"] = "bridge"
    path.write_text(json.dumps(pairs), encoding="utf-8")
    with pytest.raises(GeoError, match=r"prefecture_adjacency.json: \[3\]: type must be land or sea"):
        neighbours("01", data_copy)
