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
from tests.coordinator.test_disasters_support import ISHIKAWA
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
