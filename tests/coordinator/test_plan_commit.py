"""Plan preview and commit (issue 12 item 9, issue 14 item 4), through the real app and database (SQLite and
PostgreSQL): what a dry run shows a person, commits in parallel (serialised, or 409 with the dry run's
version; never cancel/propose noise), keep/replace/cancel of still-proposed dispatches, and a selection."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from coordinator.events.models import Event
from coordinator.matching.service import commit_plan
from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, assert_error, counts
from tests.coordinator.dispatch_support import dispatch_count
from tests.coordinator.test_concurrency import run_together
from tests.coordinator.test_plan_api import TOKYO, PlanWorld

PARALLEL = 10


@pytest.fixture
def world(client: TestClient, make_user, auth) -> PlanWorld:  # type: ignore[no-untyped-def]
    return PlanWorld(client, make_user, auth)


def event_types(engine: Engine, disaster_id: int) -> Counter[str]:
    """Events of the disaster by type."""
    with Session(engine) as session:
        rows = session.exec(select(Event.type, func.count()).where(Event.disaster_id == disaster_id)
                            .group_by(col(Event.type)))
        return Counter({t: n for t, n in rows})


def post_plan(world: PlanWorld, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return world.client.post(f"/api/v1/disasters/{world.id}/plan", json=body, headers=headers or world.secretariat)


def two_needs(world: PlanWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two of Ishikawa's needs that Toyama and Fukui can cover inside the block."""
    first = world.need(kind="onsite_interpretation", language="vi", headcount=2, place="17204")
    second = world.need(kind="translation", language="vi", headcount=1, place=None)
    world.offer_from(TOYAMA, languages=["vi"], kinds=["onsite_interpretation", "translation"], headcount=2)
    world.offer_from(FUKUI, languages=["vi"], kinds=["onsite_interpretation", "translation"], headcount=2)
    return first, second


def test_the_dry_run_carries_what_a_person_needs_to_judge_each_proposal(world: PlanWorld, engine: Engine) -> None:
    first, _ = two_needs(world)
    world.offer_from(TOKYO, languages=["ne"], kinds=["translation"], headcount=1)
    world.need(kind="translation", language="ne", headcount=1, place=None)
    world.open_cross_block()
    before = counts(engine)
    plan = world.plan()
    assert counts(engine) == before
    assert re.fullmatch(r"[0-9a-f]{24}", plan["version"]) and plan["computed_at"].endswith("Z")
    assert plan["partner_order"] == "strict" and plan["partner_order_label"]["ja"]
    assert world.plan()["version"] == plan["version"], "the same state gives the same version"

    line = next(p for p in plan["proposals"] if p["need_id"] == first["id"])
    assert line["key"] == f"n{first['id']}:offer:{line['offer_id']}"
    assert line["requester"]["id"] == ISHIKAWA and line["requester"]["name_ja"] == "石川県国際交流協会"
    assert line["requester"]["block_name_ja"] == "東海・北陸" and line["supplier"]["name_en"]
    need = line["need"]
    assert (need["kind_ja"], need["language_ja"], need["language_en"]) == ("現地通訳", "ベトナム語", "Vietnamese")
    assert need["place_ja"] == "輪島市" and need["days"] == 5 and need["end"] > need["start"]
    assert line["stage_label"] == {"ja": "第1段階（ブロック内）", "en": "Stage 1 (inside the block)"}
    assert line["source_label"]["en"] == "Offer" and line["available_until"]
    # Reasons are sentences with names, never bare codes of kinds or languages.
    for reason in line["reasons"]:
        assert "onsite_interpretation" not in reason["en"] + reason["ja"]
        assert not re.search(r"\bvi\b", reason["en"]) and reason["ja"]
    assert any("Vietnamese" in r["en"] for r in line["reasons"])
    stage2 = next(p for p in plan["proposals"] if p["stage"] == 2)
    assert stage2["partner_rank"] == 2 and any("partner order" in r["en"] for r in stage2["reasons"])
    totals = plan["totals"]
    assert totals["stage1_people"] == 3 and totals["stage2_people"] == 1 == totals["cross_block_people"]
    assert totals["new_proposals"] == len(plan["proposals"]) and totals["kept"] == totals["replaced"] == 0
    assert plan["existing"] == [] and plan["declined_pairs"] == [] and plan["selected"] is None


def test_ten_parallel_commits_without_a_version_propose_once_and_cancel_nothing(
        world: PlanWorld, engine: Engine, make_user) -> None:  # type: ignore[no-untyped-def]
    two_needs(world)
    secretariat, _ = make_user("secretariat", "clair")
    before = event_types(engine, world.id)
    outcomes = run_together(engine, [lambda s: commit_plan(s, disaster_id=world.id, actor=secretariat)] * PARALLEL)
    assert outcomes == Counter({"ok": PARALLEL}), outcomes
    after = event_types(engine, world.id) - before
    proposals = len(world.plan()["proposals"])
    # One commit proposes; the nine after it find every proposal unchanged and keep it: no noise.
    assert after == Counter({"dispatch.proposed": proposals, "plan.committed": 1}), after
    assert dispatch_count(engine) == proposals


def test_ten_parallel_commits_of_one_dry_run_one_wins_the_others_get_409(
        world: PlanWorld, engine: Engine, make_user) -> None:  # type: ignore[no-untyped-def]
    two_needs(world)
    secretariat, _ = make_user("secretariat", "clair")
    version = world.plan()["version"]
    before = event_types(engine, world.id)
    outcomes = run_together(engine, [lambda s: commit_plan(s, disaster_id=world.id, actor=secretariat,
                                                           version=version)] * PARALLEL)
    assert outcomes == Counter({"ok": 1, "409:conflict": PARALLEL - 1}), outcomes
    proposals = dispatch_count(engine)
    assert event_types(engine, world.id) - before == Counter({"dispatch.proposed": proposals, "plan.committed": 1})


def test_a_commit_with_a_stale_version_is_refused_and_writes_nothing(world: PlanWorld, engine: Engine) -> None:
    two_needs(world)
    dry = world.plan()
    world.need(kind="translation", language="vi", headcount=1, place=None)  # the state changes
    before = counts(engine)
    response = post_plan(world, {"commit": True, "version": dry["version"]})
    body = assert_error(response, 409, "version")
    assert body["details"]["version"] == world.plan()["version"] != dry["version"]
    assert counts(engine) == before
    assert post_plan(world, {"commit": True, "version": world.plan()["version"]}).status_code == 200


def test_keep_replace_and_cancel_and_a_selective_commit(world: PlanWorld, engine: Engine) -> None:
    first, second = two_needs(world)
    plan = world.plan(commit=True)
    old = {p["need_id"]: p["dispatch_id"] for p in plan["proposals"]}  # one supporter per need here
    assert len(old) == 2 and plan["totals"]["new_proposals"] == 2

    # The first need shrinks: its proposal changes (replace); the second need is cancelled (cancel).
    need = world.client.get(f"/api/v1/needs/{first['id']}", headers=world.requester).json()
    response = world.client.patch(f"/api/v1/needs/{first['id']}", headers=world.requester,
                                  json={"headcount": 1, "version": need["version"]})
    assert response.status_code == 200, response.text
    response = world.client.post(f"/api/v1/needs/{second['id']}/cancel", headers=world.requester,
                                 json={"reason": "自力で対応 / handled locally"})
    assert response.status_code == 200, response.text
    dry = world.plan()
    actions = {e["dispatch_id"]: e for e in dry["existing"]}
    assert actions[old[first["id"]]]["action"] == "replace" and actions[old[first["id"]]]["replaced_by"]
    assert actions[old[second["id"]]]["action"] == "cancel" and actions[old[second["id"]]]["action_label"]["ja"]
    assert sorted(dry["replaces"]) == sorted(old.values())
    assert (dry["totals"]["replaced"], dry["totals"]["cancelled"]) == (1, 1)
    replacing = [p for p in dry["proposals"] if p["key"] in actions[old[first["id"]]]["replaced_by"]]
    assert all(p["replaces"] == [old[first["id"]]] for p in replacing)

    # Bad selections change nothing.
    before = counts(engine)
    assert_error(post_plan(world, {"commit": True, "proposals": [replacing[0]["key"]]}), 422, "version")
    assert_error(post_plan(world, {"commit": True, "version": dry["version"], "proposals": ["n0:offer:0"]}),
                 422, "proposals")
    assert counts(engine) == before

    # Commit one of the replacing proposals: the replaced dispatch is cancelled, the cancel-only one stays.
    chosen = replacing[0]
    committed = post_plan(world, {"commit": True, "version": dry["version"], "proposals": [chosen["key"]]}).json()
    assert committed["selected"] == [chosen["key"]]
    made = {p["key"]: p["dispatch_id"] for p in committed["proposals"] if p["dispatch_id"]}
    assert list(made) == [chosen["key"]]
    assert world.state_of(old[first["id"]]) == "cancelled" and world.state_of(old[second["id"]]) == "proposed"
    assert world.state_of(made[chosen["key"]]) == "proposed"
    # A full commit afterwards cancels the rest and keeps the selected one.
    final = world.plan(commit=True)
    assert world.state_of(old[second["id"]]) == "cancelled"
    assert {e["dispatch_id"]: e["action"] for e in final["existing"]}[made[chosen["key"]]] == "keep"


def test_a_coordinator_cannot_select_what_it_may_not_commit(world: PlanWorld, engine: Engine) -> None:
    world.need(kind="translation", language="ne", headcount=1, place=None)
    world.offer_from(TOKYO, languages=["ne"], kinds=["translation"], headcount=1)
    world.open_cross_block()
    dry = world.plan(world.coordinator)
    (held,) = dry["proposals"]
    assert held["committable"] is False
    response = post_plan(world, {"commit": True, "version": dry["version"], "proposals": [held["key"]]},
                         world.coordinator)
    body = assert_error(response, 403, "proposals")
    assert "secretariat" in body["message"]["en"]
    assert dispatch_count(engine) == 0
