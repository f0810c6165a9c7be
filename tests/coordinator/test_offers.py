"""Offers and standing capacity over the API: who may offer, amend, withdraw; prefill from capacity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, World, assert_error, counts, offer_body


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def test_staff_outside_the_area_offer_people(world: World) -> None:
    offer = world.offer(languages=["vi", "VI", "zh-hant"])
    assert offer["association_id"] == TOYAMA and offer["status"] == "active" and offer["source"] == "manual"
    assert offer["languages"] == ["vi", "zh-Hant"]  # de-duplicated and normalised
    assert offer["mode"] == "live" and offer["version"] == 1
    listed = world.client.get(f"/api/v1/disasters/{world.id}/offers", headers=world.coordinator).json()
    assert [o["id"] for o in listed] == [offer["id"]]


def test_affected_association_may_not_offer(world: World, engine: Engine) -> None:
    before = counts(engine)
    response = world.client.post(f"/api/v1/disasters/{world.id}/offers", json=offer_body(), headers=world.requester)
    assert_error(response, 422, "association_id")
    assert counts(engine) == before


@pytest.mark.parametrize("who", ["secretariat", "observer", "coordinator_for_other"])
def test_only_staff_offer_for_their_own_association(world: World, engine: Engine, who: str) -> None:
    if who == "coordinator_for_other":
        headers, body = world.fukui, offer_body(association_id=TOYAMA)
    else:
        headers, body = getattr(world, who), offer_body()
    before = counts(engine)
    assert_error(world.client.post(f"/api/v1/disasters/{world.id}/offers", json=body, headers=headers), 403)
    assert counts(engine) == before


def test_only_the_offering_association_amends_or_withdraws(world: World, engine: Engine) -> None:
    # (Its block's coordinator and the secretariat may too, on its behalf: issue 12 item 13.)
    offer = world.offer()
    url = f"/api/v1/offers/{offer['id']}"
    before = counts(engine)
    for headers in (world.fukui, world.requester, world.observer):
        assert_error(world.client.patch(url, json={"headcount": 1}, headers=headers), 403)
        assert_error(world.client.post(f"{url}/withdraw", headers=headers), 403)
    assert counts(engine) == before
    amended = world.client.patch(url, json={"headcount": 6, "kinds": ["hotline"]}, headers=world.toyama)
    assert amended.status_code == 200 and amended.json()["headcount"] == 6 and amended.json()["version"] == 2
    withdrawn = world.client.post(f"{url}/withdraw", json={"version": 2}, headers=world.toyama)
    assert withdrawn.json()["status"] == "withdrawn"
    assert_error(world.client.patch(url, json={"headcount": 2}, headers=world.toyama), 409, "status")
    types = [e["type"] for e in world.client.get(f"/api/v1/disasters/{world.id}/events",
                                                 headers=world.observer).json()["events"]]
    assert types[-3:] == ["offer.created", "offer.amended", "offer.withdrawn"]


def test_offer_visibility(world: World) -> None:
    offer = world.offer()
    assert world.client.get(f"/api/v1/offers/{offer['id']}", headers=world.toyama).status_code == 200
    assert world.client.get(f"/api/v1/offers/{offer['id']}", headers=world.observer).status_code == 200
    assert_error(world.client.get(f"/api/v1/offers/{offer['id']}", headers=world.fukui), 403)
    assert world.client.get(f"/api/v1/disasters/{world.id}/offers", headers=world.fukui).json() == []


def test_offer_validation_names_each_field(world: World, engine: Engine) -> None:
    url = f"/api/v1/disasters/{world.id}/offers"
    today = date.today()
    cases = [
        (offer_body(headcount=0), "headcount"),
        (offer_body(headcount=101), "headcount"),
        (offer_body(languages=[]), "languages"),
        (offer_body(languages=["not a tag"]), "languages"),
        (offer_body(kinds=["cooking"]), "kinds"),
        (offer_body(available_until=(today - timedelta(days=1)).isoformat()), "available_until"),
        (offer_body(available_from="yesterday"), "available_from"),
    ]
    before = counts(engine)
    for body, field in cases:
        assert_error(world.client.post(url, json=body, headers=world.toyama), 422, field)
    assert counts(engine) == before


def test_standing_capacity_is_managed_by_its_own_staff_and_prefills_offers(world: World, engine: Engine) -> None:
    url = "/api/v1/standing-capacity"
    first = world.client.post(url, json={"language": "vi", "kinds": ["centre_staff"], "headcount": 2},
                              headers=world.fukui)
    second = world.client.post(url, json={"language": "en", "kinds": ["translation"], "headcount": 3,
                                          "notes": "週末可"}, headers=world.fukui)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["association_id"] == FUKUI
    assert_error(world.client.post(url, json={"association_id": FUKUI, "language": "vi", "kinds": ["hotline"],
                                              "headcount": 1}, headers=world.toyama), 403)
    row = first.json()["id"]
    before = counts(engine)
    assert_error(world.client.patch(f"{url}/{row}", json={"headcount": 9}, headers=world.toyama), 403)
    assert_error(world.client.delete(f"{url}/{row}", headers=world.toyama), 403)
    assert counts(engine) == before
    assert [r["id"] for r in world.client.get(url, headers=world.toyama).json()] == []
    assert len(world.client.get(url, headers=world.fukui).json()) == 2
    assert len(world.client.get(f"{url}?association_id={FUKUI}", headers=world.secretariat).json()) == 2
    updated = world.client.patch(f"{url}/{row}", json={"headcount": 4}, headers=world.fukui)
    assert updated.status_code == 200 and updated.json()["headcount"] == 4

    today = date.today().isoformat()
    window = {"available_from": today, "available_until": today}
    prefilled = world.client.post(f"/api/v1/disasters/{world.id}/offers/prefill", json=window, headers=world.fukui)
    assert prefilled.status_code == 201, prefilled.text
    offer = prefilled.json()
    assert offer["source"] == "standing_capacity" and offer["association_id"] == FUKUI
    assert offer["languages"] == ["vi", "en"] and offer["kinds"] == ["centre_staff", "translation"]
    assert offer["headcount"] == 7
    # Toyama registered nothing: a clear error naming what is missing.
    response = world.client.post(f"/api/v1/disasters/{world.id}/offers/prefill", json=window, headers=world.toyama)
    assert_error(response, 422, "standing_capacity")
    # An affected association cannot prefill either.
    response = world.client.post(f"/api/v1/disasters/{world.id}/offers/prefill", json=window,
                                 headers=world.requester)
    assert_error(response, 422, "association_id")
    assert world.client.delete(f"{url}/{row}", headers=world.fukui).status_code == 204
    assert len(world.client.get(url, headers=world.fukui).json()) == 1
    assert ISHIKAWA not in {o["association_id"] for o in world.client.get(
        f"/api/v1/disasters/{world.id}/offers", headers=world.secretariat).json()}
