"""Issue 15 item 1 over the API: partial acceptance (the rest goes back to the need), progress with the
actual time, and undo within the window, all through the dispatches service and its transition table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from coordinator.dispatches import service as dispatch_service
from coordinator.settings import Settings
from tests.coordinator.disasters_support import assert_error
from tests.coordinator.dispatch_support import TOYAMA, DispatchWorld


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for prefecture 17, users of every role, Toyama offering people."""
    return DispatchWorld(client, make_user, auth)


def _events(engine: Engine, dispatch_id: int) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT type, payload FROM event WHERE entity = 'dispatch' AND entity_id = :i "
                                       "ORDER BY seq"), {"i": str(dispatch_id)}).all()
    return [(r[0], r[1] if isinstance(r[1], dict) else __import__("json").loads(r[1])) for r in rows]


def test_accepting_two_of_three_leaves_one_for_the_next_plan(world: DispatchWorld, engine: Engine) -> None:
    need = world.need(headcount=3)
    dispatch = world.dispatch_in("requested", need_id=need["id"], headcount=3)
    body = {"expected_cost_yen": 60000, "accepted_headcount": 2}
    accepted = world.act(dispatch["id"], "accept", world.toyama, body)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["headcount"] == 2 and accepted.json()["state"] == "accepted"
    kind, payload = _events(engine, dispatch["id"])[-1]
    assert kind == "dispatch.accepted"
    assert (payload["asked_headcount"], payload["accepted_headcount"], payload["returned_headcount"]) == (3, 2, 1)
    people = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()["people"]
    assert people["accepted"] == 2 and people["requested"] == 3
    # The one left over is open to the next proposal, and nothing more.
    rest = world.propose(need["id"], "pref_fukui", 1)
    assert rest["headcount"] == 1
    too_many = world.client.post(f"/api/v1/disasters/{world.id}/dispatches", headers=world.coordinator,
                                 json={"need_id": need["id"], "supplier_id": "pref_fukui", "headcount": 4})
    assert_error(too_many, 422, "headcount")


@pytest.mark.parametrize("count", [0, 4])
def test_partial_acceptance_is_within_what_was_asked(world: DispatchWorld, count: int) -> None:
    dispatch = world.dispatch_in("requested", headcount=3, need_id=world.need(headcount=3)["id"])
    refused = world.act(dispatch["id"], "accept", world.toyama, {"expected_cost_yen": 0, "accepted_headcount": count})
    assert refused.status_code == 422
    assert world.state_of(dispatch["id"]) == "requested"


def test_progress_carries_the_actual_time_and_refuses_impossible_ones(world: DispatchWorld, engine: Engine) -> None:
    dispatch = world.dispatch_in("accepted")
    answered = datetime.fromisoformat(dispatch["answered_at"])
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    error = assert_error(world.act(dispatch["id"], "depart", world.toyama, {"at": future}), 422, "at")
    assert "未来" in error["message"]["ja"] and "（at）" not in error["message"]["ja"]
    earlier = (answered - timedelta(hours=1)).isoformat()
    assert_error(world.act(dispatch["id"], "depart", world.toyama, {"at": earlier}), 422, "at")
    when = answered + timedelta(seconds=1)
    moved = world.act(dispatch["id"], "depart", world.toyama, {"at": when.isoformat()})
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["en_route_at"]) == when
    kind, payload = _events(engine, dispatch["id"])[-1]
    assert kind == "dispatch.en_route" and payload["actual_at"] == when.isoformat() and payload["reported_at"]
    # Without a time, the report's own time.
    assert world.act(dispatch["id"], "arrive", world.toyama).json()["on_site_at"]


def test_a_report_is_taken_back_within_the_window_and_shows_on_the_timeline(
        world: DispatchWorld, engine: Engine) -> None:
    need = world.need(headcount=1)
    dispatch = world.dispatch_in("completed", need_id=need["id"])
    assert world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()["status"] == "fulfilled"
    undone = world.act(dispatch["id"], "undo", world.toyama, {})
    assert undone.status_code == 200, undone.text
    assert undone.json()["state"] == "on_site" and undone.json()["completed_at"] is None
    assert undone.json()["on_site_at"] is not None
    assert world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()["status"] == "open"
    kind, payload = _events(engine, dispatch["id"])[-1]
    assert kind == "dispatch.undone" and payload["undone"] == "completed"
    # Undo again: the arrival (the requester may confirm arrival, so it may take that back too).
    assert world.act(dispatch["id"], "undo", world.requester, {}).json()["state"] == "en_route"
    # ... but not the departure, which only the supporter reports.
    assert_error(world.act(dispatch["id"], "undo", world.requester, {}), 403)
    for who in ("coordinator", "observer", "fukui"):
        assert_error(world.act(dispatch["id"], "undo", getattr(world, who), {}), 403)
    timeline = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()
    types = [e["type"] for e in (timeline["events"] if isinstance(timeline, dict) else timeline)]
    assert types.count("dispatch.undone") == 2


def test_too_late_to_undo_says_so_and_changes_nothing(world: DispatchWorld, engine: Engine,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    dispatch = world.dispatch_in("en_route")
    monkeypatch.setattr(dispatch_service, "get_settings", lambda: Settings(undo_minutes=0))
    error = assert_error(world.act(dispatch["id"], "undo", world.toyama, {}), 409, "state")
    assert "0分以内" in error["message"]["ja"]
    assert world.state_of(dispatch["id"]) == "en_route"
    assert _events(engine, dispatch["id"])[-1][0] == "dispatch.en_route"


def test_nothing_to_undo_before_any_progress(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("accepted")
    assert_error(world.act(dispatch["id"], "undo", world.toyama, {}), 409)
    assert dispatch["supplier_id"] == TOYAMA


def test_the_to_do_list_tells_staff_what_to_report_and_what_is_coming(world: DispatchWorld) -> None:
    need = world.need(headcount=3)
    world.propose(need["id"], TOYAMA, 1)
    accepted = world.dispatch_in("accepted", need_id=need["id"], headcount=1)
    toyama = world.client.get("/api/v1/todo", headers=world.toyama).json()
    report = next(i for i in toyama["items"] if i["kind"] == "report_progress")
    assert report["entity_ids"] == [accepted["id"]] and "出発" in report["title_ja"]
    assert report["link"].endswith("/association#requests")
    ishikawa = world.client.get("/api/v1/todo", headers=world.requester).json()
    coming = next(i for i in ishikawa["items"] if i["kind"] == "proposals_for_us")
    assert coming["count"] == 1 and "1人" in coming["title_ja"]
    # Fukui has nothing to do here.
    assert not [i for i in world.client.get("/api/v1/todo", headers=world.fukui).json()["items"]
                if i["kind"] in ("report_progress", "proposals_for_us")]
