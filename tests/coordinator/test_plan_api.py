"""POST /api/v1/disasters/{id}/plan: dry run and commit through the real app and database (SQLite, and
PostgreSQL when configured): who may plan, what is read (needs, offers, standing capacity, dispatches),
re-planning after declines and new needs, drill isolation, and the Noto and Kumamoto scenarios."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import (
    FUKUI,
    ISHIKAWA,
    TOYAMA,
    assert_error,
    counts,
    declare,
    offer_body,
)
from tests.coordinator.dispatch_support import DispatchWorld, dispatch_count

TOKYO, AICHI = "pref_tokyo", "pref_aichi"
AHEAD = (date.today() + timedelta(days=30)).isoformat()


class PlanWorld(DispatchWorld):
    """A live disaster for Ishikawa (prefecture 17) with users of every role, and plan helpers."""

    def __init__(self, client: TestClient, make_user: Any, auth: Any) -> None:
        super().__init__(client, make_user, auth)
        # DispatchWorld offers 100 people from Toyama; withdraw it so each test sets its own capacity.
        response = client.post(f"/api/v1/offers/{self.toyama_offer['id']}/withdraw", headers=self.toyama)
        assert response.status_code == 200, response.text
        self.make_user, self.auth = make_user, auth

        self._staff: dict[str, dict[str, str]] = {TOYAMA: self.toyama, FUKUI: self.fukui}

    def staff(self, association_id: str) -> dict[str, str]:
        """Headers of a staff user of an association (made once)."""
        if association_id not in self._staff:
            self._staff[association_id] = self.auth(self.make_user("staff", association_id)[1])
        return self._staff[association_id]

    def offer_from(self, association_id: str, **overrides: Any) -> dict[str, Any]:
        """An offer by an association's staff, available for the next 30 days unless told otherwise."""
        overrides.setdefault("available_until", AHEAD)
        return self.offer(headers=self.staff(association_id), **overrides)

    def plan(self, headers: dict[str, str] | None = None, *, commit: bool = False,
             disaster_id: int | None = None) -> dict[str, Any]:
        """POST the plan (dry run unless commit) and return its JSON."""
        response = self.client.post(f"/api/v1/disasters/{disaster_id or self.id}/plan", json={"commit": commit},
                                    headers=headers or self.secretariat)
        assert response.status_code == 200, response.text
        return response.json()

    def events(self) -> list[dict[str, Any]]:
        """Every event of the disaster, read by the secretariat."""
        return self.client.get(f"/api/v1/disasters/{self.id}/events?limit=1000",
                               headers=self.secretariat).json()["events"]

    def open_cross_block(self) -> None:
        """The secretariat opens cross-block support."""
        response = self.client.post(f"/api/v1/disasters/{self.id}/cross-block", headers=self.secretariat)
        assert response.status_code == 200, response.text


def lines(plan: dict[str, Any]) -> list[tuple[int, str, int, int]]:
    """(need id, supplier, people, stage) of each proposal, sorted."""
    return sorted((p["need_id"], p["supplier_id"], p["headcount"], p["stage"]) for p in plan["proposals"])


@pytest.fixture
def world(client: TestClient, make_user, auth) -> PlanWorld:  # type: ignore[no-untyped-def]
    return PlanWorld(client, make_user, auth)


def test_noto_dry_run_prefers_the_block_and_recommends_opening_then_uses_stage_two(
        world: PlanWorld, engine: Engine) -> None:
    wajima = world.need(kind="onsite_interpretation", language="vi", headcount=4, place="17204")
    notice = world.need(kind="translation", language="ne", headcount=2, place="17201")
    world.offer_from(TOYAMA, languages=["vi"], kinds=["onsite_interpretation"], headcount=2)
    world.offer_from(FUKUI, languages=["vi"], kinds=["onsite_interpretation"], headcount=2)
    world.offer_from(AICHI, languages=["vi"], kinds=["onsite_interpretation"], headcount=5)
    world.offer_from(TOKYO, languages=["ne", "vi"], kinds=["translation", "onsite_interpretation"], headcount=3)
    before = counts(engine)

    plan = world.plan()
    assert before == counts(engine), "a dry run writes nothing"
    assert plan["committed"] is False and plan["cross_block_open"] is False and plan["mode"] == "live"
    # Toyama and Fukui (東海・北陸, nearest to Wajima) first; Aichi is farther; nobody from Tokyo yet.
    assert lines(plan) == [(wajima["id"], FUKUI, 2, 1), (wajima["id"], TOYAMA, 2, 1)]
    (unmet,) = plan["unmet"]
    assert (unmet["need_id"], unmet["code"], unmet["headcount"]) == (notice["id"], "no_language_in_block", 2)
    assert unmet["reason"]["ja"] and unmet["reason"]["en"]
    assert plan["recommend_open_cross_block"] is True
    assert "cross-block" in plan["recommendation"]["en"] and plan["recommendation"]["ja"]
    proposal = plan["proposals"][0]
    assert proposal["distance_km"] > 0 and proposal["source"] == "offer" and proposal["offer_id"]
    assert any("stage 1" in r["en"] for r in proposal["reasons"]) and all(r["ja"] for r in proposal["reasons"])
    assert plan["totals"]["covered"] == 4 and plan["totals"]["cross_block_people"] == 0

    world.open_cross_block()
    opened = world.plan()
    assert (notice["id"], TOKYO, 2, 2) in lines(opened)
    assert opened["unmet"] == [] and opened["recommend_open_cross_block"] is False
    assert opened["totals"]["cross_block_people"] == 2
    assert [x for x in lines(opened) if x[0] == wajima["id"]] == lines(plan)


def test_commit_creates_proposed_dispatches_with_events_in_one_go(world: PlanWorld, engine: Engine) -> None:
    need = world.need(language="vi", headcount=3)
    world.offer_from(TOYAMA, headcount=2)
    world.offer_from(FUKUI, headcount=2)
    plan = world.plan(commit=True)
    assert plan["committed"] is True and sum(p["headcount"] for p in plan["proposals"]) == 3
    ids = [p["dispatch_id"] for p in plan["proposals"]]
    assert all(ids) and dispatch_count(engine) == len(ids)
    for p in plan["proposals"]:
        dispatch = world.client.get(f"/api/v1/dispatches/{p['dispatch_id']}", headers=world.secretariat).json()
        assert dispatch["state"] == "proposed" and dispatch["need_id"] == need["id"]
        assert (dispatch["supplier_id"], dispatch["headcount"], dispatch["stage"]) == (
            p["supplier_id"], p["headcount"], 1)
        assert dispatch["offer_id"] == p["offer_id"] and dispatch["mode"] == "live"
        assert any("support plan" in r["en"] for r in dispatch["reasons"])
    events = world.events()
    proposed = [e for e in events if e["type"] == "dispatch.proposed"]
    assert sorted(int(e["entity_id"]) for e in proposed) == sorted(ids)
    (committed,) = [e for e in events if e["type"] == "plan.committed"]
    assert committed["payload"]["totals"]["covered"] == 3 and committed["payload"]["dispatch_ids"] == ids
    assert committed["seq"] > max(e["seq"] for e in proposed)
    # The proposals follow the ordinary lifecycle: the block coordinator approves them.
    assert world.act(ids[0], "approve", world.coordinator).status_code == 200


def test_who_may_plan_and_what_a_block_coordinator_may_commit(world: PlanWorld, engine: Engine) -> None:
    inside = world.need(language="vi", headcount=2)
    nepali = world.need(kind="translation", language="ne", headcount=1)
    world.offer_from(TOYAMA, headcount=2)
    world.offer_from(TOKYO, languages=["ne"], kinds=["translation"], headcount=1)
    world.open_cross_block()
    for headers in (world.requester, world.toyama, world.outsider, world.observer):
        before = counts(engine)
        for commit in (False, True):
            response = world.client.post(f"/api/v1/disasters/{world.id}/plan", json={"commit": commit},
                                         headers=headers)
            assert_error(response, 403)
        assert counts(engine) == before
    assert_error(world.client.post(f"/api/v1/disasters/{world.id}/plan", json={"commit": True}), 401)
    assert_error(world.client.post(f"/api/v1/disasters/{world.id}/plan", json={"commit": "yes please"},
                                   headers=world.secretariat), 422, "commit")
    assert_error(world.client.post("/api/v1/disasters/99999/plan", json={}, headers=world.secretariat), 404)

    # Kinki is not affected: its coordinator acts only for its own block, so it may not plan here at all
    # (issue 12 item 1).
    for commit in (False, True):
        assert_error(world.client.post(f"/api/v1/disasters/{world.id}/plan", json={"commit": commit},
                                       headers=world.kinki_coordinator), 403)
    assert dispatch_count(engine) == 0
    plan = world.plan(world.coordinator, commit=True)
    by_need = {p["need_id"]: p for p in plan["proposals"]}
    assert by_need[inside["id"]]["committable"] is True and by_need[inside["id"]]["dispatch_id"]
    held = by_need[nepali["id"]]
    assert held["stage"] == 2 and held["committable"] is False and held["dispatch_id"] is None
    assert "secretariat" in held["withheld_reason"]["en"] and held["withheld_reason"]["ja"]
    assert any("secretariat" in n["en"] for n in plan["notes"])
    assert dispatch_count(engine) == 1
    # The secretariat commits the stage-2 line; the coordinator's stage-1 dispatch stays as it is: the plan
    # proposes it again unchanged, so it is kept (not cancelled and proposed again).
    second = world.plan(commit=True)
    assert {(p["need_id"], p["stage"]) for p in second["proposals"]} == {(inside["id"], 1), (nepali["id"], 2)}
    assert second["replaces"] == []
    kept = next(p for p in second["proposals"] if p["need_id"] == inside["id"])
    assert kept["existing_dispatch_id"] == kept["dispatch_id"] == by_need[inside["id"]]["dispatch_id"]
    assert [e["action"] for e in second["existing"]] == ["keep"]
    assert dispatch_count(engine) == 2


def test_replan_after_decline_and_new_need_keeps_committed_dispatches(world: PlanWorld) -> None:
    first_need = world.need(language="vi", headcount=3)
    world.offer_from(TOYAMA, headcount=2)
    world.offer_from(FUKUI, headcount=2)
    plan = world.plan(world.coordinator, commit=True)
    by_supplier = {p["supplier_id"]: p["dispatch_id"] for p in plan["proposals"]}
    assert set(by_supplier) == {TOYAMA, FUKUI}
    toyama, fukui = by_supplier[TOYAMA], by_supplier[FUKUI]
    for dispatch_id in (toyama, fukui):
        for action in ("approve", "request"):
            assert world.act(dispatch_id, action, world.coordinator).status_code == 200
    assert world.act(toyama, "accept", world.toyama).status_code == 200
    assert world.act(toyama, "depart", world.toyama).status_code == 200
    assert world.act(fukui, "decline", world.fukui).status_code == 200
    toyama_people = next(p["headcount"] for p in plan["proposals"] if p["supplier_id"] == TOYAMA)

    second_need = world.need(language="vi", headcount=1, kind="translation")
    replan = world.plan(world.coordinator)
    assert replan["totals"]["people_fixed"] == toyama_people
    # Only the uncovered remainder is planned. Fukui declined the first need, so it is not proposed for it
    # again (issue 12 item 11): only Toyama's spare people go there, the rest is unmet and says why.
    planned = {(p["need_id"], p["supplier_id"]): p["headcount"] for p in replan["proposals"]}
    assert (first_need["id"], FUKUI) not in planned
    assert planned.get((first_need["id"], TOYAMA), 0) == 2 - toyama_people
    (unmet,) = replan["unmet"]
    assert unmet["need_id"] == first_need["id"] and unmet["headcount"] == 1
    assert [a["id"] for a in unmet["declined_by"]] == [FUKUI] and "declined" in unmet["reason"]["en"]
    assert planned[(second_need["id"], FUKUI)] == 1
    assert [p["dispatch_id"] for p in replan["declined_pairs"]] == [fukui]
    committed = world.plan(world.coordinator, commit=True)
    assert committed["replaces"] == []
    assert world.state_of(toyama) == "en_route" and world.state_of(fukui) == "declined"

    # Committing again with nothing changed keeps every still-proposed dispatch: no cancel, no new proposal.
    events_before = len(world.events())
    again = world.plan(world.coordinator, commit=True)
    earlier = sorted(p["dispatch_id"] for p in committed["proposals"])
    assert again["replaces"] == [] and sorted(p["dispatch_id"] for p in again["proposals"]) == earlier
    assert {e["action"] for e in again["existing"]} == {"keep"}
    assert all(world.state_of(d) == "proposed" for d in earlier)
    assert len(world.events()) == events_before


def test_pending_requests_are_not_planned_twice(world: PlanWorld) -> None:
    need = world.need(language="vi", headcount=3)
    world.offer_from(TOYAMA, headcount=3)
    requested = world.dispatch_in("requested", need_id=need["id"], supplier_id=TOYAMA, headcount=2)
    plan = world.plan()
    assert plan["totals"]["people_pending"] == 2
    assert lines(plan) == [(need["id"], TOYAMA, 1, 1)]
    assert requested["id"] not in plan["replaces"]


def test_standing_capacity_is_used_only_for_associations_without_an_offer(world: PlanWorld) -> None:
    need = world.need(language="vi", headcount=2)
    for headers in (world.fukui, world.toyama):
        response = world.client.post("/api/v1/standing-capacity", headers=headers,
                                     json={"language": "VI", "kinds": ["centre_staff"], "headcount": 2})
        assert response.status_code == 201, response.text
    # Toyama withdrew its offer for this disaster (PlanWorld): its standing capacity is not used.
    plan = world.plan()
    assert lines(plan) == [(need["id"], FUKUI, 2, 1)]
    (proposal,) = plan["proposals"]
    assert proposal["source"] == "standing_capacity" and proposal["offer_id"] is None
    assert "not yet confirmed" in proposal["reasons"][-1]["en"] and "未確認" in proposal["reasons"][-1]["ja"]
    world.offer_from(FUKUI, headcount=1)
    assert lines(world.plan()) == [(need["id"], FUKUI, 1, 1)]


def test_a_drills_offers_never_appear_in_a_live_plan(world: PlanWorld) -> None:
    drill = declare(world.client, world.secretariat, mode="drill", name="訓練")
    response = world.client.post(f"/api/v1/disasters/{drill['id']}/offers", headers=world.fukui,
                                 json=offer_body(headcount=5, available_until=AHEAD))
    assert response.status_code == 201, response.text
    response = world.client.post(f"/api/v1/disasters/{drill['id']}/needs", headers=world.requester,
                                 json={"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi",
                                       "headcount": 2, "start": offer_body()["available_from"], "days": 3})
    assert response.status_code == 201, response.text
    need = world.need(language="vi", headcount=2)
    live = world.plan()
    assert live["proposals"] == [] and live["unmet"][0]["need_id"] == need["id"]
    drill_plan = world.plan(disaster_id=drill["id"], commit=True)
    assert drill_plan["mode"] == "drill" and {p["supplier_id"] for p in drill_plan["proposals"]} == {FUKUI}
    assert all(p["need_id"] != need["id"] for p in drill_plan["proposals"])
    assert world.plan()["proposals"] == []


def test_kumamoto_plan_uses_kyushu_first(client: TestClient, make_user, auth) -> None:  # type: ignore[no-untyped-def]
    secretariat = auth(make_user("secretariat", "clair")[1])
    disaster = declare(client, secretariat, prefectures=["43"], name="熊本地震")
    today = offer_body()["available_from"]
    need = client.post(f"/api/v1/disasters/{disaster['id']}/needs", headers=secretariat,
                       json={"requester_id": "city_kumamoto", "kind": "shelter_rounds", "language": "vi",
                             "headcount": 3, "start": today, "days": 4, "place": "43100"})
    assert need.status_code == 201, need.text
    for association, people in (("city_fukuoka", 2), ("pref_kagoshima", 2), ("pref_hiroshima", 5)):
        response = client.post(f"/api/v1/disasters/{disaster['id']}/offers",
                               headers=auth(make_user("staff", association)[1]),
                               json=offer_body(languages=["vi"], kinds=["shelter_rounds"], headcount=people,
                                               available_until=AHEAD))
        assert response.status_code == 201, response.text
    plan = client.post(f"/api/v1/disasters/{disaster['id']}/plan", json={}, headers=secretariat).json()
    assert {p["supplier_id"] for p in plan["proposals"]} <= {"city_fukuoka", "pref_kagoshima"}
    assert plan["totals"]["covered"] == 3 and plan["totals"]["cross_block_people"] == 0
    assert all(p["stage"] == 1 and any("Kyushu" in r["en"] for r in p["reasons"]) for p in plan["proposals"])
