"""Issue 16 item 1, message by message: each kind reaches exactly the people it is for, through the real API,
and none of them is told anything the API would not let them read (area changes, closing, reopening and
fail-overs included)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.disasters.models import AreaInput
from coordinator.disasters.service import preview_declaration
from coordinator.events.models import Event
from coordinator.notifications.models import InAppNotification, OutboxMessage
from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, assert_error, need_body, offer_body
from tests.notifications.conftest import NotifyWorld
from tests.notifications.test_outbox import _readable


class Told:
    """Who was told of the latest event of a type (in the app), and what their notification says."""

    def __init__(self, world: NotifyWorld) -> None:
        self.world = world

    def seq(self, event_type: str) -> int:
        """The seq of the latest event of this type."""
        with Session(self.world.engine) as session:
            row = session.exec(select(Event).where(Event.type == event_type).order_by(col(Event.seq).desc())).first()
        assert row is not None, f"no {event_type} event"
        return int(row.seq or 0)

    def keys(self, event_type: str) -> set[str]:
        """The world's users told of the latest event of this type."""
        seq = self.seq(event_type)
        return {key for key in self.world.users if any(n.event_seq == seq for n in self.world.in_app(key))}

    def item(self, key: str, event_type: str) -> dict[str, Any]:
        """That user's notification of the latest event of this type, as GET /api/v1/notifications lists it."""
        seq = self.seq(event_type)
        listed = self.world.client.get("/api/v1/notifications?limit=200", headers=self.world.headers(key)).json()
        return next(i for i in listed["items"] if i["event_seq"] == seq)


def _add_person(world: NotifyWorld, make_user, auth, key: str, association: str) -> None:
    user, token = make_user("staff", association)
    world.set_email(user.id, f"{key}@{association.replace('_', '-')}.example.jp")
    world.users[key] = (user, auth(token))


def _assert_readable(world: NotifyWorld, *, since: int) -> set[str]:
    """Every in-app row and e-mail of events from `since` on is about something its person may read through
    the API (GET the dispatch, or the event on the timeline); returns the event types checked."""
    with Session(world.engine) as session:
        in_app = list(session.exec(select(InAppNotification).where(InAppNotification.event_seq >= since)))
        outbox = list(session.exec(select(OutboxMessage).where(OutboxMessage.event_seq >= since)))
    headers_of = {world.user(key).id: world.headers(key) for key in world.users}
    for row in in_app:
        assert _readable(world, headers_of[row.user_id], row), (row.event_type, row.user_id)
    for row in outbox:
        assert row.user_id is not None and _readable(world, headers_of[row.user_id], row), row.event_type
    assert {r.event_type for r in outbox} <= {r.event_type for r in in_app}
    return {row.event_type for row in in_app}


def test_each_kind_of_message_reaches_exactly_its_audience(world: NotifyWorld, make_user, auth) -> None:
    told = Told(world)
    _add_person(world, make_user, auth, "requester2", ISHIKAWA)
    coordinators = {key for key in world.users if key.startswith("coordinator")}

    # A proposal made by the secretariat waits for the block coordinator's approval: told to it alone.
    need = world.post(f"/api/v1/disasters/{world.id}/needs", "requester", need_body(headcount=3), 201)
    world.post(f"/api/v1/disasters/{world.id}/offers", "toyama", offer_body(headcount=5), 201)
    dispatch = world.post(f"/api/v1/disasters/{world.id}/dispatches", "secretariat",
                          {"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 3}, 201)
    assert told.keys("dispatch.proposed") == {"coordinator"}
    assert told.item("coordinator", "dispatch.proposed")["title_ja"].startswith("承認待ち：")
    # The request goes to the supporter only.
    for action in ("approve", "request"):
        world.post(f"/api/v1/dispatches/{dispatch['id']}/{action}", "coordinator")
    assert told.keys("dispatch.requested") == {"toyama"}
    # Its answer (a partial acceptance) and every progress step go to the requesting association.
    world.post(f"/api/v1/dispatches/{dispatch['id']}/accept", "toyama",
               {"expected_cost_yen": 60000, "accepted_headcount": 2})
    assert told.keys("dispatch.accepted") == {"requester", "requester2"}
    accepted = told.item("requester", "dispatch.accepted")
    assert accepted["title_ja"].startswith("受諾：とやま国際センターが")
    assert "依頼した3名のうち2名を受諾しました。残りの1名は" in accepted["body_ja"]
    world.post(f"/api/v1/dispatches/{dispatch['id']}/depart", "toyama")
    assert told.keys("dispatch.en_route") == {"requester", "requester2"}
    world.post(f"/api/v1/dispatches/{dispatch['id']}/arrive", "requester")
    assert told.keys("dispatch.on_site") == {"requester2"}  # the one who reported it is not told
    world.post(f"/api/v1/dispatches/{dispatch['id']}/complete", "toyama")
    assert told.keys("dispatch.completed") == {"requester", "requester2"}
    # A report taken back is told like the report (before: nobody heard that "completed" was a mistake).
    world.post(f"/api/v1/dispatches/{dispatch['id']}/undo", "toyama")
    assert told.keys("dispatch.undone") == {"requester", "requester2"}
    assert "「派遣完了」" in told.item("requester", "dispatch.undone")["title_ja"]

    # A decline, with its reason, goes to the requester and the approver (who re-plans).
    world.dispatch_to("declined", supplier=FUKUI)
    assert told.keys("dispatch.declined") == {"requester", "requester2", "coordinator"}
    assert "理由：人員不足 / short of people" in told.item("requester", "dispatch.declined")["body_ja"]

    # Cross-block support: every acting coordinator and the affected association.
    world.post(f"/api/v1/disasters/{world.id}/cross-block", "secretariat")
    assert told.keys("disaster.cross_block_opened") == {*coordinators, "requester", "requester2"}

    # A cross-block (stage 2) proposal waits for the secretariat: told to it, not to the block coordinator.
    world.post(f"/api/v1/disasters/{world.id}/offers", "outsider", offer_body(headcount=2), 201)
    need = world.post(f"/api/v1/disasters/{world.id}/needs", "requester", need_body(headcount=1), 201)
    stage2 = world.post(f"/api/v1/disasters/{world.id}/dispatches", "secretariat",
                        {"need_id": need["id"], "supplier_id": world.outsider_id, "headcount": 1}, 201)
    assert stage2["stage"] == 2 and stage2["awaiting"]["association_ids"] == ["clair"]
    assert told.keys("dispatch.proposed") == {"secretariat2"}
    # The block coordinator supplying its own block does not approve its own dispatch: whoever the dispatch
    # names as awaiting (the deputy) is told, and the coordinator is not.
    world.post(f"/api/v1/disasters/{world.id}/offers", "coordinator", offer_body(headcount=2), 201)
    own = world.post(f"/api/v1/disasters/{world.id}/dispatches", "secretariat",
                     {"need_id": need["id"], "supplier_id": world.coordinator_id, "headcount": 1}, 201)
    approvers = own["awaiting"]["association_ids"]
    assert own["stage"] == 1 and approvers and world.coordinator_id not in approvers, own["awaiting"]
    deputies = [a for a in approvers if a != "clair"]
    assert deputies, approvers  # the block's deputy (with the secretariat)
    for number, association in enumerate(deputies):
        _add_person(world, make_user, auth, f"deputy-approver{number}", association)
    world.post(f"/api/v1/dispatches/{own['id']}/cancel", "secretariat", {"reason": "確認のため / to check"})
    again = world.post(f"/api/v1/disasters/{world.id}/dispatches", "secretariat",
                       {"need_id": need["id"], "supplier_id": world.coordinator_id, "headcount": 1}, 201)
    assert again["awaiting"]["association_ids"] == approvers
    expected = {*(f"deputy-approver{n}" for n in range(len(deputies))), "secretariat2"}
    assert told.keys("dispatch.proposed") == expected

    # The area grows to Toyama and Aichi: the affected (now Toyama too), every coordinator, the secretariat;
    # Aichi coordinated Tokai-Hokuriku, so its deputy is told that it now acts.
    wider = preview_declaration(area=AreaInput(prefectures=["17", "16", "23"]), mode="live")
    deputy = next(c for c in wider["acting_coordinators"] if c["block"] == "tokai_hokuriku")["association_id"]
    assert deputy != world.coordinator_id
    if not any(user.association_id == deputy for user, _ in world.users.values()):
        _add_person(world, make_user, auth, "deputy", deputy)
    deputies_now = {key for key, (user, _) in world.users.items() if user.association_id == deputy}
    # Everything so far was readable by whoever was told (Aichi, no longer coordinating after the change,
    # legitimately loses sight of other associations' dispatches: so checked now).
    kinds = _assert_readable(world, since=0)
    assert kinds >= {"dispatch.proposed", "dispatch.requested", "dispatch.accepted", "dispatch.declined",
                     "dispatch.en_route", "dispatch.on_site", "dispatch.completed", "dispatch.undone",
                     "disaster.declared", "disaster.cross_block_opened"}
    changed = told.seq("dispatch.proposed") + 1  # the first event of the area change
    world.post(f"/api/v1/disasters/{world.id}/area", "secretariat",
               {"area": {"prefectures": ["17", "16", "23"]}, "reason": "富山県と愛知県でも被害"})
    whole = {*coordinators, "requester", "requester2", "toyama", "secretariat2"}
    assert told.keys("disaster.area_changed") == whole | deputies_now
    takeover = told.item(min(deputies_now), "disaster.area_changed")
    assert takeover["title_ja"].startswith("【代行】") and "幹事団体を代行" in takeover["title_ja"]
    with Session(world.engine) as session:
        audience = session.exec(select(InAppNotification.audience).where(
            InAppNotification.user_id == world.user(min(deputies_now)).id,
            InAppNotification.event_seq == told.seq("disaster.area_changed"))).one()
    assert audience == "failover"

    # Closed and reopened: the affected associations, every coordinator (the deputy now acting), the secretariat.
    world.post(f"/api/v1/disasters/{world.id}/close", "secretariat")
    assert told.keys("disaster.closed") == whole | deputies_now
    world.post(f"/api/v1/disasters/{world.id}/reopen", "secretariat", {"reason": "余震で被害が拡大"})
    assert told.keys("disaster.reopened") == whole | deputies_now

    kinds = _assert_readable(world, since=changed)
    assert kinds == {"disaster.area_changed", "disaster.closed", "disaster.reopened"}
    assert world.in_app("observer") == []
    assert {n.event_type for n in world.in_app("outsider")} <= {"disaster.declared", "disaster.area_changed",
                                                                "disaster.closed", "disaster.reopened",
                                                                "disaster.cross_block_opened"}


@pytest.mark.parametrize("mode", ["live", "drill"])
def test_an_association_address_follows_its_topics_but_never_mutes_what_is_essential_live(
        mode: str, notify_client: TestClient, engine: Engine, make_user, auth) -> None:
    world = NotifyWorld(notify_client, engine, make_user, auth, mode=mode, name="能登半島地震")
    office = "office@ifie.example.jp"
    world.post(f"/api/v1/associations/{ISHIKAWA}/notification-addresses", "requester",
               {"channel": "email", "address": office, "topics": ["requests"]}, 201)
    world.post(f"/api/v1/associations/{TOYAMA}/notification-addresses", "toyama",
               {"channel": "email", "address": "desk@toyama.example.jp", "topics": ["progress"]}, 201)
    world.dispatch_to("completed")
    world.dispatch_to("declined")
    to_office = {r.event_type for r in world.outbox(address=office)}
    to_desk = {r.event_type for r in world.outbox(address="desk@toyama.example.jp")}
    # Progress is not a topic the office chose: never sent to it, live or drill.
    assert not to_office & {"dispatch.accepted", "dispatch.en_route", "dispatch.on_site", "dispatch.completed"}
    if mode == "live":
        # A decline makes the requester act, a request makes the supporter act: sent whatever was chosen.
        assert to_office == {"dispatch.declined"} and to_desk == {"dispatch.requested"}
        assert all(r.essential for r in world.in_app("requester") if r.event_type == "dispatch.declined")
    else:
        # In a drill every choice holds.
        assert to_office == set() and to_desk == set()
    # The staff's own addresses are untouched by the association's choice.
    assert {r.event_type for r in world.outbox(address="requester@pref-ishikawa.example.jp")} >= {
        "dispatch.accepted", "dispatch.completed", "dispatch.declined"}


def test_the_bell_lists_counts_and_marks_read_only_the_callers_own(world: NotifyWorld) -> None:
    world.dispatch_to("completed")
    mine = world.client.get("/api/v1/notifications", headers=world.headers("requester")).json()
    theirs = world.client.get("/api/v1/notifications", headers=world.headers("toyama")).json()
    assert mine["unread"] == len(mine["items"]) >= 4 and theirs["unread"] >= 1
    first, second = mine["items"][0]["id"], mine["items"][1]["id"]
    # Marking someone else's notification read does nothing to it.
    world.post("/api/v1/notifications/read", "toyama", {"ids": [first]})
    assert world.client.get("/api/v1/notifications", headers=world.headers("requester")).json()["unread"] \
        == mine["unread"]
    left = world.post("/api/v1/notifications/read", "requester", {"ids": [first, second]})
    assert left == {"unread": mine["unread"] - 2}
    unread = world.client.get("/api/v1/notifications?unread=true", headers=world.headers("requester")).json()
    assert [i["id"] for i in unread["items"]] == [i["id"] for i in mine["items"][2:]]
    assert all(i["read_at"] for i in world.client.get("/api/v1/notifications", headers=world.headers(
        "requester")).json()["items"][:2])
    assert_error(world.client.post("/api/v1/notifications/read", json={}, headers=world.headers("requester")),
                 422, "ids")
    assert_error(world.client.get("/api/v1/notifications?limit=0", headers=world.headers("requester")), 422, "limit")
    assert world.post("/api/v1/notifications/read", "requester", {"all": True}) == {"unread": 0}
    assert world.client.get("/api/v1/notifications", headers=world.headers("toyama")).json()["unread"] \
        == theirs["unread"]


def test_a_secretariat_failover_is_told_to_the_association_that_now_acts_as_secretariat(
        notify_client: TestClient, engine: Engine, make_user, auth) -> None:
    # CLAIR is in Tokyo: a disaster there moves the secretariat to Kinki's coordinator (the agreement's rule).
    acting = preview_declaration(area=AreaInput(prefectures=["13"]), mode="live")["acting_secretariat"]
    assert acting["is_failover"] is True
    world = NotifyWorld(notify_client, engine, make_user, auth, prefectures=["13"], name="首都直下地震")
    told = Told(world)
    keys = {key for key, (user, _) in world.users.items() if user.association_id == acting["id"]}
    assert keys and keys <= told.keys("disaster.declared")
    for key in keys:
        item = told.item(key, "disaster.declared")
        assert item["title_ja"] == f"【代行】{acting['name_ja']}が事務局を代行：首都直下地震"
        # The agreement's reason in names, as the declaration's preview shows it (no "pref_osaka", no
        # "都道府県 13": before, the stored wording with its codes went out as it was).
        assert acting["reason_ja"] in item["body_ja"] and acting["reason_en"] in item["body_en"] and item["essential"]
        assert "pref_" not in item["body_ja"] + item["body_en"] and "都道府県 13" not in item["body_ja"]
    # CLAIR is still told (its people are the secretariat whose work moved).
    assert "secretariat2" in told.keys("disaster.declared")
    with Session(world.engine) as session:
        audiences = set(session.exec(select(InAppNotification.audience).where(
            col(InAppNotification.user_id).in_([world.user(k).id for k in keys]))))
    assert audiences == {"failover"}


def test_a_cost_out_of_proportion_asks_the_requester_and_its_agreement_tells_the_supporter(
        world: NotifyWorld) -> None:
    told = Told(world)
    dispatch = world.dispatch_to("requested")
    world.post(f"/api/v1/dispatches/{dispatch['id']}/accept", "toyama",
               {"expected_cost_yen": 999_999_999, "confirm_cost": True})
    assert told.keys("dispatch.cost_flagged") == {"requester"}
    # The supporter may not depart until the requester agrees; the agreement is what tells it to go.
    world.post(f"/api/v1/dispatches/{dispatch['id']}/cost", "requester", {"decision": "agree"})
    assert told.keys("dispatch.cost_agreed") == {"toyama"}
    item = told.item("toyama", "dispatch.cost_agreed")
    assert item["title_ja"].startswith("費用の同意：石川県国際交流協会が") and item["essential"]
    assert "派遣を始められます" in item["body_ja"]
    assert [r.address for r in world.outbox(event_type="dispatch.cost_agreed")] == ["toyama@pref-toyama.example.jp"]
    # A refusal cancels it: the supporter hears that too.
    other = world.dispatch_to("requested")
    world.post(f"/api/v1/dispatches/{other['id']}/accept", "toyama",
               {"expected_cost_yen": 999_999_999, "confirm_cost": True})
    world.post(f"/api/v1/dispatches/{other['id']}/cost", "requester", {"decision": "refuse", "reason": "予算超過"})
    assert told.keys("dispatch.cancelled") == {"toyama"}
