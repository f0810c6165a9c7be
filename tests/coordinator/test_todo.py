"""GET /api/v1/todo: what waits for each person, in which capacity, live before drill (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.dispatches.service import mark_overdue
from coordinator.todo import service as todo_service
from tests.coordinator.disasters_support import declare, need_body
from tests.coordinator.dispatch_support import TOYAMA, DispatchWorld


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for Ishikawa with users of every role; Toyama offers 100 people."""
    return DispatchWorld(client, make_user, auth)


def todo(world: DispatchWorld, headers: dict[str, str]) -> dict[str, Any]:
    response = world.client.get("/api/v1/todo", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def kinds(listing: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in listing["items"]]


def test_a_proposal_waits_for_the_blocks_acting_coordinator_with_its_capacity(world: DispatchWorld) -> None:
    need = world.need(headcount=3)
    proposals = [world.propose(need["id"]) for _ in range(2)]
    mine = todo(world, world.coordinator)
    [item] = [i for i in mine["items"] if i["kind"] == "approve_dispatches"]
    assert item["count"] == 2 and sorted(item["entity_ids"]) == sorted(p["id"] for p in proposals)
    assert item["disaster_id"] == world.id and item["disaster_name"] == "能登半島地震" and item["mode"] == "live"
    assert "東海・北陸ブロックの幹事団体として" in item["title_ja"] and "coordinator of Tokai" in item["title_en"]
    assert item["detail_ja"] and item["link"] == f"/disasters/{world.id}#dispatches" and item["since"]
    assert mine["count"] >= 2
    roles = {(a["role"], a["block"]) for a in mine["acting_as"] if a["disaster_id"] == world.id}
    assert ("coordinator", "tokai_hokuriku") in roles
    entry = next(a for a in mine["acting_as"] if a["role"] == "coordinator")
    assert entry["block_name_ja"] == "東海・北陸" and entry["association_name_ja"] and entry["reason_ja"]
    # Nobody else is asked to approve a stage-1 proposal of this block.
    for other in (world.secretariat, world.requester, world.toyama, world.kinki_coordinator, world.observer):
        assert "approve_dispatches" not in kinds(todo(world, other))
    # Once approved it waits to be sent as a request, then for the supplier's answer.
    world.act(proposals[0]["id"], "approve", world.coordinator)
    assert {"approve_dispatches", "send_requests"} <= set(kinds(todo(world, world.coordinator)))


def test_a_request_waits_for_the_suppliers_answer_with_the_agreements_deadline(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("requested")
    listing = todo(world, world.toyama)
    [item] = [i for i in listing["items"] if i["kind"] == "answer_requests"]
    assert item["entity_ids"] == [dispatch["id"]] and item["urgent"] is False
    requested = datetime.fromisoformat(dispatch["requested_at"].replace("Z", "+00:00"))
    deadline = datetime.fromisoformat(item["deadline"].replace("Z", "+00:00"))
    assert deadline - requested == timedelta(hours=24)  # agreements/default.toml [requests] answer_timeout_hours
    assert item["link"] == f"/disasters/{world.id}/association#requests"
    assert dispatch["answer_due_at"] and dispatch["awaiting"]["action"] == "accept"
    assert "answer_requests" not in kinds(todo(world, world.fukui))
    assert "answer_requests" not in kinds(todo(world, world.requester))


def test_an_overdue_request_is_urgent_for_the_supplier_and_escalates_to_the_approver(
        world: DispatchWorld, engine: Engine) -> None:
    dispatch = world.dispatch_in("requested")
    with engine.begin() as connection:
        connection.execute(text("UPDATE dispatch SET requested_at = :t WHERE id = :id"),
                           {"t": datetime.now(UTC) - timedelta(hours=30), "id": dispatch["id"]})
    answer = next(i for i in todo(world, world.toyama)["items"] if i["kind"] == "answer_requests")
    assert answer["urgent"] is True and "30" in answer["title_ja"]
    assert "overdue_requests" not in kinds(todo(world, world.coordinator))  # not flagged by the watch yet
    with Session(engine) as session:
        assert [d.id for d in mark_overdue(session)] == [dispatch["id"]]
    overdue = next(i for i in todo(world, world.coordinator)["items"] if i["kind"] == "overdue_requests")
    assert overdue["urgent"] is True and overdue["entity_ids"] == [dispatch["id"]]
    assert todo(world, world.coordinator)["items"][0]["kind"] == "overdue_requests"  # urgent first


def test_the_secretariat_is_asked_about_cross_block_support_and_stage_2_approvals(
        world: DispatchWorld, make_user, auth) -> None:
    world.client.post(f"/api/v1/offers/{world.toyama_offer['id']}/withdraw", headers=world.toyama)
    need = world.need(headcount=4)
    decision = next(i for i in todo(world, world.secretariat)["items"] if i["kind"] == "cross_block_decision")
    assert decision["entity"] == "need" and decision["entity_ids"] == [need["id"]] and "4人" in decision["title_ja"]
    assert "cross_block_decision" not in kinds(todo(world, world.coordinator))
    opened = world.client.post(f"/api/v1/disasters/{world.id}/cross-block", headers=world.secretariat)
    assert opened.status_code == 200
    assert "cross_block_decision" not in kinds(todo(world, world.secretariat))
    osaka = auth(make_user("staff", "pref_osaka")[1])
    world.offer(headers=osaka, headcount=2)
    proposal = world.propose(need["id"], "pref_osaka", headcount=2, headers=world.secretariat)
    assert proposal["stage"] == 2
    item = next(i for i in todo(world, world.secretariat)["items"] if i["kind"] == "approve_dispatches")
    assert "ブロック間 1件" in item["title_ja"] and "事務局として" in item["title_ja"]
    assert "approve_dispatches" not in kinds(todo(world, world.coordinator))


def test_live_items_come_before_drill_items_which_are_marked(world: DispatchWorld) -> None:
    drill = declare(world.client, world.secretariat, mode="drill", name="訓練：能登")
    drill_need = world.client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(headcount=2),
                                   headers=world.requester).json()
    world.client.post(f"/api/v1/disasters/{drill['id']}/offers", json={
        "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 5,
        "available_from": datetime.now(UTC).date().isoformat(),
        "available_until": datetime.now(UTC).date().isoformat()}, headers=world.toyama)
    proposed = world.client.post(f"/api/v1/disasters/{drill['id']}/dispatches", headers=world.coordinator,
                                 json={"need_id": drill_need["id"], "supplier_id": TOYAMA, "headcount": 1})
    assert proposed.status_code == 201, proposed.text
    world.propose(world.need()["id"])
    items = [i for i in todo(world, world.coordinator)["items"] if i["kind"] == "approve_dispatches"]
    assert [i["mode"] for i in items] == ["live", "drill"]
    assert items[1]["title_ja"].startswith("【訓練】") and items[1]["title_en"].startswith("[Drill]")
    assert not items[0]["title_ja"].startswith("【訓練】")


def test_closed_disasters_ask_nothing_and_providers_are_one_line_each(world: DispatchWorld) -> None:
    world.propose(world.need()["id"])
    assert todo(world, world.coordinator)["count"] >= 1
    world.client.post(f"/api/v1/disasters/{world.id}/close", headers=world.secretariat)
    assert todo(world, world.coordinator) == {"count": 0, "acting_as": [], "items": []}
    assert all(callable(p) for p in todo_service.PROVIDERS) and len(todo_service.PROVIDERS) >= 5
    assert world.client.get("/api/v1/todo").status_code == 401
