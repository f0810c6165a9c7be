"""Needs over the API: creation by the requester or on its behalf, amendments with history, cancel,
roll-ups, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.needs.service import refresh_need_status
from tests.coordinator.disasters_support import ISHIKAWA, TOYAMA, World, assert_error, counts, need_body


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def test_requester_staff_create_a_need_with_agreement_defaults(world: World) -> None:
    body = need_body(kind="translation", language="zh-hant", days=None, remote=None, place=None)
    need = world.need(**body)
    assert need["status"] == "open" and need["version"] == 1 and need["on_behalf"] is False
    assert need["language"] == "zh-Hant"  # normalised case (RFC 5646 2.1.1)
    assert need["days"] == 5  # the agreement's default rotation
    assert need["remote"] is True  # translation is a remote kind in the agreement
    assert need["mode"] == "live" and need["disaster_id"] == world.id
    assert need["people"] == {"requested": 2, "proposed": 0, "accepted": 0, "on_site": 0, "fulfilled": 0}


@pytest.mark.parametrize("who", ["coordinator", "secretariat"])
def test_coordinator_and_secretariat_create_on_behalf(world: World, who: str) -> None:
    need = world.need(headers=getattr(world, who))
    assert need["on_behalf"] is True
    assert need["requester_id"] == ISHIKAWA
    history = world.client.get(f"/api/v1/needs/{need['id']}/history", headers=world.requester).json()
    assert history == []
    amended = world.client.patch(f"/api/v1/needs/{need['id']}", json={"headcount": 4},
                                 headers=getattr(world, who))
    assert amended.status_code == 200
    history = world.client.get(f"/api/v1/needs/{need['id']}/history", headers=world.requester).json()
    assert history[0]["on_behalf"] is True and history[0]["changes"] == {"headcount": {"old": 2, "new": 4}}


@pytest.mark.parametrize("who", ["toyama", "outsider", "observer"])
def test_others_may_not_create_change_or_cancel_a_need(world: World, engine: Engine, who: str) -> None:
    need = world.need()
    headers = getattr(world, who)
    before = counts(engine)
    assert_error(world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(), headers=headers), 403)
    assert_error(world.client.patch(f"/api/v1/needs/{need['id']}", json={"headcount": 9}, headers=headers), 403)
    assert_error(world.client.post(f"/api/v1/needs/{need['id']}/cancel", headers=headers), 403)
    assert counts(engine) == before
    unchanged = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()
    assert unchanged["headcount"] == 2 and unchanged["status"] == "open"


def test_coordinator_of_another_block_may_not_act_on_behalf(world: World, make_user, auth) -> None:
    kinki = world.disaster["acting_roles"]["coordinators"]["kinki"]["association_id"]
    headers = auth(make_user("staff", kinki)[1])
    response = world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(), headers=headers)
    assert_error(response, 403)


def test_amendments_keep_history_and_bump_the_version(world: World) -> None:
    need = world.need()
    url = f"/api/v1/needs/{need['id']}"
    first = world.client.patch(url, json={"headcount": 5, "notes": "増員", "version": 1}, headers=world.requester)
    assert first.status_code == 200 and first.json()["version"] == 2
    second = world.client.patch(url, json={"language": "ne", "days": 7}, headers=world.requester)
    assert second.json()["version"] == 3 and second.json()["language"] == "ne"
    same = world.client.patch(url, json={"language": "ne"}, headers=world.requester)
    assert same.json()["version"] == 3  # no change, no revision
    stale = world.client.patch(url, json={"headcount": 1, "version": 1}, headers=world.requester)
    assert_error(stale, 409, "version")
    history = world.client.get(f"{url}/history", headers=world.coordinator).json()
    assert [h["version"] for h in history] == [2, 3]
    assert history[0]["changes"] == {"headcount": {"old": 2, "new": 5},
                                     "notes": {"old": "輪島市の避難所", "new": "増員"}}
    assert history[1]["changes"] == {"language": {"old": "vi", "new": "ne"}, "days": {"old": 5, "new": 7}}
    assert history[0]["on_behalf"] is False and history[0]["by_association_id"] == ISHIKAWA
    types = [e["type"] for e in world.client.get(f"/api/v1/disasters/{world.id}/events",
                                                 headers=world.observer).json()["events"]]
    assert types == ["disaster.declared", "need.created", "need.amended", "need.amended"]


def test_a_changed_place_is_named_in_the_history_and_the_conflict(world: World) -> None:
    need = world.need(place="17204")
    url = f"/api/v1/needs/{need['id']}"
    assert world.client.patch(url, json={"place": "17205", "version": 1}, headers=world.requester).status_code == 200
    history = world.client.get(f"{url}/history", headers=world.requester).json()
    assert history[0]["changes"] == {"place": {"old": "17204", "new": "17205"}}
    assert history[0]["place_names"] == {"17204": "輪島市", "17205": "珠洲市"}  # issue 15 item 4: no JIS codes
    stale = world.client.patch(url, json={"headcount": 9, "version": 1}, headers=world.requester)
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["changes_since"][0]["place_names"]["17205"] == "珠洲市"


def test_cancel_keeps_the_need_and_refuses_later_changes(world: World) -> None:
    need = world.need()
    url = f"/api/v1/needs/{need['id']}"
    cancelled = world.client.post(f"{url}/cancel", headers=world.requester)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["people"]["requested"] == 0
    assert_error(world.client.post(f"{url}/cancel", headers=world.requester), 409, "status")
    assert_error(world.client.patch(url, json={"headcount": 3}, headers=world.requester), 409, "status")
    history = world.client.get(f"{url}/history", headers=world.requester).json()
    assert history[-1]["changes"] == {"status": {"old": "open", "new": "cancelled"}}


def test_need_validation_names_each_field(world: World, engine: Engine) -> None:
    url = f"/api/v1/disasters/{world.id}/needs"
    today = date.today()
    cases = [
        (need_body(requester_id=TOYAMA), "requester_id"),
        (need_body(requester_id="pref_nowhere"), "requester_id"),
        (need_body(kind="cooking"), "kind"),
        (need_body(language="english!"), "language"),
        (need_body(headcount=0), "headcount"),
        (need_body(headcount=201), "headcount"),
        (need_body(start=(today - timedelta(days=31)).isoformat()), "start"),
        (need_body(start=(today + timedelta(days=366)).isoformat()), "start"),
        (need_body(days=2), "days"),
        (need_body(days=9), "days"),
        (need_body(place="16201"), "place"),  # Toyama city: not in the affected prefecture
        (need_body(place="99999"), "place"),
        (need_body(place="abc"), "place"),
        (need_body(kind="onsite_interpretation", remote=True), "remote"),
        (need_body(notes="x" * 2001), "notes"),
    ]
    before = counts(engine)
    for body, field in cases:
        assert_error(world.client.post(url, json=body, headers=world.secretariat), 422, field)
    assert counts(engine) == before


def test_staff_read_their_own_needs_and_the_open_ones_they_may_help_with(world: World, make_user, auth) -> None:
    mine = world.need()
    listed = world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.requester).json()
    assert [n["id"] for n in listed] == [mine["id"]]
    # Toyama is in Ishikawa's block: it sees the open need (issue 15 item 2); another block does not yet.
    assert [n["id"] for n in world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.toyama).json()
            ] == [mine["id"]]
    assert world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.outsider).json() == []
    assert_error(world.client.get(f"/api/v1/needs/{mine['id']}", headers=world.outsider), 403)
    assert world.client.post(f"/api/v1/disasters/{world.id}/cross-block", headers=world.secretariat
                             ).status_code in (200, 201)
    assert [n["id"] for n in world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.outsider).json()
            ] == [mine["id"]]
    # A need that is no longer open is the requester's business again.
    world.client.post(f"/api/v1/needs/{mine['id']}/cancel", json={}, headers=world.requester)
    assert_error(world.client.get(f"/api/v1/needs/{mine['id']}", headers=world.toyama), 403)
    for headers in (world.coordinator, world.secretariat, world.observer):
        assert world.client.get(f"/api/v1/needs/{mine['id']}", headers=headers).status_code == 200
    assert_error(world.client.get(f"/api/v1/needs/{mine['id']}"), 401)


def test_refresh_need_status_without_dispatches_keeps_it_open(world: World, engine: Engine) -> None:
    need = world.need()
    with Session(engine) as session:
        refreshed = refresh_need_status(session, need["id"])
        session.commit()
        assert refreshed.status == "open"


def test_summary_rolls_up_needs_and_offers(world: World) -> None:
    world.need(headcount=3)
    world.need(headcount=4, requester_id=ISHIKAWA, kind="translation", place=None)
    world.offer(headcount=5)
    summary = world.client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.secretariat).json()
    assert summary["needs_open"] == 2 and summary["people"]["requested"] == 7
    assert summary["by_requester"][ISHIKAWA]["requested"] == 7
    assert summary["offers_active"] == 1 and summary["offered_people"] == 5
    # Staff see their own view: Toyama, in Ishikawa's block, the open needs it may help with (issue 15 item 2).
    toyama_view = world.client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.toyama).json()
    assert toyama_view["people"]["requested"] == 7 and toyama_view["offered_people"] == 5
    outsider_view = world.client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.outsider).json()
    assert outsider_view["people"]["requested"] == 0 and outsider_view["offered_people"] == 0


def test_rollup_counts_each_stage_and_completion_fulfils_the_need(world: World, engine: Engine) -> None:
    from coordinator.dispatches.models import Dispatch

    need = world.need(headcount=3)

    def dispatch(state: str, headcount: int) -> None:
        session.add(Dispatch(disaster_id=world.id, need_id=need["id"], requester_id=ISHIKAWA,
                             supplier_id=TOYAMA, mode="live", headcount=headcount, stage=1, state=state))

    with Session(engine) as session:
        dispatch("proposed", 1)
        dispatch("accepted", 1)
        dispatch("on_site", 1)
        dispatch("declined", 5)
        session.commit()
        assert refresh_need_status(session, need["id"]).status == "open"
        session.commit()
    people = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()["people"]
    assert people == {"requested": 3, "proposed": 3, "accepted": 2, "on_site": 1, "fulfilled": 0}
    with Session(engine) as session:
        dispatch("completed", 3)
        session.flush()
        assert refresh_need_status(session, need["id"]).status == "fulfilled"
        session.commit()
    read = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.requester).json()
    assert read["status"] == "fulfilled" and read["people"]["fulfilled"] == 3
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.requester).json()["events"]
    assert events[-1]["type"] == "need.fulfilled" and events[-1]["payload"]["status"] == "fulfilled"
    summary = world.client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.coordinator).json()
    assert summary["needs_fulfilled"] == 1 and summary["people"]["fulfilled"] == 3


def test_two_concurrent_amendments_of_one_version_one_wins(world: World, engine: Engine, make_user) -> None:
    import threading

    from coordinator.errors import Conflict
    from coordinator.needs.models import NeedUpdate
    from coordinator.needs.service import amend_need

    need = world.need()
    actor, _ = make_user("staff", ISHIKAWA)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def amend(headcount: int) -> None:
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                amend_need(session, need_id=need["id"], data=NeedUpdate(version=1, headcount=headcount), actor=actor)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=amend, args=(n,)) for n in (5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    history = world.client.get(f"/api/v1/needs/{need['id']}/history", headers=world.requester).json()
    assert [h["version"] for h in history] == [2]
