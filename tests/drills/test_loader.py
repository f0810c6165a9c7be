"""Invalid scenarios fail with the file, the line and the reason (English and Japanese)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator.drills.loader import ScenarioError, load_scenario
from coordinator.drills.scenario import parse_offset

GOOD = """\
id: t
title: test
disaster:
  name: test quake
  kind: earthquake
  area:
    prefectures: ["16"]
start: 2026-06-01T09:00:00+09:00
duration: 48h
injects:
  - at: 30m
    type: need
    key: a
    requester: pref_toyama
    kind: centre_staff
    language: en
    headcount: 2
  - at: 1h
    type: offer
    association: pref_fukui
    languages: [en]
    kinds: [centre_staff]
    headcount: 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "drill.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> ScenarioError:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
    assert caught.value.message_ja and caught.value.message_en
    return caught.value


def test_the_good_scenario_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.disaster.area.prefectures == ["16"] and len(scenario.injects) == 2


def test_unknown_association(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("association: pref_fukui", "association: pref_atlantis"))
    assert (error.line, error.field) == (20, "injects[1].association")
    assert "unknown association 'pref_atlantis'" in error.message_en and "存在しません" in error.message_ja


def test_unknown_requester(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("requester: pref_toyama", "requester: pref_nowhere"))
    assert (error.line, error.field) == (14, "injects[0].requester")


def test_requester_outside_the_area(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("requester: pref_toyama", "requester: pref_osaka"))
    assert error.line == 14 and "not affected" in error.message_en


def test_inject_before_start_relative(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("at: 1h", "at: -1h"))
    assert (error.line, error.field) == (18, "injects[1].at")
    assert "inject at -01h00m is before the start" in error.message_en and "訓練開始より前" in error.message_ja


def test_inject_before_start_absolute(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("at: 30m", "at: 2026-06-01T08:00:00+09:00"))
    assert (error.line, error.field) == (11, "injects[0].at") and "before the start" in error.message_en


def test_inject_after_the_end(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("at: 1h", "at: 3d"))
    assert error.line == 18 and "after the end" in error.message_en


def test_bad_area(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace('prefectures: ["16"]', 'prefectures: ["99"]'))
    assert (error.line, error.field) == (7, "disaster.area.prefectures")
    assert error.message_en.startswith("bad area:") and "99" in error.message_en


def test_two_kinds_of_area(tmp_path: Path) -> None:
    both = GOOD.replace('    prefectures: ["16"]', '    prefectures: ["16"]\n    municipalities: ["17204"]')
    error = error_of(tmp_path, both)
    assert (error.line, error.field) == (7, "disaster.area")


def test_unknown_disaster_kind(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("kind: earthquake", "kind: meteor"))
    assert (error.line, error.field) == (5, "disaster.kind") and "earthquake" in error.message_en


def test_unknown_support_kind(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("kind: centre_staff", "kind: catering"))
    assert (error.line, error.field) == (15, "injects[0].kind") and "catering" in error.message_en


def test_schema_error_inside_an_inject(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("headcount: 2\n  - at: 1h", "headcount: 0\n  - at: 1h"))
    assert (error.line, error.field) == (17, "injects[0].headcount")


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("duration: 48h", "duration: 48h\nspeeed: 600"))
    assert (error.line, error.field) == (10, "speeed") and "Extra inputs" in error.message_en


def test_amending_an_undeclared_need(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD + "  - {at: 2h, type: amend_need, need: zzz, headcount: 3}\n")
    assert (error.line, error.field) == (24, "injects[2].need")


def test_speed_above_600_is_refused(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("duration: 48h", "duration: 48h\nclock: {speed: 601}"))
    assert error.line == 10 and error.field.startswith("clock.speed")


def test_not_yaml(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("  kind: earthquake", "  kind: [earthquake"))
    assert error.field == "(yaml)" and error.line >= 5


def test_relative_times() -> None:
    assert parse_offset("1d6h30m").total_seconds() == (30 * 60 + 30) * 60
    assert parse_offset(90).total_seconds() == 5400 and parse_offset("-1h").total_seconds() == -3600
    with pytest.raises(ValueError):
        parse_offset("soon")


@pytest.mark.parametrize(("old", "new", "line", "field"), [
    ("language: en", "language: fr", 16, "injects[0].language"),
    ("languages: [en]", "languages: [en, pt-PT]", 21, "injects[1].languages[1]"),
])
def test_a_language_the_agreement_does_not_list_is_refused_with_the_known_ones(
        tmp_path: Path, old: str, new: str, line: int, field: str) -> None:
    error = error_of(tmp_path, GOOD.replace(old, new))
    assert (error.line, error.field) == (line, field)
    assert "does not list" in error.message_en and "Burmese" in error.message_en
    assert "協定にありません" in error.message_ja and "ミャンマー語（my）" in error.message_ja


def test_the_languages_residents_speak_load(tmp_path: Path) -> None:
    text = GOOD.replace("language: en", "language: pt-BR").replace("languages: [en]", "languages: [my, pt]")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.injects[0].language == "pt-BR"
