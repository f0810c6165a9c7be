"""`ouen data check`, `ouen area` and `ouen eligible` through the real command line (Typer's runner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coordinator.cli import (
    app,
    commands,  # noqa: F401  (registers the command groups)
)
from tests.conftest import ROOT

runner = CliRunner()
AGREEMENT = ROOT / "agreements" / "default.toml"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["data", "check", *args])
    return result.exit_code, result.output


def test_data_check_passes_on_the_committed_data() -> None:
    code, output = check("--on", "2026-11-22")
    assert code == 0, output
    assert "47 prefectures" in output and "63 associations" in output
    assert "kanto" in output and "coordinator FY2026: pref_tokyo" in output


def test_data_check_fails_on_a_missing_prefecture(data_copy: Path) -> None:
    path = data_copy / "prefectures.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"] if f["properties"]["code"] != "17"]
    path.write_text(json.dumps(collection), encoding="utf-8")
    code, output = check("--data-dir", str(data_copy))
    assert code == 1
    assert "prefectures.geojson" in output and "17" in output


def test_data_check_fails_on_bad_geometry(data_copy: Path) -> None:
    path = data_copy / "prefectures.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    bowtie = [[[139.0, 35.0], [140.0, 36.0], [140.0, 35.0], [139.0, 36.0], [139.0, 35.0]]]
    collection["features"][12]["geometry"] = {"type": "MultiPolygon", "coordinates": [bowtie]}
    path.write_text(json.dumps(collection), encoding="utf-8")
    code, output = check("--data-dir", str(data_copy))
    assert code == 1
    assert "prefectures.geojson" in output and "13" in output


def test_data_check_fails_on_an_association_in_two_blocks(tmp_path: Path) -> None:
    text = AGREEMENT.read_text(encoding="utf-8").replace('"pref_nagano",\n]', '"pref_nagano", "pref_toyama",\n]', 1)
    broken = tmp_path / "two_blocks.toml"
    broken.write_text(text, encoding="utf-8")
    code, output = check("--agreement", str(broken))
    assert code == 1
    assert "two_blocks.toml" in output and "pref_toyama" in output


def test_data_check_fails_on_a_coordinator_who_is_not_a_member(tmp_path: Path) -> None:
    text = AGREEMENT.read_text(encoding="utf-8")
    marker = '[fiscal_years.2026.blocks.kinki]\ncoordinator = "pref_osaka"'
    assert marker in text
    broken = tmp_path / "outsider.toml"
    broken.write_text(text.replace(marker, '[fiscal_years.2026.blocks.kinki]\ncoordinator = "pref_tokyo"'),
                      encoding="utf-8")
    code, output = check("--agreement", str(broken))
    assert code == 1
    assert "outsider.toml" in output and "fiscal_years.2026.blocks.kinki" in output and "pref_tokyo" in output


def test_area_prints_affected_associations_and_acting_roles_as_json() -> None:
    result = runner.invoke(app, ["area", "--prefectures", "11,12,13,14", "--on", "2026-11-22", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {a["id"] for a in body["associations"]} >= {"pref_tokyo", "city_yokohama", "city_kawasaki"}
    assert body["acting_roles"]["secretariat"]["is_failover"] is True
    kanto = body["acting_roles"]["coordinators"]["kanto"]
    assert kanto["is_deputy"] is True and kanto["association_id"] not in {"pref_tokyo", "pref_kanagawa"}


def test_area_epicentre_kumamoto_text_output() -> None:
    result = runner.invoke(app, ["area", "--epicentre", "130.76,32.75", "--radius-km", "30"])
    assert result.exit_code == 0, result.output
    assert "city_kumamoto" in result.output and "pref_kumamoto" in result.output


@pytest.mark.parametrize("args, field", [
    (["--prefectures", "99"], "prefectures"),
    (["--epicentre", "130.76,32.75", "--radius-km", "0"], "radius_km"),
    (["--epicentre", "not-a-point", "--radius-km", "10"], "--epicentre"),
    ([], "exactly one"),
])
def test_area_rejects_bad_input_with_the_field(args: list[str], field: str) -> None:
    result = runner.invoke(app, ["area", *args])
    assert result.exit_code == 1
    assert field in result.output


def test_eligible_ranks_the_block_first_and_explains_exclusions() -> None:
    result = runner.invoke(app, ["eligible", "--requester", "pref_ishikawa", "--kind", "onsite_interpretation",
                                 "--language", "vi", "--prefectures", "17", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {c["stage"] for c in body["eligible"]} == {1}
    assert body["eligible"][0]["association_id"] in {"pref_toyama", "pref_fukui"}
    excluded = {x["association_id"]: x["code"] for x in body["excluded"]}
    assert excluded["pref_ishikawa"] == "requester"
    assert excluded["pref_osaka"] == "cross_block_closed"
    assert len(body["eligible"]) + len(body["excluded"]) == 63


def test_eligible_refuses_a_language_the_agreement_does_not_list_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["eligible", "--requester", "pref_ishikawa", "--kind", "onsite_interpretation",
                                 "--language", "fr", "--prefectures", "17"])
    assert result.exit_code == 1
    assert "協定にありません" in result.output and "ミャンマー語（my）" in result.output
    assert "does not list the language 'fr'" in result.output and "pt-BR Brazilian Portuguese" in result.output


def test_eligible_takes_the_languages_residents_speak() -> None:
    result = runner.invoke(app, ["eligible", "--requester", "pref_ishikawa", "--kind", "onsite_interpretation",
                                 "--language", "pt-br", "--prefectures", "17", "--json"])
    assert result.exit_code == 0, result.output
    assert {c["stage"] for c in json.loads(result.output)["eligible"]} == {1}
