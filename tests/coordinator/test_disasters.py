"""Disasters over the API: declare, read, list by mode, rename, cross-block support, close."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import ISHIKAWA, World, assert_error, counts, declare


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def test_declare_prefecture_17_affects_ishikawa_with_acting_roles(world: World) -> None:
    disaster = world.disaster
    assert disaster["status"] == "open" and disaster["mode"] == "live"
    assert disaster["affected_prefectures"] == ["17"]
    assert ISHIKAWA in disaster["affected_associations"]
    assert disaster["area_input"] == {"prefectures": ["17"]}
    assert "17" in disaster["area"]["prefecture_codes"]
    roles = disaster["acting_roles"]
    assert set(roles["coordinators"]) >= {"tokai_hokuriku", "kinki", "kanto"}
    # Coordination must sit outside the affected area (DOMAIN.md, Chūetsu-oki lesson).
    assert all(c["association_id"] not in disaster["affected_associations"]
               for c in roles["coordinators"].values())
    assert roles["secretariat"]["id"] and roles["secretariat"]["is_failover"] is False
    assert roles["coordinators"]["tokai_hokuriku"]["reason_ja"]
    read = world.client.get(f"/api/v1/disasters/{world.id}", headers=world.outsider)
    assert read.status_code == 200
    # allowed_actions differ by caller: the outsider may only offer, the declaring secretariat much more.
    assert read.json()["allowed_actions"] == ["offer"] and "close" in disaster["allowed_actions"]
    assert {k: v for k, v in read.json().items() if k != "allowed_actions"} == {
        k: v for k, v in disaster.items() if k != "allowed_actions"}


def test_declaration_writes_one_event_in_the_timeline(world: World) -> None:
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()
    assert [e["type"] for e in events["events"]] == ["disaster.declared"]
    assert events["events"][0]["payload"]["id"] == world.id
    assert events["events"][0]["mode"] == "live"


def test_block_coordinator_may_declare_but_other_staff_may_not(client: TestClient, make_user, auth,
                                                              engine: Engine, world: World) -> None:
    coordinator = declare(client, world.coordinator, prefectures=["18"], name="福井豪雨", kind="flood")
    assert coordinator["declared_by_association_id"] == world.coordinator_id
    before = counts(engine)
    for headers in (world.requester, world.observer):
        response = client.post("/api/v1/disasters", headers=headers,
                               json={"name": "x", "kind": "flood", "area": {"prefectures": ["18"]}})
        assert_error(response, 403)
    assert_error(client.post("/api/v1/disasters", json={"name": "x", "kind": "flood",
                                                        "area": {"prefectures": ["18"]}}), 401)
    assert counts(engine) == before


def test_list_shows_one_mode_only(client: TestClient, world: World) -> None:
    drill = declare(client, world.secretariat, mode="drill", name="訓練：能登")
    live_ids = [d["id"] for d in client.get("/api/v1/disasters", headers=world.observer).json()]
    drill_ids = [d["id"] for d in client.get("/api/v1/disasters?mode=drill", headers=world.observer).json()]
    assert live_ids == [world.id]
    assert drill_ids == [drill["id"]]
    assert_error(client.get("/api/v1/disasters?mode=both", headers=world.observer), 422, "mode")


def test_cross_block_support_is_opened_by_the_secretariat_only(client: TestClient, world: World) -> None:
    url = f"/api/v1/disasters/{world.id}/cross-block"
    for headers in (world.coordinator, world.requester, world.toyama, world.observer):
        assert_error(client.post(url, headers=headers), 403)
    opened = client.post(url, headers=world.secretariat)
    assert opened.status_code == 200 and opened.json()["cross_block_open"] is True
    assert opened.json()["cross_block_opened_at"] is not None
    assert_error(client.post(url, headers=world.secretariat), 409, "cross_block_open")


def test_failed_over_secretariat_staff_may_open_cross_block(client: TestClient, make_user, auth) -> None:
    _, secretariat = make_user("secretariat", "clair")
    tokyo = declare(client, auth(secretariat), prefectures=["13"], name="首都直下地震")
    acting = tokyo["acting_roles"]["secretariat"]
    assert acting["is_failover"] is True and acting["id"] != "clair"
    failover_staff = auth(make_user("staff", acting["id"])[1])
    response = client.post(f"/api/v1/disasters/{tokyo['id']}/cross-block", headers=failover_staff)
    assert response.status_code == 200, response.text


def test_rename_and_close(client: TestClient, world: World) -> None:
    url = f"/api/v1/disasters/{world.id}"
    assert_error(client.patch(url, json={"name": "x"}, headers=world.toyama), 403)
    renamed = client.patch(url, json={"name": "令和8年能登半島地震"}, headers=world.coordinator)
    assert renamed.status_code == 200 and renamed.json()["name"] == "令和8年能登半島地震"
    assert_error(client.post(f"{url}/close", headers=world.requester), 403)
    closed = client.post(f"{url}/close", headers=world.secretariat)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert_error(client.post(f"{url}/close", headers=world.secretariat), 409, "disaster_id")
    # A closed disaster takes no new needs.
    response = client.post(f"{url}/needs", headers=world.requester,
                           json={"requester_id": ISHIKAWA, "kind": "translation", "language": "en",
                                 "headcount": 1, "start": closed.json()["declared_at"][:10]})
    assert_error(response, 409, "disaster_id")
    types = [e["type"] for e in client.get(f"{url}/events", headers=world.observer).json()["events"]]
    assert types == ["disaster.declared", "disaster.renamed", "disaster.closed"]


def test_unknown_disaster_is_404_naming_the_field(client: TestClient, world: World) -> None:
    assert_error(client.get("/api/v1/disasters/999999", headers=world.observer), 404, "disaster_id")
    assert_error(client.post("/api/v1/disasters/999999/close", headers=world.secretariat), 404, "disaster_id")


@pytest.mark.parametrize("area", [
    {"epicentre": {"lat": 37.50, "lon": 137.27}, "radius_km": 30},
    {"municipalities": ["17204", "17205"]},
    {"geojson": {"type": "Polygon", "coordinates": [[[136.8, 37.2], [137.4, 37.2], [137.4, 37.6],
                                                     [136.8, 37.6], [136.8, 37.2]]]}},
])
def test_every_kind_of_area_resolves_to_ishikawa(client: TestClient, world: World, area: dict) -> None:
    response = client.post("/api/v1/disasters", headers=world.secretariat,
                           json={"name": "能登", "kind": "earthquake", "mode": "drill", "area": area})
    assert response.status_code == 201, response.text
    disaster = response.json()
    assert "17" in disaster["affected_prefectures"] and ISHIKAWA in disaster["affected_associations"]
    if "geojson" in area:  # a drawn area is stored once and only summarised in answers (issue 12 item 8)
        assert disaster["area_input"] == {"geojson": {"type": "Polygon", "points": 5, "stored": True}}
        stored = client.get(f"/api/v1/disasters/{disaster['id']}/area-input", headers=world.secretariat)
        assert stored.status_code == 200 and stored.json() == area
    else:
        assert disaster["area_input"] == area
