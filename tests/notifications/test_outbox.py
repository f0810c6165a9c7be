"""The outbox: written with the event in one transaction, to the right people only, honouring preferences,
never muting what is essential in a live disaster."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coordinator.events.models import Event
from coordinator.notifications.models import InAppNotification, OutboxMessage
from tests.coordinator.disasters_support import ISHIKAWA, TOYAMA, assert_error, need_body, offer_body
from tests.notifications.conftest import NotifyWorld


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_a_declaration_tells_the_affected_the_coordinators_and_the_secretariat(world: NotifyWorld) -> None:
    seq = _seq_of(world, "disaster.declared")
    told = {key for key in world.users if any(n.event_seq == seq for n in world.in_app(key))}
    coordinators = {key for key in world.users if key.startswith("coordinator")}
    # The declaring secretariat user is not told what they did; their colleague is.
    assert told == {"secretariat2", "requester", *coordinators}
    emails = {row.address for row in world.outbox(event_seq=seq)}
    assert "requester@pref-ishikawa.example.jp" in emails and "secretariat2@clair.example.jp" in emails
    assert "secretariat@clair.example.jp" not in emails
    assert not any("toyama" in e or "outsider" in e or "observer" in e for e in emails)
    row = world.outbox(event_seq=seq, address="requester@pref-ishikawa.example.jp")[0]
    assert row.status == "pending" and row.channel == "email" and row.audience == "affected"
    assert len(row.key) == 40 and row.link == f"/disasters/{world.id}/association"


def _seq_of(world: NotifyWorld, event_type: str, entity_id: Any = None) -> int:
    with Session(world.engine) as session:
        query = select(Event).where(Event.type == event_type)
        if entity_id is not None:
            query = query.where(Event.entity_id == str(entity_id))
        rows = list(session.exec(query))
    assert rows, f"no {event_type} event"
    return int(rows[-1].seq or 0)


def test_a_request_tells_the_supplier_and_nobody_else(world: NotifyWorld) -> None:
    dispatch = world.dispatch_to("requested")
    seq = _seq_of(world, "dispatch.requested", dispatch["id"])
    with Session(world.engine) as session:
        rows = session.exec(select(InAppNotification).where(InAppNotification.event_seq == seq))
        told = {row.user_id for row in rows}
    assert told == {world.user("toyama").id}
    assert [row.address for row in world.outbox(event_seq=seq)] == ["toyama@pref-toyama.example.jp"]


def _readable(world: NotifyWorld, headers: dict[str, str], row: Any) -> bool:
    """Whether the API lets these headers read what a notification is about."""
    with Session(world.engine) as session:
        event = session.exec(select(Event).where(Event.seq == row.event_seq)).one()
    if event.entity == "dispatch":
        return world.client.get(f"/api/v1/dispatches/{event.entity_id}", headers=headers).status_code == 200
    timeline = world.client.get(f"/api/v1/disasters/{event.disaster_id}/events?since={row.event_seq - 1}&limit=1",
                                headers=headers)
    return timeline.status_code == 200 and [e["seq"] for e in timeline.json()["events"]] == [row.event_seq]


def test_nobody_is_told_what_they_could_not_read(world: NotifyWorld, make_user, auth) -> None:
    world.post(f"/api/v1/associations/{TOYAMA}/notification-addresses", "toyama",
               {"channel": "email", "address": "office@toyama.jp"}, 201)
    world.post(f"/api/v1/associations/{world.outsider_id}/notification-addresses", "outsider",
               {"channel": "email", "address": "office@outsider.jp"}, 201)
    for state in ("completed", "declined", "cancelled", "approved"):
        world.dispatch_to(state)
    world.post(f"/api/v1/disasters/{world.id}/cross-block", "secretariat")
    with Session(world.engine) as session:
        in_app = list(session.exec(select(InAppNotification)))
        outbox = list(session.exec(select(OutboxMessage)))
    assert len(in_app) > 20 and len(outbox) > 20
    headers_of = {world.user(key).id: world.headers(key) for key in world.users}
    for row in in_app:
        assert _readable(world, headers_of[row.user_id], row), (row.event_type, row.user_id)
    # An association's own address stands for its staff: a fresh staff account of it may read each message.
    staff = {}
    for row in outbox:
        if row.address_id is None:
            assert _readable(world, headers_of[row.user_id], row)
            continue
        if row.association_id not in staff:
            staff[row.association_id] = auth(make_user("staff", row.association_id)[1])
        assert _readable(world, staff[row.association_id], row), (row.event_type, row.association_id)
    # The unrelated association hears of the disaster's declaration and nothing of others' dispatches.
    assert {n.event_type for n in world.in_app("outsider")} <= {"disaster.declared", "disaster.cross_block_opened"}
    assert not [r for r in outbox if r.address == "office@outsider.jp" and r.event_type.startswith("dispatch.")]
    assert world.in_app("observer") == []
    # Toyama's office hears of the request and the cancellation of what it was asked.
    told = {r.event_type for r in outbox if r.address == "office@toyama.jp"}
    assert {"dispatch.requested", "dispatch.cancelled", "dispatch.declined"} - told == {"dispatch.declined"}


def test_a_refused_change_writes_no_notification(world: NotifyWorld) -> None:
    dispatch = world.dispatch_to("requested")
    before = (_count(world.engine, "notification"), _count(world.engine, "notification_outbox"))
    refused = world.client.post(f"/api/v1/dispatches/{dispatch['id']}/accept", json={"expected_cost_yen": 1},
                                headers=world.headers("fukui"))  # not the supplier
    assert refused.status_code == 403
    conflict = world.client.post(f"/api/v1/dispatches/{dispatch['id']}/approve", headers=world.headers("coordinator"))
    assert conflict.status_code == 409
    assert (_count(world.engine, "notification"), _count(world.engine, "notification_outbox")) == before


def test_the_outbox_commits_with_its_event_or_not_at_all(world: NotifyWorld) -> None:
    from coordinator.disasters.service import open_cross_block

    secretariat = world.user("secretariat")
    with Session(world.engine, expire_on_commit=False) as session:
        # The service commits: the event, the state change and the notifications are there together.
        open_cross_block(session, disaster_id=world.id, actor=secretariat)
    seq = _seq_of(world, "disaster.cross_block_opened")
    assert world.outbox(event_seq=seq) and any(n.event_seq == seq for n in world.in_app("coordinator"))
    with Session(world.engine) as session:
        from coordinator.events.service import record_event

        record_event(session, type="disaster.closed", entity="disaster", entity_id=world.id, disaster_id=world.id,
                     mode="live", associations=[ISHIKAWA], payload={})
        session.flush()
        session.rollback()
    assert not world.outbox(event_type="disaster.closed")


def test_preferences_mute_what_is_not_essential_and_never_what_is(world: NotifyWorld) -> None:
    url = "/api/v1/notifications/preferences"
    prefs = world.client.get(url, headers=world.headers("toyama")).json()
    assert prefs["email"] == "toyama@pref-toyama.example.jp"
    assert {t["topic"] for t in prefs["topics"]} >= {"requests", "progress", "roles"}
    assert "dispatch.requested" in next(t for t in prefs["topics"] if t["topic"] == "requests")["essential_types"]
    changed = world.client.put(url, json={"topics": [{"topic": "requests", "email": False, "in_app": False}]},
                               headers=world.headers("toyama"))
    assert changed.status_code == 200
    assert next(t for t in changed.json()["topics"] if t["topic"] == "requests")["email"] is False
    world.client.put(url, json={"topics": [{"topic": "progress", "email": False, "in_app": True}]},
                     headers=world.headers("requester"))
    dispatch = world.dispatch_to("completed")
    requested = _seq_of(world, "dispatch.requested", dispatch["id"])
    # A request in a live disaster is essential: muted or not, it goes by e-mail and in the app.
    assert [r.address for r in world.outbox(event_seq=requested)] == ["toyama@pref-toyama.example.jp"]
    assert any(n.event_seq == requested and n.essential for n in world.in_app("toyama"))
    # Progress is not essential: the requester muted its e-mail, keeps it in the app.
    arrived = _seq_of(world, "dispatch.completed", dispatch["id"])
    assert world.outbox(event_seq=arrived) == []
    assert any(n.event_seq == arrived and not n.essential for n in world.in_app("requester"))
    assert_error(world.client.put(url, json={"topics": [{"topic": "weather"}]}, headers=world.headers("toyama")),
                 422, "topics")
    assert_error(world.client.put(url, json={"set_email": True, "email": "nope"}, headers=world.headers("toyama")),
                 422, "email")
    gone = world.client.put(url, json={"set_email": True, "email": None}, headers=world.headers("toyama"))
    assert gone.json()["email"] is None


def test_a_failover_is_told_to_the_association_that_now_acts(notify_client: TestClient, engine: Engine, make_user,
                                                              auth) -> None:
    # Aichi coordinates Tokai-Hokuriku in FY2026; a disaster in Aichi (23) makes a deputy act instead.
    world = NotifyWorld(notify_client, engine, make_user, auth, prefectures=["23"], name="東海地震")
    acting = world.disaster["acting_roles"]["coordinators"]["tokai_hokuriku"]
    assert acting["is_deputy"] is True and acting["association_id"] == world.coordinator_id
    seq = _seq_of(world, "disaster.declared")
    mine = [n for n in world.in_app("coordinator") if n.event_seq == seq]
    assert len(mine) == 1 and mine[0].audience == "failover" and mine[0].essential
    listed = world.client.get("/api/v1/notifications", headers=world.headers("coordinator")).json()
    item = next(i for i in listed["items"] if i["event_seq"] == seq)
    assert item["title_ja"].startswith("【代行】") and "東海・北陸ブロックの幹事団体を代行" in item["title_ja"]
    assert "被災のため代行" in item["body_ja"] and "pref_" not in item["body_ja"] + item["body_en"]


def test_a_committed_plan_tells_each_approver_once_not_once_per_proposal(world: NotifyWorld) -> None:
    for headcount in (2, 1):
        world.post(f"/api/v1/disasters/{world.id}/needs", "requester", need_body(headcount=headcount), 201)
    until = (date.today() + timedelta(days=30)).isoformat()
    for key in ("toyama", "fukui"):
        world.post(f"/api/v1/disasters/{world.id}/offers", key, offer_body(headcount=2, available_until=until), 201)
    plan = world.post(f"/api/v1/disasters/{world.id}/plan", "secretariat", {"commit": True})
    assert len(plan["proposals"]) >= 2
    committed = _seq_of(world, "plan.committed")
    told = [n for n in world.in_app("coordinator") if n.event_type in ("plan.committed", "dispatch.proposed")]
    assert [(n.event_seq, n.audience, n.essential) for n in told] == [(committed, "approver", True)]
    mailbox = f"coordinator@{world.coordinator_id.replace('_', '-')}.example.jp"
    assert [r.address for r in world.outbox(event_seq=committed)] == [mailbox]
    assert not world.outbox(event_type="dispatch.proposed")
    title = next(i["title_ja"] for i in world.client.get("/api/v1/notifications", headers=world.headers("coordinator"))
                 .json()["items"] if i["event_seq"] == committed)
    assert title == f"承認待ちの派遣提案 {len(plan['proposals'])}件"
