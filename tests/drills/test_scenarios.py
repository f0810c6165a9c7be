"""Every shipped scenario runs at instant speed, and its report agrees with a second computation from the
events as the timeline API serves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.disasters.models import Disaster
from coordinator.drills.eventlog import drill_events
from coordinator.drills.loader import load_scenario
from coordinator.drills.report import compare, compute_report
from coordinator.drills.runner import run_scenario
from tests.conftest import ROOT
from tests.drills.recompute import figures

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def timeline(client: TestClient, headers: dict[str, str], disaster_id: int) -> list[dict[str, Any]]:
    """Every event of a disaster through GET /events, page by page."""
    events: list[dict[str, Any]] = []
    since = 0
    while True:
        page = client.get(f"/api/v1/disasters/{disaster_id}/events", params={"since": since, "limit": 1000},
                          headers=headers).json()
        events += page["events"]
        if not page["events"]:
            return events
        since = page["next_since"]


def test_six_scenarios_are_shipped() -> None:
    ids = {load_scenario(path).id for path in SCENARIOS}
    assert ids == {"noto-like", "kumamoto-like", "tokyo-inland", "nankai-like", "training-small", "tohoku-bulletin"}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_runs_instantly_and_its_report_is_recomputed(path: Path, engine: Engine, client: TestClient,
                                                              make_user, auth) -> None:
    scenario = load_scenario(path)
    slept: list[float] = []
    result = run_scenario(engine, scenario, speed=None, sleep=slept.append)
    assert slept == [] and result.failures == []
    with Session(engine) as session:
        disaster = session.get(Disaster, result.drill_id)
        assert disaster is not None and disaster.mode == "drill" and disaster.name.startswith("【訓練】")
        report = compute_report(drill_events(session, result.drill_id))
    _, token = make_user("observer")
    events = timeline(client, auth(token), result.drill_id)
    assert {e["mode"] for e in events} == {"drill"}
    assert report["event_count"] == len(events)
    again = figures(events, report["request_timeout_hours"])
    assert report["time_to_first_plan_minutes"] == again["first_plan"]
    assert sorted(u["need_id"] for u in report["unmet_needs"]) == again["unmet"]
    assert report["person_days"]["by_supporter"] == again["person_days"]
    assert report["person_days"]["total"] == sum(again["person_days"].values())
    assert sorted(o["dispatch_id"] for o in report["overdue_requests"]) == again["overdue"]
    assert len(report["failovers"]) == again["failovers"]
    assert {n["need_id"]: n["minutes_to_cover"] for n in report["needs"]} == again["to_cover"]
    # The scenarios exercise what they say they do.
    assert report["time_to_first_plan_minutes"] is not None and report["person_days"]["total"] > 0
    assert len(report["needs"]) == sum(1 for i in scenario.injects if i.type == "need")
    if any(i.type == "coordinator_unreachable" for i in scenario.injects):
        assert any(f["cause"] == "unreachable" for f in report["failovers"])
    if scenario.id == "tokyo-inland":
        assert {"role": "secretariat", "from": "clair", "to": "pref_osaka", "cause": "affected"}.items() <= \
            next(f for f in report["failovers"] if f["role"] == "secretariat").items()
    if scenario.id == "nankai-like":
        assert report["coverage_by_stage"][-1][2] > 0  # cross-block people were committed


def test_a_second_run_of_the_same_scenario_gives_the_same_figures(engine: Engine) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "training_small.yaml")
    first = run_scenario(engine, scenario, speed=None)
    second = run_scenario(engine, scenario, speed=None)
    with Session(engine) as session:
        a = compute_report(drill_events(session, first.drill_id))
        b = compute_report(drill_events(session, second.drill_id))
    comparison = compare(b, a)
    assert comparison["same_scenario"] and comparison["earlier_drill_id"] == first.drill_id
    assert all(row["change"] in (0, None) for row in comparison["figures"].values())
    assert comparison["figures"]["needs"]["this"] == 2
