"""The plan follows the agreement (issue 12 items 10 and 11), through the real app and database: partner
blocks in the agreement's order, the same order `ouen eligible` gives; and a declined (need, supporter)
pair is never proposed again until the supporter offers again or a person releases it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

import agreements
from agreements import DEFAULT_PATH, load_agreement
from coordinator.matching.service import make_plan
from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, assert_error, declare
from tests.coordinator.test_plan_api import PlanWorld, lines

KYOTO, NAGANO = "pref_kyoto", "pref_nagano"  # Kinki: Tokai-Hokuriku's partner no. 1; Kanto: no. 2 (nearer)


@pytest.fixture
def world(client: TestClient, make_user, auth) -> PlanWorld:  # type: ignore[no-untyped-def]
    return PlanWorld(client, make_user, auth)


def partner_world(world: PlanWorld) -> dict[str, Any]:
    """Ishikawa needs 4 Vietnamese interpreters; nobody in its block offers them; Kyoto (partner no. 1,
    190 km) and Nagano (partner no. 2, 138 km) each offer 4; cross-block support is open."""
    need = world.need(kind="onsite_interpretation", language="vi", headcount=4, place=None)
    for association in (KYOTO, NAGANO):
        world.offer_from(association, languages=["vi"], kinds=["onsite_interpretation"], headcount=4)
    world.open_cross_block()
    return need


def test_plan_sends_partner_no_1_before_a_nearer_partner_no_2_as_ouen_eligible_ranks(world: PlanWorld) -> None:
    need = partner_world(world)
    plan = world.plan()
    assert lines(plan) == [(need["id"], KYOTO, 4, 2)]
    reasons = [r["en"] for r in plan["proposals"][0]["reasons"]]
    assert "partner order (agreement: strict): the best-ranked partner block that offers this" in reasons
    assert any("partner block no. 1" in r for r in reasons)
    assert all(r["ja"] for r in plan["proposals"][0]["reasons"])

    # `ouen eligible` ranks the same way: the plan's supporter is the first eligible one that offers.
    disaster = world.client.get(f"/api/v1/disasters/{world.id}", headers=world.secretariat).json()
    offered = agreements.Capability(frozenset({"vi"}), frozenset({"onsite_interpretation"}))
    ranked = agreements.eligible_supporters(
        load_agreement(), requester=ISHIKAWA, kind="onsite_interpretation", language="vi", place=None,
        affected=disaster["affected_associations"], cross_block_open=True,
        capabilities={KYOTO: offered, NAGANO: offered})
    first = next(c for c in ranked.eligible if c.association_id in (KYOTO, NAGANO))
    assert first.association_id == KYOTO


def test_partner_order_distance_lets_travel_decide_and_eligible_agrees(
        world: PlanWorld, engine: Engine, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    need = partner_world(world)
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert 'partner_order = "strict"' in text
    distance_file = tmp_path / "agreement.toml"
    distance_file.write_text(text.replace('partner_order = "strict"', 'partner_order = "distance"'), encoding="utf-8")
    distance = load_agreement(distance_file)
    assert distance.partner_order == "distance"
    secretariat, _ = make_user("secretariat", "clair")
    with Session(engine) as session:
        plan = make_plan(session, disaster_id=world.id, actor=secretariat, agreement=distance).public
    assert [(p.need_id, p.supplier_id, p.headcount) for p in plan.proposals] == [(need["id"], NAGANO, 4)]
    reasons = [r.en for r in plan.proposals[0].reasons]
    assert ("partner order not applied (agreement: distance): a better-ranked partner block offers this too, "
            "but travel decides") in reasons

    disaster = world.client.get(f"/api/v1/disasters/{world.id}", headers=world.secretariat).json()
    ranked = agreements.eligible_supporters(
        distance, requester=ISHIKAWA, kind="onsite_interpretation", language="vi", place=None,
        affected=disaster["affected_associations"], cross_block_open=True)
    stage2 = [c.association_id for c in ranked.eligible if c.association_id in (KYOTO, NAGANO)]
    assert stage2 == [NAGANO, KYOTO]
    assert "partner_order = distance" in agreements.ranking_rule(distance)[0]


# --- Declined pairs (issue 12 item 11) -------------------------------------------------------------------

def declined_world(world: PlanWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ishikawa needs 2 people; Toyama offers 1 and Fukui 2, so a plan needs Fukui; Fukui then declines a
    dispatch for that need (interpreters ill)."""
    need = world.need(language="vi", headcount=2)
    world.offer_from(TOYAMA, headcount=1)
    world.offer_from(FUKUI, headcount=2)
    declined = world.dispatch_in("declined", need_id=need["id"], supplier_id=FUKUI, headcount=2)
    return need, declined


def suppliers_for(plan: dict[str, Any], need_id: int) -> set[str]:
    return {p["supplier_id"] for p in plan["proposals"] if p["need_id"] == need_id}


def release(world: PlanWorld, dispatch_id: int, headers: dict[str, str], reason: Any = "通訳者が回復 / recovered",
            disaster_id: int | None = None) -> Any:
    return world.client.post(f"/api/v1/disasters/{disaster_id or world.id}/plan/declined/{dispatch_id}/release",
                             json={"reason": reason}, headers=headers)


def test_a_declined_pair_is_never_proposed_again_and_the_plan_says_why(world: PlanWorld) -> None:
    need, declined = declined_world(world)
    for _ in range(2):  # not in the next plan, nor in the one after
        plan = world.plan()
        assert suppliers_for(plan, need["id"]) == {TOYAMA}
        (pair,) = plan["declined_pairs"]
        assert (pair["dispatch_id"], pair["supplier"]["id"], pair["excluded"]) == (declined["id"], FUKUI, True)
        assert pair["decline_reason"] and pair["supplier"]["name_ja"] and pair["can_release"] is True
        assert any("declined" in n["en"] for n in plan["notes"])
        (unmet,) = plan["unmet"]
        assert (unmet["need_id"], unmet["headcount"]) == (need["id"], 1)
        assert [a["id"] for a in unmet["declined_by"]] == [FUKUI]
        assert "declined this need" in unmet["reason"]["en"] and "辞退" in unmet["reason"]["ja"]
    committed = world.plan(commit=True)
    assert suppliers_for(committed, need["id"]) == {TOYAMA}
    assert suppliers_for(world.plan(), need["id"]) == {TOYAMA}


def test_the_pair_comes_back_when_the_supporter_offers_again(world: PlanWorld) -> None:
    need, _ = declined_world(world)
    assert suppliers_for(world.plan(), need["id"]) == {TOYAMA}
    world.offer_from(FUKUI, headcount=1)  # Fukui offers again after its decline
    plan = world.plan()
    assert FUKUI in suppliers_for(plan, need["id"]) and plan["declined_pairs"] == []


def test_a_person_releases_a_declined_pair_with_a_reason_audited(world: PlanWorld) -> None:
    need, declined = declined_world(world)
    # Who may not: the requester, other associations, observers, nobody signed in; nothing changes.
    for headers in (world.requester, world.toyama, world.outsider, world.observer, world.kinki_coordinator):
        assert_error(release(world, declined["id"], headers), 403)
    assert_error(release(world, declined["id"], {}), 401)
    assert_error(release(world, declined["id"], world.secretariat, reason="   "), 422, "reason")
    assert suppliers_for(world.plan(), need["id"]) == {TOYAMA}

    # The requester block's acting coordinator may (a stage-1 pair): in the capacity of coordinator.
    response = release(world, declined["id"], world.coordinator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["excluded"] is False and body["lifted_by"] == "release" and body["release_capacity"] == "coordinator"
    assert body["release_reason"] == "通訳者が回復 / recovered" and body["lifted_label"]["ja"]
    plan = world.plan()
    assert FUKUI in suppliers_for(plan, need["id"]) and plan["declined_pairs"] == []
    (event,) = [e for e in world.events() if e["type"] == "plan.pair_released"]
    assert event["payload"]["reason"] == "通訳者が回復 / recovered" and event["payload"]["capacity"] == "coordinator"
    assert event["actor_association_id"] == world.coordinator_id and int(event["entity_id"]) == declined["id"]
    assert_error(release(world, declined["id"], world.secretariat), 409)  # already back

    # Fukui declines that need again later: left out again until someone releases the new decline.
    again = world.dispatch_in("declined", need_id=need["id"], supplier_id=FUKUI, headcount=1)
    assert suppliers_for(world.plan(), need["id"]) == {TOYAMA}
    assert_error(release(world, declined["id"], world.secretariat), 409)  # not the pair's latest decline
    response = release(world, again["id"], world.fukui)  # the supporter itself takes its decline back
    assert response.status_code == 200 and response.json()["release_capacity"] == "supplier"


def test_only_a_declined_dispatch_of_this_disaster_can_be_released(world: PlanWorld) -> None:
    need = world.need(language="vi", headcount=2)
    world.offer_from(FUKUI, headcount=2)
    requested = world.dispatch_in("requested", need_id=need["id"], supplier_id=FUKUI, headcount=1)
    assert_error(release(world, requested["id"], world.secretariat), 409)
    assert_error(release(world, 999999, world.secretariat), 404)
    other = declare(world.client, world.secretariat, mode="drill", name="訓練")
    assert_error(release(world, requested["id"], world.secretariat, disaster_id=other["id"]), 404)
