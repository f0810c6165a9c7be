"""Bad input on every endpoint of disasters, needs, offers, standing capacity, timeline and exports:
a 4xx in the one error shape (code, Japanese and English message, field) and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import TOYAMA, World, assert_error, counts, need_body, offer_body

MALFORMED = b'{"name": "x", '


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def _cases(w: World, need: int, offer: int, row: int) -> list[tuple[str, str, Any, str, int, str | None]]:
    """(method, path, json body or raw bytes, who, status, field) for each bad request."""
    d = w.id
    area = {"prefectures": ["17"]}
    return [
        # Disasters
        ("POST", "/api/v1/disasters", MALFORMED, "secretariat", 422, None),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "meteor", "area": area}, "secretariat", 422, "kind"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood", "mode": "test", "area": area},
         "secretariat", 422, "mode"),
        ("POST", "/api/v1/disasters", {"name": "", "kind": "flood", "area": area}, "secretariat", 422, "name"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood", "area": {"prefectures": ["48"]}},
         "secretariat", 422, None),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood", "area": {}}, "secretariat", 422, "area"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood", "area": {"prefectures": ["17"], "x": 1}},
         "secretariat", 422, "area.x"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood",
                                       "area": {"epicentre": {"lat": 95, "lon": 137}, "radius_km": 50}},
         "secretariat", 422, "area.epicentre.lat"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood",
                                       "area": {"epicentre": {"lat": 37.5, "lon": 137.2}, "radius_km": -5}},
         "secretariat", 422, "area.radius_km"),
        ("POST", "/api/v1/disasters", {"name": "x", "kind": "flood", "area": {"municipalities": ["00000"]}},
         "secretariat", 422, None),
        ("POST", "/api/v1/disasters", [1, 2], "secretariat", 422, None),
        ("GET", "/api/v1/disasters?mode=both", None, "observer", 422, "mode"),
        ("GET", "/api/v1/disasters/abc", None, "observer", 422, "disaster_id"),
        ("GET", "/api/v1/disasters/987654", None, "observer", 404, "disaster_id"),
        ("PATCH", f"/api/v1/disasters/{d}", {"name": 5}, "secretariat", 422, "name"),
        ("PATCH", f"/api/v1/disasters/{d}", {"status": "closed"}, "secretariat", 422, "status"),
        ("PATCH", f"/api/v1/disasters/{d}", MALFORMED, "secretariat", 422, None),
        ("PATCH", "/api/v1/disasters/987654", {"name": "x"}, "secretariat", 404, "disaster_id"),
        ("POST", "/api/v1/disasters/987654/cross-block", None, "secretariat", 404, "disaster_id"),
        ("POST", "/api/v1/disasters/987654/close", None, "secretariat", 404, "disaster_id"),
        ("GET", "/api/v1/disasters/987654/summary", None, "observer", 404, "disaster_id"),
        ("GET", f"/api/v1/disasters/{d}/events?since=x", None, "observer", 422, "since"),
        ("GET", f"/api/v1/disasters/{d}/events?limit=100000", None, "observer", 422, "limit"),
        # Needs
        ("POST", f"/api/v1/disasters/{d}/needs", MALFORMED, "requester", 422, None),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(headcount="many"), "requester", 422, "headcount"),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(headcount=500), "requester", 422, "headcount"),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(start="2026-02-30"), "requester", 422, "start"),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(remote="sometimes"), "requester", 422, "remote"),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(status="fulfilled"), "requester", 422, "status"),
        ("POST", f"/api/v1/disasters/{d}/needs", need_body(requester_id=TOYAMA), "secretariat", 422,
         "requester_id"),
        ("POST", f"/api/v1/disasters/{d}/needs", {"kind": "translation"}, "requester", 422, None),
        ("POST", "/api/v1/disasters/987654/needs", need_body(), "requester", 404, "disaster_id"),
        ("GET", "/api/v1/disasters/987654/needs", None, "observer", 404, "disaster_id"),
        ("GET", f"/api/v1/disasters/{d}/needs?status=lost", None, "observer", 422, "status"),
        ("GET", "/api/v1/needs/987654", None, "observer", 404, "need_id"),
        ("PATCH", f"/api/v1/needs/{need}", MALFORMED, "requester", 422, None),
        ("PATCH", f"/api/v1/needs/{need}", {"days": 30}, "requester", 422, "days"),
        ("PATCH", f"/api/v1/needs/{need}", {"headcount": None}, "requester", 422, "headcount"),
        ("PATCH", f"/api/v1/needs/{need}", {"requester_id": TOYAMA}, "requester", 422, "requester_id"),
        ("PATCH", f"/api/v1/needs/{need}", {"version": 0}, "requester", 422, "version"),
        ("PATCH", f"/api/v1/needs/{need}", {"version": 7, "headcount": 3}, "requester", 409, "version"),
        ("PATCH", "/api/v1/needs/987654", {"headcount": 3}, "requester", 404, "need_id"),
        ("POST", "/api/v1/needs/987654/cancel", None, "requester", 404, "need_id"),
        ("POST", f"/api/v1/needs/{need}/cancel", {"version": "x"}, "requester", 422, "version"),
        ("POST", f"/api/v1/needs/{need}/cancel", {"version": 9}, "requester", 409, "version"),
        ("GET", "/api/v1/needs/987654/history", None, "observer", 404, "need_id"),
        # Offers
        ("POST", f"/api/v1/disasters/{d}/offers", MALFORMED, "toyama", 422, None),
        ("POST", f"/api/v1/disasters/{d}/offers", offer_body(languages="vi"), "toyama", 422, "languages"),
        ("POST", f"/api/v1/disasters/{d}/offers", offer_body(headcount=1000), "toyama", 422, "headcount"),
        ("POST", f"/api/v1/disasters/{d}/offers", offer_body(kinds=[7]), "toyama", 422, "kinds.0"),
        ("POST", "/api/v1/disasters/987654/offers", offer_body(), "toyama", 404, "disaster_id"),
        ("POST", f"/api/v1/disasters/{d}/offers/prefill", {"available_from": "x"}, "toyama", 422, None),
        ("POST", "/api/v1/disasters/987654/offers/prefill",
         {"available_from": "2026-01-01", "available_until": "2026-01-02"}, "toyama", 404, "disaster_id"),
        ("GET", "/api/v1/offers/987654", None, "observer", 404, "offer_id"),
        ("PATCH", f"/api/v1/offers/{offer}", {"headcount": 0}, "toyama", 422, "headcount"),
        ("PATCH", f"/api/v1/offers/{offer}", {"available_from": "2099-01-01"}, "toyama", 422, "available_until"),
        ("PATCH", f"/api/v1/offers/{offer}", {"association_id": "pref_fukui"}, "toyama", 422, "association_id"),
        ("PATCH", "/api/v1/offers/987654", {"headcount": 2}, "toyama", 404, "offer_id"),
        ("POST", "/api/v1/offers/987654/withdraw", None, "toyama", 404, "offer_id"),
        ("POST", f"/api/v1/offers/{offer}/withdraw", MALFORMED, "toyama", 422, None),
        # Standing capacity
        ("POST", "/api/v1/standing-capacity", {"language": "vi", "kinds": [], "headcount": 1}, "fukui", 422,
         "kinds"),
        ("POST", "/api/v1/standing-capacity", {"language": "??", "kinds": ["hotline"], "headcount": 1},
         "fukui", 422, "language"),
        ("POST", "/api/v1/standing-capacity", MALFORMED, "fukui", 422, None),
        ("PATCH", f"/api/v1/standing-capacity/{row}", {"headcount": -1}, "fukui", 422, "headcount"),
        ("PATCH", "/api/v1/standing-capacity/987654", {"headcount": 1}, "fukui", 404, "capacity_id"),
        ("DELETE", "/api/v1/standing-capacity/987654", None, "fukui", 404, "capacity_id"),
        ("DELETE", "/api/v1/standing-capacity/abc", None, "fukui", 422, "capacity_id"),
        # Exports
        ("GET", "/api/v1/disasters/987654/export/needs.csv", None, "observer", 404, "disaster_id"),
        ("GET", "/api/v1/disasters/987654/export/needs.geojson", None, "observer", 404, "disaster_id"),
        ("GET", "/api/v1/disasters/987654/export/dispatches.csv", None, "observer", 404, "disaster_id"),
    ]


def test_every_bad_request_is_a_precise_4xx_and_writes_nothing(world: World, engine: Engine, make_user,
                                                               auth) -> None:
    need = world.need()["id"]
    offer = world.offer()["id"]
    row = world.client.post("/api/v1/standing-capacity", json={"language": "vi", "kinds": ["hotline"],
                                                               "headcount": 2}, headers=world.fukui).json()["id"]
    before = counts(engine)
    problems = []
    for method, path, body, who, status, field in _cases(world, need, offer, row):
        kwargs: dict[str, Any] = {"headers": {**getattr(world, who), "content-type": "application/json"}}
        if isinstance(body, bytes):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        response = world.client.request(method, path, **kwargs)
        try:
            error = assert_error(response, status, field)
            assert field is not None or error["field"], "every error names a field"
        except AssertionError as failure:
            problems.append(f"{method} {path} {body!r}: {failure}")
    assert not problems, "\n".join(problems)
    assert counts(engine) == before


def test_malformed_json_names_the_body(world: World) -> None:
    response = world.client.post(f"/api/v1/disasters/{world.id}/needs", content=MALFORMED,
                                 headers={**world.requester, "content-type": "application/json"})
    error = assert_error(response, 422)
    assert error["code"] == "invalid" and "JSON" in error["message"]["en"]
