"""DispatchPublic.allowed_actions is exactly what the server allows the caller; `awaiting` says who must act
and why; nobody approves their own association's dispatch; a disproportionate cost waits for the requester
(issue 12 item 2). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import assert_error, counts
from tests.coordinator.dispatch_support import BODIES, TOYAMA, DispatchWorld

AICHI, SHIZUOKA = "pref_aichi", "pref_shizuoka"  # FY2026 Tokai-Hokuriku coordinator and its 2nd deputy
ACTIONS = ("approve", "request", "accept", "decline", "depart", "arrive", "complete", "cancel",
           "agree_cost", "refuse_cost")
ROLES = ("requester", "toyama", "fukui", "coordinator", "kinki_coordinator", "secretariat", "observer", "outsider")


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for Ishikawa (Aichi coordinates Tokai-Hokuriku) with users of every role."""
    w = DispatchWorld(client, make_user, auth)
    assert w.coordinator_id == AICHI
    return w


def post(world: DispatchWorld, dispatch_id: int, action: str, headers: dict[str, str]) -> Any:
    """Take an action (agree_cost / refuse_cost through POST .../cost)."""
    if action in ("agree_cost", "refuse_cost"):
        body = {"decision": action.split("_")[0], "reason": "予算を超えるため / over budget"}
        return world.client.post(f"/api/v1/dispatches/{dispatch_id}/cost", json=body, headers=headers)
    return world.act(dispatch_id, action, headers)


def flagged_accepted(world: DispatchWorld) -> dict[str, Any]:
    """An accepted dispatch whose cost (out of proportion, confirmed by Toyama) waits for Ishikawa."""
    dispatch = world.dispatch_in("requested")
    response = world.act(dispatch["id"], "accept", world.toyama,
                         {"expected_cost_yen": 999_999_999, "confirm_cost": True})
    assert response.status_code == 200, response.text
    return response.json()


def in_state(world: DispatchWorld, state: str) -> dict[str, Any]:
    return flagged_accepted(world) if state == "cost_waiting" else world.dispatch_in(state)


@pytest.mark.parametrize("state", ["proposed", "approved", "requested", "accepted", "cost_waiting", "en_route",
                                   "on_site", "completed", "declined", "cancelled"])
def test_allowed_actions_are_exactly_what_the_server_allows(world: DispatchWorld, state: str) -> None:
    shared = in_state(world, state)
    problems = []
    for role in ROLES:
        headers = getattr(world, role)
        allowed = world.client.get(f"/api/v1/dispatches/{shared['id']}", headers=headers)
        if allowed.status_code == 403:  # may not even read it: may do nothing
            allowed_set: set[str] = set()
        else:
            allowed_set = set(allowed.json()["allowed_actions"])
        for action in ACTIONS:
            if action in allowed_set:
                fresh = in_state(world, state)
                response = post(world, fresh["id"], action, headers)
                if response.status_code != 200:
                    problems.append(f"{state}/{role}/{action}: listed but refused {response.status_code}")
            else:
                response = post(world, shared["id"], action, headers)
                if response.status_code == 200:
                    problems.append(f"{state}/{role}/{action}: not listed but allowed")
    assert not problems, "\n".join(problems)


def test_awaiting_names_who_must_act_next_at_each_step(world: DispatchWorld) -> None:
    proposed = world.dispatch_in("proposed")
    awaiting = proposed["awaiting"]
    assert awaiting["action"] == "approve" and awaiting["association_ids"] == [AICHI]
    assert "東海・北陸ブロックの幹事団体" in awaiting["who_ja"] and "Tokai" in awaiting["who_en"]
    assert "第1段階" in awaiting["reason_ja"] and awaiting["reason_en"]
    assert world.dispatch_in("approved")["awaiting"]["action"] == "request"
    requested = world.dispatch_in("requested")
    assert requested["awaiting"]["action"] == "accept" and requested["awaiting"]["association_ids"] == [TOYAMA]
    assert "JST" in requested["awaiting"]["reason_ja"]
    assert world.dispatch_in("accepted")["awaiting"]["action"] == "depart"
    assert world.dispatch_in("en_route")["awaiting"]["association_ids"] == [TOYAMA, "pref_ishikawa"]
    assert world.dispatch_in("completed")["awaiting"] is None
    # The requester reads the same `awaiting` (the page says who must approve, never a 403 to find out).
    read = world.client.get(f"/api/v1/dispatches/{proposed['id']}", headers=world.requester).json()
    assert read["awaiting"] == awaiting and read["allowed_actions"] == ["cancel"]


def test_the_coordinator_does_not_approve_its_own_associations_dispatch(world: DispatchWorld, make_user, auth,
                                                                       engine: Engine) -> None:
    """Aichi coordinates Tokai-Hokuriku and supplies Ishikawa: its deputy Shizuoka or the secretariat
    approves (deputy no. 1 is Ishikawa, affected)."""
    aichi_offer = world.offer(headers=world.coordinator, headcount=2)
    assert aichi_offer["association_id"] == AICHI
    need = world.need(headcount=2)
    dispatch = world.propose(need["id"], AICHI, headcount=1)
    awaiting = dispatch["awaiting"]
    assert awaiting["association_ids"] == [SHIZUOKA, "clair"]
    assert "自らの協会の派遣は承認できません" in awaiting["reason_ja"] and "own association" in awaiting["reason_en"]
    assert "approve" not in dispatch["allowed_actions"]
    before = counts(engine)
    error = assert_error(world.act(dispatch["id"], "approve", world.coordinator), 403, "action")
    assert error["details"]["association_ids"] == [SHIZUOKA, "clair"]
    assert counts(engine) == before
    shizuoka = auth(make_user("staff", SHIZUOKA)[1])
    seen = world.client.get(f"/api/v1/dispatches/{dispatch['id']}", headers=shizuoka)
    assert seen.status_code == 200 and seen.json()["allowed_actions"] == ["approve"]
    approved = world.act(dispatch["id"], "approve", shizuoka)
    assert approved.status_code == 200, approved.text
    assert_error(world.act(dispatch["id"], "request", world.coordinator), 403, "action")
    requested = world.act(dispatch["id"], "request", world.secretariat)
    assert requested.status_code == 200, requested.text
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()["events"]
    capacities = {e["type"]: e["acted_as"] for e in events if e["entity"] == "dispatch"}
    assert capacities["dispatch.approved"]["association_id"] == SHIZUOKA
    assert capacities["dispatch.approved"]["role"] == "coordinator" and "代わりに承認" in \
        capacities["dispatch.approved"]["reason_ja"]
    assert capacities["dispatch.requested"]["role"] == "secretariat"
    # A request by the coordinator for its own association is refused the same way when it requests for
    # the requester side: Aichi is never asked to approve what it supplies.
    assert "approve_dispatches" not in [i["kind"] for i in world.client.get(
        "/api/v1/todo", headers=world.coordinator).json()["items"] if AICHI in str(i)]


def test_a_disproportionate_cost_asks_for_confirmation_then_waits_for_the_requester(
        world: DispatchWorld, engine: Engine) -> None:
    dispatch = world.dispatch_in("requested")
    before = counts(engine)
    error = assert_error(world.act(dispatch["id"], "accept", world.toyama, {"expected_cost_yen": 999_999_999}),
                         409, "expected_cost_yen")
    assert error["code"] == "confirmation_required"
    assert error["details"]["threshold_yen_per_person_day"] == 100_000
    assert error["details"]["per_person_day_yen"] == round(999_999_999 / 5)  # 1 person x the need's 5 days
    assert counts(engine) == before and world.state_of(dispatch["id"]) == "requested"
    # An ordinary cost binds at once.
    ordinary = world.act(world.dispatch_in("requested")["id"], "accept", world.toyama, BODIES["accept"]).json()
    assert ordinary["cost_status"] is None and "depart" in ordinary["allowed_actions"]
    accepted = world.act(dispatch["id"], "accept", world.toyama,
                         {"expected_cost_yen": 999_999_999, "confirm_cost": True}).json()
    assert accepted["state"] == "accepted" and accepted["cost_status"] == "awaiting_requester"
    assert accepted["awaiting"]["action"] == "agree_cost" and accepted["awaiting"]["association_ids"] == [
        "pref_ishikawa"]
    assert "depart" not in accepted["allowed_actions"]
    assert_error(world.act(dispatch["id"], "depart", world.toyama), 409, "cost_status")
    # The requester is told before it binds them: an event it reads, and an urgent to-do item.
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.requester).json()["events"]
    flagged = [e for e in events if e["type"] == "dispatch.cost_flagged"]
    assert flagged and flagged[0]["payload"]["cost"]["expected_cost_yen"] == 999_999_999
    bell = world.client.get("/api/v1/notifications", headers=world.requester).json()["items"]
    assert [i for i in bell if i["event_seq"] == flagged[0]["seq"] and "費用の確認" in i["title_ja"]]
    items = world.client.get("/api/v1/todo", headers=world.requester).json()["items"]
    assert [i for i in items if i["kind"] == "agree_costs" and i["urgent"]]
    mine = world.client.get(f"/api/v1/dispatches/{dispatch['id']}", headers=world.requester).json()
    assert set(mine["allowed_actions"]) == {"agree_cost", "refuse_cost"}
    assert_error(world.client.post(f"/api/v1/dispatches/{dispatch['id']}/cost", json={"decision": "agree"},
                                   headers=world.toyama), 403)
    agreed = world.client.post(f"/api/v1/dispatches/{dispatch['id']}/cost", json={"decision": "agree"},
                               headers=world.requester)
    assert agreed.status_code == 200 and agreed.json()["cost_status"] == "agreed_by_requester"
    assert world.act(dispatch["id"], "depart", world.toyama).status_code == 200


def test_a_refused_cost_cancels_the_dispatch_with_the_reason(world: DispatchWorld) -> None:
    dispatch = flagged_accepted(world)
    assert_error(world.client.post(f"/api/v1/dispatches/{dispatch['id']}/cost", json={"decision": "refuse"},
                                   headers=world.requester), 422, "reason")
    refused = world.client.post(f"/api/v1/dispatches/{dispatch['id']}/cost",
                                json={"decision": "refuse", "reason": "予算外"}, headers=world.requester)
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body["state"] == "cancelled" and "予算外" in body["cancel_reason"]
    assert body["cost_status"] == "refused_by_requester"
