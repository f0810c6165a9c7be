"""Purge removes everything of one drill and nothing else; a drill can never declare a live disaster;
the command line runs, lists, reports and purges drills."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from coordinator.cli import app as cli_app
from coordinator.cli import commands  # noqa: F401  (registers the command groups)
from coordinator.disasters.models import AreaInput, DisasterCreate
from coordinator.disasters.service import declare_disaster
from coordinator.drills.failover import mark_unavailable
from coordinator.drills.loader import load_scenario
from coordinator.drills.purge import purge_drill
from coordinator.drills.runner import DrillRefused, ensure_drill, run_scenario
from coordinator.errors import Conflict, NotFound
from coordinator.settings import get_settings
from tests.conftest import ROOT

SMALL = ROOT / "scenarios" / "training_small.yaml"
TABLES = ("disaster", "need", "need_revision", "offer", "dispatch", "event", "app_user", "api_token", "notification",
          "notification_outbox", "notification_attempt", "reminder_stage")


def snapshot(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of the tables a drill could touch."""
    names = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {table: {tuple(json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v
                              for v in row) for row in connection.execute(text(f"SELECT * FROM {table}"))}
                for table in TABLES if table in names}


def drill_rows(engine: Engine, drill_id: int) -> dict[str, int]:
    """How many rows still belong to a drill, per table."""
    queries = {
        "disaster": "SELECT count(*) FROM disaster WHERE id = :d",
        "need": "SELECT count(*) FROM need WHERE disaster_id = :d",
        "need_revision": "SELECT count(*) FROM need_revision WHERE need_id NOT IN (SELECT id FROM need)",
        "offer": "SELECT count(*) FROM offer WHERE disaster_id = :d",
        "dispatch": "SELECT count(*) FROM dispatch WHERE disaster_id = :d",
        "event": "SELECT count(*) FROM event WHERE disaster_id = :d",
    }
    with engine.connect() as connection:
        return {name: connection.execute(text(sql), {"d": drill_id}).scalar_one() for name, sql in queries.items()}


def test_purge_removes_that_drill_and_nothing_else(engine: Engine, make_user) -> None:
    secretariat, _ = make_user("secretariat")
    with Session(engine, expire_on_commit=False) as session:
        live = declare_disaster(session, actor=secretariat, data=DisasterCreate(
            name="本番の地震", kind="earthquake", mode="live", area=AreaInput(prefectures=["16"])))
    scenario = load_scenario(SMALL)
    first = run_scenario(engine, scenario, speed=None)
    before_first = drill_rows(engine, first.drill_id)
    assert before_first["need"] and before_first["dispatch"] and before_first["event"] and before_first["offer"]
    second = run_scenario(engine, scenario, speed=None)
    before = snapshot(engine)
    with Session(engine) as session:
        counts = purge_drill(session, drill_id=first.drill_id)
    after = snapshot(engine)
    assert drill_rows(engine, first.drill_id) == dict.fromkeys(before_first, 0)
    assert counts["needs"] == before_first["need"] and counts["events"] == before_first["event"]
    assert counts["need_revisions"] >= 1
    # Nothing else changed: every remaining row was there before, untouched.
    for table in before:
        assert after[table] <= before[table], table
    removed = sum(len(before[t] - after[t]) for t in before)
    assert removed == sum(counts.values())
    assert drill_rows(engine, second.drill_id)["need"] == before_first["need"]  # the other drill stays
    with engine.connect() as connection:
        mode = connection.execute(text("SELECT mode FROM disaster WHERE id = :d"), {"d": live.id}).scalar_one()
    assert mode == "live"


def test_purge_refuses_a_live_disaster_and_deletes_nothing(engine: Engine, make_user) -> None:
    secretariat, _ = make_user("secretariat")
    with Session(engine, expire_on_commit=False) as session:
        live = declare_disaster(session, actor=secretariat, data=DisasterCreate(
            name="本番の地震", kind="earthquake", mode="live", area=AreaInput(prefectures=["17"])))
    before = snapshot(engine)
    with Session(engine) as session, pytest.raises(Conflict) as refused:
        purge_drill(session, drill_id=live.id or 0)
    assert refused.value.field == "drill_id" and "live" in refused.value.message_en
    assert snapshot(engine) == before
    with Session(engine) as session, pytest.raises(NotFound):
        purge_drill(session, drill_id=9999)


def test_a_drill_never_declares_a_live_disaster() -> None:
    live = DisasterCreate(name="【訓練】能登", kind="earthquake", mode="live", area=AreaInput(prefectures=["17"]))
    with pytest.raises(DrillRefused):
        ensure_drill(live)
    unmarked = DisasterCreate(name="能登", kind="earthquake", mode="drill", area=AreaInput(prefectures=["17"]))
    with pytest.raises(DrillRefused):
        ensure_drill(unmarked)
    marked = unmarked.model_copy(update={"name": "【訓練】能登"})
    assert ensure_drill(marked) is marked


def test_roles_are_re_derived_only_for_drills(engine: Engine, make_user) -> None:
    secretariat, _ = make_user("secretariat")
    with Session(engine, expire_on_commit=False) as session:
        live = declare_disaster(session, actor=secretariat, data=DisasterCreate(
            name="本番", kind="earthquake", mode="live", area=AreaInput(prefectures=["17"])))
        with pytest.raises(Conflict):
            mark_unavailable(session, disaster_id=live.id or 0, unavailable=["pref_aichi"], minute=0)
        drill = declare_disaster(session, actor=secretariat, data=DisasterCreate(
            name="【訓練】能登", kind="earthquake", mode="drill", area=AreaInput(prefectures=["17"])))
        coordinator = drill.acting_roles["coordinators"]["tokai_hokuriku"]["association_id"]
        changed = mark_unavailable(session, disaster_id=drill.id or 0, unavailable=[coordinator], minute=5)
        acting = changed.acting_roles["coordinators"]["tokai_hokuriku"]
        assert acting["association_id"] != coordinator and acting["is_deputy"] and coordinator in acting["skipped"]
        assert changed.acting_roles["unavailable"] == [coordinator]
        assert changed.acting_roles["secretariat"]["id"] == "clair"
        again = mark_unavailable(session, disaster_id=drill.id or 0, unavailable=["secretariat"], minute=6)
        assert again.acting_roles["secretariat"]["is_failover"] and again.acting_roles["unavailable"] == sorted(
            [coordinator, "clair"])


def test_command_line(tmp_path: Path, live_db_url: str) -> None:
    # The command line is database-independent: once, on a migrated SQLite file, is enough.

    def ouen(*args: str) -> Any:
        get_settings.cache_clear()  # the settings are read once per process; this "process" has a new env
        try:
            return CliRunner().invoke(cli_app, list(args), env={"OUEN_DATABASE_URL": live_db_url})
        finally:
            get_settings.cache_clear()

    assert ouen("drill", "run", str(SMALL), "--speed", "601").exit_code != 0
    first = ouen("drill", "run", str(SMALL), "--speed", "instant")
    assert first.exit_code == 0, first.output
    assert "drill id 1" in first.output
    assert ouen("drill", "run", str(SMALL), "--speed", "instant").exit_code == 0
    listed = ouen("drill", "list").output
    assert "1\ttraining-small\topen\t【訓練】" in listed and "2\ttraining-small" in listed
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    reported = ouen("drill", "report", "2", "--html", str(html), "--json", str(js), "--compare", "1")
    assert reported.exit_code == 0, reported.output
    document = json.loads(js.read_text(encoding="utf-8"))
    assert document["comparison"]["earlier_drill_id"] == 1 and document["scenario_id"] == "training-small"
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 4 and "【訓練】" in page and "<script" not in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text(encoding="utf-8").replace("association: pref_fukui", "association: pref_x"),
                   encoding="utf-8")
    refused = ouen("drill", "run", str(bad))
    assert refused.exit_code == 2 and f"{bad}:" in refused.output and "pref_x" in refused.output
    purged = ouen("drill", "purge", "1")
    assert purged.exit_code == 0 and "purged drill 1" in purged.output
    assert "1\ttraining-small" not in ouen("drill", "list").output


def test_the_runner_never_acts_for_associations_people_play(engine: Engine) -> None:
    scenario = load_scenario(SMALL).model_copy(update={"played": ["pref_fukui"]})
    result = run_scenario(engine, scenario, speed=None)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT supplier_id, state FROM dispatch WHERE disaster_id = :d"),
                                  {"d": result.drill_id}).all()
        answers = connection.execute(text(
            "SELECT count(*) FROM event WHERE disaster_id = :d AND actor_association_id = 'pref_fukui'"),
            {"d": result.drill_id}).scalar_one()
    fukui = [state for supplier, state in rows if supplier == "pref_fukui"]
    # The simulated coordinator still asks Fukui; nobody answers for it but the people playing it.
    assert fukui and set(fukui) <= {"requested", "cancelled"}
    assert answers == 1  # only the scripted offer inject speaks for Fukui
