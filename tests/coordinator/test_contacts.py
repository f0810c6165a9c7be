"""Contacts (issue 15 item 3), role by role: an association's list kept by its staff, a need's on-site
contact, the people a dispatch sends; seen only by the two associations, the coordinators and the
secretariat; never by observers, in their exports or in events; purged with drills."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.coordinator.disasters_support import ISHIKAWA, TOYAMA, assert_error, counts
from tests.coordinator.dispatch_support import DispatchWorld

ISHIKAWA_CONTACTS = [{"name": "北陸 花子", "role": "事務局長", "phone": "０７６－２６２－５９３１",
                      "email": "hanako@example.jp"},
                     {"name": "能登 太郎", "role": "多言語支援センター", "phone": "090-1234-5678", "email": ""}]
SITE = {"place": "輪島中学校 避難所", "name": "門前 一郎", "phone": "0768-22-2211"}


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for prefecture 17, users of every role, Toyama offering people."""
    return DispatchWorld(client, make_user, auth)


def _put_contacts(world: DispatchWorld, association_id: str, contacts: list[dict[str, str]],
                  headers: dict[str, str]) -> Any:
    return world.client.put(f"/api/v1/associations/{association_id}/contacts", json={"contacts": contacts},
                            headers=headers)


def _everything(world: DispatchWorld) -> dict[str, Any]:
    """Ishikawa's and Toyama's lists, a need with an on-site contact, a requested dispatch with people."""
    assert _put_contacts(world, ISHIKAWA, ISHIKAWA_CONTACTS, world.requester).status_code == 200
    toyama = [{"name": "立山 次郎", "role": "国際交流課", "phone": "076-444-2500", "email": "jiro@example.jp"}]
    assert _put_contacts(world, TOYAMA, toyama, world.toyama).status_code == 200
    need = world.need(site_contact=SITE, headcount=3)
    dispatch = world.dispatch_in("requested", need_id=need["id"], headcount=2)
    people = world.client.put(f"/api/v1/dispatches/{dispatch['id']}/people",
                              json={"people": [{"name": "呉羽 三郎", "phone": "080-1111-2222"}]}, headers=world.toyama)
    assert people.status_code == 200, people.text
    return {"need": need, "dispatch": dispatch}


def test_staff_keep_their_ordered_list_in_peacetime(world: DispatchWorld, engine: Engine) -> None:
    saved = _put_contacts(world, ISHIKAWA, ISHIKAWA_CONTACTS, world.requester)
    assert saved.status_code == 200
    assert [c["name"] for c in saved.json()] == ["北陸 花子", "能登 太郎"]
    assert saved.json()[0]["phone"] == "076-262-5931"  # full-width digits typed on a phone, normalised
    reordered = _put_contacts(world, ISHIKAWA, list(reversed(ISHIKAWA_CONTACTS)), world.requester).json()
    assert [c["name"] for c in reordered] == ["能登 太郎", "北陸 花子"]
    assert world.client.get(f"/api/v1/associations/{ISHIKAWA}/contacts", headers=world.secretariat).json() == reordered
    # The event names no one and no number (observers read events).
    with engine.connect() as connection:
        payloads = connection.execute(text("SELECT payload FROM event WHERE type = 'contacts.updated'")).all()
    assert payloads and all("北陸" not in json.dumps(p[0], ensure_ascii=False) for p in payloads)


@pytest.mark.parametrize("who", ["toyama", "coordinator", "observer", "outsider"])
def test_only_its_own_staff_change_an_associations_list(world: DispatchWorld, engine: Engine, who: str) -> None:
    before = counts(engine)
    assert_error(_put_contacts(world, ISHIKAWA, ISHIKAWA_CONTACTS, getattr(world, who)), 403)
    assert counts(engine) == before


@pytest.mark.parametrize("who", ["toyama", "observer", "outsider"])
def test_others_do_not_read_an_associations_list_directly(world: DispatchWorld, who: str) -> None:
    _put_contacts(world, ISHIKAWA, ISHIKAWA_CONTACTS, world.requester)
    assert_error(world.client.get(f"/api/v1/associations/{ISHIKAWA}/contacts", headers=getattr(world, who)), 403)


def test_every_problem_is_named_at_once_in_words(world: DispatchWorld) -> None:
    bad = [{"name": "", "phone": "call me", "email": "not-mail"}, {"name": "ok", "phone": ""}]
    error = assert_error(_put_contacts(world, ISHIKAWA, bad, world.requester), 422)
    fields = [p["field"] for p in error["details"]["problems"]]
    assert fields == ["contacts.0.email", "contacts.0.name", "contacts.0.phone", "contacts.1.phone"]
    assert "1 件目の名前" in error["message"]["ja"] and "contacts.0" not in error["message"]["ja"]


@pytest.mark.parametrize("who,sees", [
    ("requester", True), ("toyama", True), ("coordinator", True), ("secretariat", True),
    ("observer", False), ("fukui", False), ("outsider", False),
])
def test_a_disasters_contacts_are_seen_by_both_sides_coordinators_and_secretariat(
        world: DispatchWorld, who: str, sees: bool) -> None:
    made = _everything(world)
    seen = world.client.get(f"/api/v1/disasters/{world.id}/contacts", headers=getattr(world, who)).json()
    dispatch_id, need_id = str(made["dispatch"]["id"]), str(made["need"]["id"])
    if sees:
        assert seen["needs"][need_id] == SITE
        assert seen["dispatches"][dispatch_id] == [{"name": "呉羽 三郎", "phone": "080-1111-2222"}]
        assert [c["name"] for c in seen["associations"][ISHIKAWA]] == ["北陸 花子", "能登 太郎"]
        assert seen["associations"][TOYAMA][0]["name"] == "立山 次郎"
    else:
        assert seen["needs"] == {} and seen["dispatches"] == {}
        assert ISHIKAWA not in seen["associations"] and TOYAMA not in seen["associations"]


def test_a_supplier_sees_the_requesters_contacts_only_once_asked(world: DispatchWorld) -> None:
    _put_contacts(world, ISHIKAWA, ISHIKAWA_CONTACTS, world.requester)
    need = world.need(site_contact=SITE)
    world.dispatch_in("approved", need_id=need["id"])
    seen = world.client.get(f"/api/v1/disasters/{world.id}/contacts", headers=world.toyama).json()
    assert seen["needs"] == {} and ISHIKAWA not in seen["associations"]


def test_the_on_site_contact_is_amended_without_leaking_into_history_or_events(
        world: DispatchWorld, engine: Engine) -> None:
    need = world.need(site_contact=SITE)
    changed = {**SITE, "phone": "0768-22-9999"}
    amended = world.client.patch(f"/api/v1/needs/{need['id']}", json={"site_contact": changed, "version": 1},
                                 headers=world.requester)
    assert amended.status_code == 200 and amended.json()["version"] == 2
    history = world.client.get(f"/api/v1/needs/{need['id']}/history", headers=world.requester).json()
    assert history[-1]["changes"] == {"site_contact": {"changed": True}}
    seen = world.client.get(f"/api/v1/disasters/{world.id}/contacts", headers=world.requester).json()
    assert seen["needs"][str(need["id"])]["phone"] == "0768-22-9999"
    with engine.connect() as connection:
        payloads = [json.dumps(r[0], ensure_ascii=False) for r in connection.execute(text("SELECT payload FROM event"))]
    assert not any("0768-22" in p or "門前" in p for p in payloads)
    bad = world.client.patch(f"/api/v1/needs/{need['id']}", json={"site_contact": {"phone": "abc"}, "headcount": 0},
                             headers=world.requester)
    fields = {p["field"] for p in assert_error(bad, 422)["details"]["problems"]}
    assert fields == {"headcount", "site_contact.phone"}


def test_only_the_supplier_names_its_people_up_to_the_headcount(world: DispatchWorld, engine: Engine) -> None:
    dispatch = world.dispatch_in("requested", headcount=1)
    url = f"/api/v1/dispatches/{dispatch['id']}/people"
    for who in ("requester", "coordinator", "fukui", "observer"):
        assert_error(world.client.put(url, json={"people": [{"name": "x"}]}, headers=getattr(world, who)), 403)
    too_many = {"people": [{"name": "a"}, {"name": "b"}]}
    assert assert_error(world.client.put(url, json=too_many, headers=world.toyama), 422)["field"] == "people"
    assert world.client.put(url, json={"people": [{"name": "a", "phone": "080-1111-2222"}]},
                            headers=world.toyama).status_code == 200


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_carry_contacts_except_for_observers(world: DispatchWorld) -> None:
    made = _everything(world)
    for who in ("secretariat", "coordinator", "requester"):
        needs = _csv(world.client.get(f"/api/v1/disasters/{world.id}/export/needs.csv", headers=getattr(world, who)))
        row = next(r for r in needs if r["ID / id"] == str(made["need"]["id"]))
        assert row["現地の電話 / site_phone"] == SITE["phone"], who
        assert "北陸 花子（事務局長）" in row["要請団体の連絡先 / requester_contacts"]
        dispatches = _csv(world.client.get(f"/api/v1/disasters/{world.id}/export/dispatches.csv",
                                           headers=getattr(world, who)))
        assert dispatches[0]["派遣する人（電話） / people"] == "呉羽 三郎 080-1111-2222", who
        assert "立山 次郎" in dispatches[0]["応援団体の連絡先 / supplier_contacts"]
    for export in ("needs.csv", "dispatches.csv"):
        observed = world.client.get(f"/api/v1/disasters/{world.id}/export/{export}", headers=world.observer)
        text_ = observed.content.decode("utf-8-sig")
        assert "site_phone" not in text_ and "people" not in text_.split("\r\n")[0].split("/ ")[-1]
        assert "0768" not in text_ and "呉羽" not in text_ and "北陸 花子" not in text_


def test_drill_purge_removes_its_contacts(client: TestClient, make_user, auth, engine: Engine) -> None:
    from coordinator.drills.purge import purge_drill
    from tests.coordinator.disasters_support import declare, need_body

    secretariat = auth(make_user("secretariat", "clair")[1])
    drill = declare(client, secretariat, mode="drill", name="【訓練】能登")
    requester = auth(make_user("staff", ISHIKAWA)[1])
    response = client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(site_contact=SITE),
                           headers=requester)
    assert response.status_code == 201
    with Session(engine) as session:
        assert purge_drill(session, drill_id=drill["id"])["need_site_contacts"] == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM need_site_contact")).scalar_one() == 0




@pytest.mark.parametrize("who,sees", [("secretariat", True), ("coordinator", True), ("requester", True),
                                      ("toyama", True), ("observer", False), ("fukui", False)])
def test_the_sitrep_shows_contacts_only_to_those_who_may_see_them(world: DispatchWorld, who: str,
                                                                   sees: bool) -> None:
    _everything(world)
    page = world.client.get(f"/disasters/{world.id}/sitrep", headers=getattr(world, who))
    assert page.status_code == 200
    for secret in ("呉羽 三郎", "080-1111-2222", "0768-22-2211"):
        assert (secret in page.text) is sees, (who, secret)
