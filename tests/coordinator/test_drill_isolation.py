"""Drill isolation: a drill's needs, offers, events and exports never appear for the live disaster
(and the reverse), and the live list never shows drills."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.needs.models import Need
from coordinator.offers.models import Offer
from tests.coordinator.disasters_support import World, declare, need_body, offer_body


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def test_live_and_drill_never_mix(world: World, engine: Engine) -> None:
    client = world.client
    drill = declare(client, world.secretariat, mode="drill", name="訓練：能登半島地震")
    live_need = world.need(language="en")
    drill_need = client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(language="ne"),
                             headers=world.requester).json()
    live_offer = world.offer(headcount=2)
    drill_offer = client.post(f"/api/v1/disasters/{drill['id']}/offers", json=offer_body(headcount=9),
                              headers=world.toyama).json()
    assert drill_need["mode"] == "drill" and drill_offer["mode"] == "drill"

    def ids(path: str, disaster_id: int) -> list[int]:
        return [r["id"] for r in client.get(f"/api/v1/disasters/{disaster_id}/{path}",
                                            headers=world.observer).json()]

    assert ids("needs", world.id) == [live_need["id"]] and ids("needs", drill["id"]) == [drill_need["id"]]
    assert ids("offers", world.id) == [live_offer["id"]] and ids("offers", drill["id"]) == [drill_offer["id"]]
    live_events = client.get(f"/api/v1/disasters/{world.id}/events", headers=world.observer).json()["events"]
    drill_events = client.get(f"/api/v1/disasters/{drill['id']}/events", headers=world.observer).json()["events"]
    assert {e["mode"] for e in live_events} == {"live"} and {e["mode"] for e in drill_events} == {"drill"}
    assert {e["entity_id"] for e in live_events if e["entity"] == "need"} == {str(live_need["id"])}
    assert {e["entity_id"] for e in drill_events if e["entity"] == "offer"} == {str(drill_offer["id"])}
    live_summary = client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.observer).json()
    assert live_summary["offered_people"] == 2 and live_summary["people"]["requested"] == 2
    live_csv = client.get(f"/api/v1/disasters/{world.id}/export/needs.csv", headers=world.observer).text
    drill_csv = client.get(f"/api/v1/disasters/{drill['id']}/export/needs.csv", headers=world.observer).text
    assert ",ne," not in live_csv and ",en," in live_csv
    assert ",en," not in drill_csv and ",ne," in drill_csv
    assert [d["id"] for d in client.get("/api/v1/disasters", headers=world.observer).json()] == [world.id]
    assert [d["id"] for d in client.get("/api/v1/disasters?mode=drill",
                                        headers=world.observer).json()] == [drill["id"]]
    # Every stored row carries its disaster's mode, so queries can always filter on it.
    with Session(engine) as session:
        modes = {(n.disaster_id, n.mode) for n in session.exec(select(Need).order_by(col(Need.id)))}
        modes |= {(o.disaster_id, o.mode) for o in session.exec(select(Offer))}
    assert modes == {(world.id, "live"), (drill["id"], "drill")}


def test_a_drill_need_cannot_be_read_through_the_live_timeline(world: World) -> None:
    drill = declare(world.client, world.secretariat, mode="drill", name="訓練")
    world.client.post(f"/api/v1/disasters/{drill['id']}/needs", json=need_body(), headers=world.requester)
    live = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()["events"]
    assert [e["type"] for e in live] == ["disaster.declared"]
