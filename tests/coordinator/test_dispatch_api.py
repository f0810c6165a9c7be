"""Dispatches over the API: the lifecycle with its events, stages, capacity, bad input, overdue requests
and drill isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import mark_overdue
from coordinator.jobs.runner import check_reminders_once
from tests.coordinator.disasters_support import assert_error, counts, declare, need_body, offer_body
from tests.coordinator.dispatch_support import (
    FUKUI,
    ISHIKAWA,
    TOYAMA,
    DispatchWorld,
    dispatch_count,
)


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for prefecture 17, users of every role, and an offer of 100 people by Toyama."""
    return DispatchWorld(client, make_user, auth)


def test_lifecycle_records_every_step_and_fulfils_the_need(world: DispatchWorld) -> None:
    need = world.need(headcount=2)
    dispatch = world.propose(need["id"], TOYAMA, 2, offer_id=world.toyama_offer["id"])
    assert dispatch["state"] == "proposed" and dispatch["stage"] == 1 and dispatch["mode"] == "live"
    assert dispatch["requester_id"] == ISHIKAWA and dispatch["distance_km"] > 0
    assert any("stage 1" in r["en"] for r in dispatch["reasons"])
    assert dispatch["allowed_actions"] == ["approve", "cancel"]
    steps = [("approve", world.coordinator), ("request", world.coordinator), ("accept", world.toyama),
             ("depart", world.toyama), ("arrive", world.requester), ("complete", world.toyama)]
    for action, headers in steps:
        response = world.act(dispatch["id"], action, headers)
        assert response.status_code == 200, response.text
        dispatch = response.json()
    assert dispatch["state"] == "completed" and dispatch["version"] == 7
    assert dispatch["expected_cost_yen"] == 120000 and dispatch["cost_policy"] == "requester_pays"
    stamps = [dispatch[f] for f in ("proposed_at", "approved_at", "requested_at", "answered_at", "en_route_at",
                                    "on_site_at", "completed_at")]
    assert all(stamps) and stamps == sorted(stamps)
    assert dispatch["cancelled_at"] is None and dispatch["allowed_actions"] == []
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()["events"]
    mine = [e for e in events if e["entity"] == "dispatch"]
    assert [e["type"] for e in mine] == ["dispatch.proposed", "dispatch.approved", "dispatch.requested",
                                         "dispatch.accepted", "dispatch.en_route", "dispatch.on_site",
                                         "dispatch.completed"]
    assert all(set(e["associations"]) >= {ISHIKAWA, TOYAMA} and e["mode"] == "live" for e in mine)
    assert "need.fulfilled" in [e["type"] for e in events]
    read = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()
    assert read["status"] == "fulfilled"
    assert read["people"] == {"requested": 2, "proposed": 2, "accepted": 2, "on_site": 2, "fulfilled": 2}


def test_decline_needs_a_reason_and_is_final(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("requested")
    assert_error(world.act(dispatch["id"], "decline", world.toyama, {}), 422, "reason")
    assert_error(world.act(dispatch["id"], "decline", world.toyama, {"reason": "   "}), 422, "reason")
    declined = world.act(dispatch["id"], "decline", world.toyama)
    assert declined.status_code == 200 and declined.json()["decline_reason"].startswith("人員")
    error = assert_error(world.act(dispatch["id"], "accept", world.toyama), 409)
    assert error["code"] == "invalid_transition"
    assert error["details"] == {"current_state": "declined", "allowed": []}


@pytest.mark.parametrize("state", ["proposed", "approved", "requested", "accepted", "en_route", "on_site",
                                   "completed", "declined", "cancelled"])
def test_an_invalid_transition_is_a_409_with_the_current_state(world: DispatchWorld, state: str) -> None:
    dispatch = world.dispatch_in(state)
    # `approve` is valid only from proposed; from anywhere else the answer names where the dispatch is.
    response = world.act(dispatch["id"], "approve", world.coordinator)
    if state == "proposed":
        assert response.status_code == 200
        return
    error = assert_error(response, 409, "state")
    assert error["details"]["current_state"] == state
    assert world.state_of(dispatch["id"]) == state


def test_stage_two_needs_cross_block_opening_and_the_secretariat(world: DispatchWorld) -> None:
    need = world.need(headcount=3)
    body = {"need_id": need["id"], "supplier_id": "pref_osaka", "headcount": 1}
    url = f"/api/v1/disasters/{world.id}/dispatches"
    assert_error(world.client.post(url, json=body, headers=world.coordinator), 403)
    assert_error(world.client.post(url, json=body, headers=world.secretariat), 409, "stage")
    opened = world.client.post(f"/api/v1/disasters/{world.id}/cross-block", headers=world.secretariat)
    assert opened.status_code == 200, opened.text
    assert_error(world.client.post(url, json=body, headers=world.coordinator), 403)
    assert_error(world.client.post(url, json={**body, "stage": 1}, headers=world.secretariat), 422, "stage")
    dispatch = world.propose(need["id"], "pref_osaka", 1, headers=world.secretariat)
    assert dispatch["stage"] == 2
    assert_error(world.act(dispatch["id"], "approve", world.coordinator), 403)
    assert world.act(dispatch["id"], "approve", world.secretariat).status_code == 200
    assert_error(world.act(dispatch["id"], "request", world.coordinator), 403)
    assert world.act(dispatch["id"], "request", world.secretariat).status_code == 200


def test_secretariat_may_propose_stage_one_which_the_block_coordinator_approves(world: DispatchWorld) -> None:
    need = world.need()
    dispatch = world.propose(need["id"], FUKUI, 1, headers=world.secretariat)
    assert dispatch["stage"] == 1
    assert_error(world.act(dispatch["id"], "approve", world.kinki_coordinator), 403)
    assert world.act(dispatch["id"], "approve", world.coordinator).status_code == 200


def test_accept_may_not_exceed_what_the_supplier_offered(world: DispatchWorld) -> None:
    world.offer(headers=world.fukui, headcount=2)
    first = world.dispatch_in("requested", supplier_id=FUKUI, headcount=2)
    second = world.dispatch_in("requested", supplier_id=FUKUI, headcount=1)
    assert world.act(first["id"], "accept", world.fukui).status_code == 200
    error = assert_error(world.act(second["id"], "accept", world.fukui), 409, "headcount")
    assert error["details"] == {"offered": 2, "committed": 2, "headcount": 1}
    assert world.state_of(second["id"]) == "requested"
    # Completed people no longer hold the supplier's capacity.
    for action in ("depart", "arrive", "complete"):
        assert world.act(first["id"], action, world.fukui).status_code == 200
    assert world.act(second["id"], "accept", world.fukui).status_code == 200


def test_a_supplier_without_an_offer_cannot_accept(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("requested", supplier_id=FUKUI)
    error = assert_error(world.act(dispatch["id"], "accept", world.fukui), 409, "headcount")
    assert error["details"]["offered"] == 0


def test_accepted_people_may_not_exceed_the_need(world: DispatchWorld) -> None:
    need = world.need(headcount=3)
    first = world.dispatch_in("accepted", need_id=need["id"], headcount=2)
    second = world.dispatch_in("requested", need_id=need["id"], headcount=2)
    error = assert_error(world.act(second["id"], "accept", world.toyama), 409, "headcount")
    assert error["details"] == {"need_headcount": 3, "accepted": 2, "headcount": 2}
    assert world.act(first["id"], "cancel", world.coordinator).status_code == 200
    assert world.act(second["id"], "accept", world.toyama).status_code == 200


def test_accept_records_cost_within_the_agreements_policies(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("requested")
    assert_error(world.act(dispatch["id"], "accept", world.toyama, {}), 422, "expected_cost_yen")
    assert_error(world.act(dispatch["id"], "accept", world.toyama, {"expected_cost_yen": -1}), 422,
                 "expected_cost_yen")
    assert_error(world.act(dispatch["id"], "accept", world.toyama,
                           {"expected_cost_yen": 0, "cost_policy": "free_lunch"}), 422, "cost_policy")
    accepted = world.act(dispatch["id"], "accept", world.toyama, {"expected_cost_yen": 0}).json()
    assert accepted["expected_cost_yen"] == 0 and accepted["cost_policy"] == "requester_pays"  # the default


def test_bad_proposals_get_a_precise_error_and_write_nothing(world: DispatchWorld, engine: Engine) -> None:
    need = world.need()
    url = f"/api/v1/disasters/{world.id}/dispatches"
    other_offer = world.offer(headers=world.fukui)
    before = (counts(engine), dispatch_count(engine))
    cases = [
        ({"need_id": need["id"], "supplier_id": ISHIKAWA, "headcount": 1}, 422, "supplier_id"),  # requester
        ({"need_id": need["id"], "supplier_id": "pref_atlantis", "headcount": 1}, 422, "supplier_id"),
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 0}, 422, "headcount"),
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 3}, 422, "headcount"),  # need wants 2
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": "two"}, 422, "headcount"),
        ({"need_id": 999999, "supplier_id": TOYAMA, "headcount": 1}, 404, "need_id"),
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1, "offer_id": 999999}, 404, "offer_id"),
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1, "offer_id": other_offer["id"]}, 422,
         "offer_id"),
        ({"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1, "colour": "red"}, 422, "colour"),
        ({"supplier_id": TOYAMA, "headcount": 1}, 422, "need_id"),
    ]
    for body, status, field in cases:
        assert_error(world.client.post(url, json=body, headers=world.coordinator), status, field)
    malformed = world.client.post(url, content=b"{not json", headers={**world.coordinator,
                                                                      "Content-Type": "application/json"})
    assert_error(malformed, 422)
    assert_error(world.client.post("/api/v1/disasters/999999/dispatches",
                                   json={"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1},
                                   headers=world.coordinator), 404, "disaster_id")
    assert_error(world.act(999999, "approve", world.coordinator), 404, "dispatch_id")
    assert_error(world.act(1, "teleport", world.coordinator), 404)
    assert (counts(engine), dispatch_count(engine)) == before


def test_an_affected_association_cannot_supply(world: DispatchWorld, make_user, auth) -> None:
    drill = declare(world.client, world.secretariat, prefectures=["17", "16"], mode="drill", name="訓練")
    need = world.client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(),
                             headers=world.requester).json()
    response = world.client.post(f"/api/v1/disasters/{drill['id']}/dispatches",
                                 json={"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1},
                                 headers=world.secretariat)
    assert_error(response, 422, "supplier_id")


def test_need_from_another_disaster_is_refused(world: DispatchWorld) -> None:
    drill = declare(world.client, world.secretariat, mode="drill", name="訓練")
    drill_need = world.client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(),
                                   headers=world.requester).json()
    response = world.client.post(f"/api/v1/disasters/{world.id}/dispatches",
                                 json={"need_id": drill_need["id"], "supplier_id": TOYAMA, "headcount": 1},
                                 headers=world.coordinator)
    assert_error(response, 422, "need_id")


def test_overdue_requests_are_flagged_never_accepted(world: DispatchWorld, engine: Engine) -> None:
    waiting = world.dispatch_in("requested")
    answered = world.dispatch_in("accepted")
    requested_at = datetime.fromisoformat(waiting["requested_at"])
    requested_at = requested_at if requested_at.tzinfo else requested_at.replace(tzinfo=UTC)
    with Session(engine) as session:
        assert mark_overdue(session, now=requested_at + timedelta(hours=23, minutes=59)) == []
    with Session(engine) as session:
        flagged = mark_overdue(session, now=requested_at + timedelta(hours=24, minutes=1))
    assert [d.id for d in flagged] == [waiting["id"]]
    url = f"/api/v1/disasters/{world.id}/dispatches"
    listed = world.client.get(f"{url}?overdue=true", headers=world.coordinator).json()
    assert [d["id"] for d in listed] == [waiting["id"]]
    assert listed[0]["state"] == "requested" and listed[0]["overdue"] is True
    assert datetime.fromisoformat(listed[0]["overdue_since"]).replace(tzinfo=UTC) == \
        (requested_at + timedelta(hours=24)).replace(tzinfo=UTC)
    not_overdue = world.client.get(f"{url}?overdue=false", headers=world.coordinator).json()
    assert answered["id"] in [d["id"] for d in not_overdue]
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()["events"]
    overdue_events = [e for e in events if e["type"] == "dispatch.overdue"]
    assert len(overdue_events) == 1 and overdue_events[0]["entity_id"] == str(waiting["id"])
    assert overdue_events[0]["payload"]["escalate_to"] == "block_coordinator"
    assert overdue_events[0]["payload"]["escalate_to_association"] == world.coordinator_id
    assert overdue_events[0]["payload"]["remind"] == TOYAMA
    with Session(engine) as session:  # a second pass flags nothing new
        assert mark_overdue(session, now=requested_at + timedelta(days=30)) == []
    # The supplier can still answer; the answer clears the flag.
    accepted = world.act(waiting["id"], "accept", world.toyama).json()
    assert accepted["state"] == "accepted" and accepted["overdue"] is False and accepted["overdue_since"]


def test_list_filters_and_visibility(world: DispatchWorld) -> None:
    world.offer(headers=world.fukui, headcount=5)
    by_toyama = world.dispatch_in("requested")
    by_fukui = world.dispatch_in("accepted", supplier_id=FUKUI)
    url = f"/api/v1/disasters/{world.id}/dispatches"

    def ids(query: str, headers: dict[str, str]) -> list[int]:
        response = world.client.get(f"{url}{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()]

    both = [by_toyama["id"], by_fukui["id"]]
    for headers in (world.secretariat, world.coordinator, world.observer, world.requester):
        assert ids("", headers) == both
    assert ids("", world.toyama) == [by_toyama["id"]] and ids("", world.fukui) == [by_fukui["id"]]
    assert ids("", world.outsider) == []
    assert ids("?state=accepted", world.secretariat) == [by_fukui["id"]]
    assert ids(f"?supplier={TOYAMA}", world.secretariat) == [by_toyama["id"]]
    assert_error(world.client.get(f"{url}?state=lost", headers=world.secretariat), 422, "state")
    assert_error(world.client.get(f"/api/v1/dispatches/{by_toyama['id']}", headers=world.fukui), 403)
    assert_error(world.client.get(f"/api/v1/dispatches/{by_toyama['id']}", headers=world.outsider), 403)
    assert_error(world.client.get(f"/api/v1/dispatches/{by_toyama['id']}"), 401)
    assert world.client.get(f"/api/v1/dispatches/{by_toyama['id']}", headers=world.toyama).status_code == 200


def test_drill_dispatches_never_consume_live_capacity_nor_appear_live(world: DispatchWorld,
                                                                      engine: Engine) -> None:
    client = world.client
    drill = declare(client, world.secretariat, mode="drill", name="【訓練】能登半島地震")
    world.offer(headers=world.fukui, headcount=2)  # live capacity: 2
    drill_offer = client.post(f"/api/v1/disasters/{drill['id']}/offers", json=offer_body(headcount=2),
                              headers=world.fukui)
    assert drill_offer.status_code == 201
    drill_need = client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(headcount=2),
                             headers=world.requester).json()
    drill_coordinator = world.coordinator  # same fiscal year, same area: same acting coordinator
    drill_dispatch = client.post(f"/api/v1/disasters/{drill['id']}/dispatches",
                                 json={"need_id": drill_need["id"], "supplier_id": FUKUI, "headcount": 2},
                                 headers=drill_coordinator).json()
    assert drill_dispatch["mode"] == "drill"
    for action, headers in (("approve", drill_coordinator), ("request", drill_coordinator),
                            ("accept", world.fukui)):
        assert world.act(drill_dispatch["id"], action, headers).status_code == 200
    # The drill holds 2 of Fukui's drill capacity; Fukui's live capacity of 2 is untouched.
    live = world.dispatch_in("accepted", supplier_id=FUKUI, headcount=2)
    live_list = client.get(f"/api/v1/disasters/{world.id}/dispatches", headers=world.observer).json()
    drill_list = client.get(f"/api/v1/disasters/{drill['id']}/dispatches", headers=world.observer).json()
    assert [d["id"] for d in live_list] == [live["id"]] and {d["mode"] for d in live_list} == {"live"}
    assert [d["id"] for d in drill_list] == [drill_dispatch["id"]]
    live_events = client.get(f"/api/v1/disasters/{world.id}/events", headers=world.observer).json()["events"]
    assert str(drill_dispatch["id"]) not in {e["entity_id"] for e in live_events if e["entity"] == "dispatch"}
    assert {e["mode"] for e in live_events} == {"live"}
    with Session(engine) as session:
        stored = session.get(Dispatch, drill_dispatch["id"])
        assert stored is not None and stored.mode == "drill" and stored.disaster_id == drill["id"]


def test_the_app_runs_the_overdue_watch(app: FastAPI, world: DispatchWorld, engine: Engine) -> None:
    tasks = {task.get_name(): task for task in app.state.jobs.tasks}  # started by the app's lifespan
    assert not tasks["ouen-reminders"].done() and not tasks["ouen-notify-sender"].done()
    waiting = world.dispatch_in("requested")
    assert check_reminders_once(engine).overdue == []  # just requested: not overdue yet
    with Session(engine) as session:  # back-date the request past the agreement's 24 h
        session.execute(update(Dispatch).where(Dispatch.id == waiting["id"])
                        .values(requested_at=datetime.now(UTC) - timedelta(hours=25)))
        session.commit()
    assert check_reminders_once(engine).overdue == [waiting["id"]]
    assert world.client.get(f"/api/v1/dispatches/{waiting['id']}", headers=world.coordinator).json()["overdue"]
    assert world.state_of(waiting["id"]) == "requested"
