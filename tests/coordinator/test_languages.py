"""Languages over the API (issue 12 item 12): tags the agreement does not list are refused everywhere with
the known ones named; the languages foreign residents speak are listed; a regional or script variant and
its base language serve each other in the plan, and the reasons say so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import (
    FUKUI,
    ISHIKAWA,
    TOYAMA,
    assert_error,
    counts,
    need_body,
    offer_body,
)
from tests.coordinator.test_plan_api import PlanWorld, lines

RESIDENTS = ["my", "ne", "id", "th", "si", "km", "mn", "bn", "ur", "es", "pt", "pt-BR"]


@pytest.fixture
def world(client: TestClient, make_user, auth) -> PlanWorld:  # type: ignore[no-untyped-def]
    return PlanWorld(client, make_user, auth)


def _refused(response: Any, field: str, tag: str) -> dict[str, Any]:
    """A 422 naming the field and listing the agreement's languages by tag and name in both languages."""
    error = assert_error(response, 422, field)
    known = {k["tag"]: k for k in error["details"]["known_languages"]}
    assert known["my"] == {"tag": "my", "name_ja": "ミャンマー語", "name_en": "Burmese"}
    assert set(RESIDENTS) <= set(known)
    assert tag in error["message"]["en"] and tag in error["message"]["ja"]
    assert "Burmese" in error["message"]["en"] and "ミャンマー語" in error["message"]["ja"]
    assert "言語" in error["message"]["ja"]
    return error


@pytest.mark.parametrize("tag", ["fr", "en-US", "pt-PT", "english!"])
def test_unknown_languages_are_refused_everywhere_and_nothing_is_stored(world: PlanWorld, engine: Engine,
                                                                        tag: str) -> None:
    need = world.need()
    offer = world.offer_from(FUKUI)
    capacity_url = "/api/v1/standing-capacity"
    capacity = world.client.post(capacity_url, json={"language": "vi", "kinds": ["centre_staff"], "headcount": 2},
                                 headers=world.staff(FUKUI))
    assert capacity.status_code == 201, capacity.text
    before = counts(engine)
    _refused(world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(language=tag),
                               headers=world.requester), "language", tag)
    _refused(world.client.patch(f"/api/v1/needs/{need['id']}", json={"language": tag},
                                headers=world.requester), "language", tag)
    _refused(world.client.post(f"/api/v1/disasters/{world.id}/offers", json=offer_body(
        languages=["vi", tag]), headers=world.toyama), "languages", tag)
    _refused(world.client.patch(f"/api/v1/offers/{offer['id']}", json={"languages": [tag]},
                                headers=world.staff(FUKUI)), "languages", tag)
    _refused(world.client.post(capacity_url, json={"language": tag, "kinds": ["centre_staff"], "headcount": 1},
                               headers=world.staff(FUKUI)), "language", tag)
    _refused(world.client.patch(f"{capacity_url}/{capacity.json()['id']}", json={"language": tag},
                                headers=world.staff(FUKUI)), "language", tag)
    assert counts(engine) == before


def test_a_listed_base_is_suggested_for_an_unlisted_variant(world: PlanWorld) -> None:
    error = assert_error(world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(language="en-GB"),
                                           headers=world.requester), 422, "language")
    assert "did you mean en?" in error["message"]["en"] and "英語（en） のことですか" in error["message"]["ja"]


@pytest.mark.parametrize("tag", RESIDENTS)
def test_the_languages_residents_speak_are_accepted_and_matched(world: PlanWorld, tag: str) -> None:
    need = world.need(language=tag.upper())
    assert need["language"] == tag  # the agreement's own spelling
    world.offer_from(TOYAMA, languages=[tag], kinds=["centre_staff"], headcount=2)
    plan = world.plan()
    assert lines(plan) == [(need["id"], TOYAMA, 2, 1)] and plan["unmet"] == []


def test_burmese_needs_and_offers_match_where_main_called_them_unmet(world: PlanWorld) -> None:
    need = world.need(language="my", headcount=3)
    world.offer_from(FUKUI, languages=["my", "en"], kinds=["centre_staff"], headcount=3)
    plan = world.plan()
    assert lines(plan) == [(need["id"], FUKUI, 3, 1)]
    reasons = plan["proposals"][0]["reasons"]
    assert any("Burmese" in r["en"] for r in reasons) and any("ミャンマー語" in r["ja"] for r in reasons)
    assert not any("variant" in r["en"] for r in reasons)  # the same tag: no variant to explain


@pytest.mark.parametrize(("needed", "offered"), [("pt-BR", "pt"), ("pt", "pt-BR"), ("zh-Hant", "zh"),
                                                 ("zh", "zh-Hans")])
def test_a_variant_and_its_base_serve_each_other_and_the_reasons_say_so(world: PlanWorld, needed: str,
                                                                        offered: str) -> None:
    need = world.need(language=needed)
    world.offer_from(TOYAMA, languages=[offered], kinds=["centre_staff"], headcount=2)
    plan = world.plan()
    assert lines(plan) == [(need["id"], TOYAMA, 2, 1)] and plan["unmet"] == []
    variant = [r for r in plan["proposals"][0]["reasons"] if "variant" in r["en"]]
    assert len(variant) == 1, plan["proposals"][0]["reasons"]
    assert f"({offered})" in variant[0]["en"] and f"({needed})" in variant[0]["en"]
    assert f"（{offered}）" in variant[0]["ja"] and f"（{needed}）" in variant[0]["ja"] and "変種" in variant[0]["ja"]


@pytest.mark.parametrize(("needed", "offered"), [("zh-Hant", "zh-Hans"), ("zh-Hans", "zh-Hant"), ("pt-BR", "es")])
def test_two_variants_of_one_base_do_not_serve_each_other(world: PlanWorld, needed: str, offered: str) -> None:
    need = world.need(language=needed)
    world.offer_from(TOYAMA, languages=[offered], kinds=["centre_staff"], headcount=2)
    plan = world.plan()
    assert plan["proposals"] == []
    assert [(u["need_id"], u["code"]) for u in plan["unmet"]] == [(need["id"], "no_eligible_supporter")]


def test_each_proposal_says_whether_a_variant_served_the_need(world: PlanWorld) -> None:
    need = world.need(language="pt-BR", headcount=2)
    world.offer_from(TOYAMA, languages=["pt"], kinds=["centre_staff"], headcount=2)
    world.offer_from(FUKUI, languages=["pt-BR", "pt"], kinds=["centre_staff"], headcount=2)
    plan = world.plan()
    assert {(p["need_id"], p["supplier_id"]) for p in plan["proposals"]} <= {(need["id"], TOYAMA), (need["id"], FUKUI)}
    assert sum(p["headcount"] for p in plan["proposals"]) == 2 and plan["unmet"] == []
    for proposal in plan["proposals"]:
        variant = [r for r in proposal["reasons"] if "variant" in r["en"]]
        assert bool(variant) == (proposal["supplier_id"] == TOYAMA)
    assert ISHIKAWA not in {p["supplier_id"] for p in plan["proposals"]}


def test_a_need_stored_before_unknown_tags_were_refused_is_unmet_saying_why(world: PlanWorld,
                                                                           engine: Engine) -> None:
    need = world.need(language="vi")
    world.offer_from(TOYAMA, languages=["vi"], kinds=["centre_staff"], headcount=2)
    with engine.begin() as connection:  # as main stored it: accepted with 201 and never matchable
        connection.execute(text("UPDATE need SET language = 'fr' WHERE id = :id"), {"id": need["id"]})
    plan = world.plan()
    assert plan["proposals"] == []
    [unmet] = plan["unmet"]
    assert unmet["need_id"] == need["id"] and unmet["code"] == "no_eligible_supporter"
    assert "fr (a language the agreement does not list)" in unmet["reason"]["en"]
    assert "fr（協定にない言語）" in unmet["reason"]["ja"]
