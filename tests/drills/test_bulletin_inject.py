"""A drill scenario injects recorded JMA bulletins: they propose drill declarations marked 【訓練】 (never a
live one), belong to that drill run (a second run proposes again), and are purged with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from coordinator.bulletins.models import Bulletin, ConfirmRequest, Proposal
from coordinator.bulletins.service import confirm
from coordinator.disasters.models import Disaster
from coordinator.drills.loader import ScenarioError, load_scenario, parse_scenario
from coordinator.drills.purge import purge_drill
from coordinator.drills.runner import run_scenario
from coordinator.events.models import Event
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "tohoku_bulletin.yaml"


def test_injected_bulletins_propose_drill_declarations_of_that_run(engine: Engine, make_user) -> None:
    scenario = load_scenario(SCENARIO)
    first = run_scenario(engine, scenario, speed=None)
    second = run_scenario(engine, scenario, speed=None)
    assert first.failures == [] and second.failures == []
    with Session(engine) as session:
        proposals = session.exec(select(Proposal).order_by(Proposal.id)).all()
        assert [(p.drill_id, p.kind) for p in proposals] == [
            (first.drill_id, "earthquake"), (first.drill_id, "tsunami"),
            (second.drill_id, "earthquake"), (second.drill_id, "tsunami")]
        assert {p.mode for p in proposals} == {"drill"} and {p.status for p in proposals} == {"open"}
        assert all(p.name.startswith("【訓練】") for p in proposals)
        assert proposals[0].name == "【訓練】宮城県北部で最大震度6強を観測した地震"
        assert session.exec(select(Disaster).where(Disaster.mode == "live")).all() == []
        types = [e.type for e in session.exec(select(Event).where(Event.disaster_id == first.drill_id))]
        assert types.count("bulletin.proposed") == 2 and types.count("bulletin.received") == 2
        bulletin_id = proposals[0].bulletin_id
    user, _ = make_user("secretariat")
    with Session(engine, expire_on_commit=False) as session:
        _, drill = confirm(session, bulletin_id=bulletin_id, data=ConfirmRequest(), actor=user)
    assert drill.mode == "drill" and drill.name == "【訓練】宮城県北部で最大震度6強を観測した地震"
    with Session(engine) as session:
        counts = purge_drill(session, drill_id=first.drill_id)
    assert counts["bulletins"] == 2 and counts["proposals"] == 2
    with Session(engine) as session:
        assert {b.drill_id for b in session.exec(select(Bulletin))} == {second.drill_id}


def test_a_missing_or_broken_bulletin_file_is_named_with_its_line(tmp_path: Path) -> None:
    text = SCENARIO.read_text(encoding="utf-8").replace("bulletins/32-39_11_01_120615_VXSE51.xml", "bulletins/nope.xml")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    assert "nope.xml" in str(caught.value) and caught.value.line == 25
    (tmp_path / "bulletins").mkdir()
    (tmp_path / "bulletins" / "nope.xml").write_text("<Report/>", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    assert "Report" in str(caught.value)
    with pytest.raises(ScenarioError):
        parse_scenario(text, str(tmp_path / "elsewhere" / "s.yaml"))
