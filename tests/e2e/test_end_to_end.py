"""End to end over HTTP against the real server: a live disaster for prefecture 17 from declaration to
fulfilled needs, with every step on the timeline in order (issue 3, must show)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

ISHIKAWA, TOYAMA, FUKUI = "pref_ishikawa", "pref_toyama", "pref_fukui"


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have this status."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def test_declaration_to_fulfilled_need_over_http(live_server: str, live_make_user) -> None:
    today = date.today().isoformat()
    with httpx.Client(base_url=live_server, timeout=30) as http:
        secretariat = bearer(live_make_user("secretariat", "clair")[1])
        disaster = ok(http.post("/api/v1/disasters", headers=secretariat, json={
            "name": "能登半島地震（E2E）", "kind": "earthquake", "mode": "live",
            "area": {"prefectures": ["17"]}}), 201)
        assert disaster["mode"] == "live" and ISHIKAWA in disaster["affected_associations"]
        coordinator_id = disaster["acting_roles"]["coordinators"]["tokai_hokuriku"]["association_id"]
        assert coordinator_id not in (ISHIKAWA, TOYAMA, FUKUI)
        coordinator = bearer(live_make_user("staff", coordinator_id)[1])
        ishikawa = bearer(live_make_user("staff", ISHIKAWA)[1])
        toyama = bearer(live_make_user("staff", TOYAMA)[1])
        fukui = bearer(live_make_user("staff", FUKUI)[1])
        base = f"/api/v1/disasters/{disaster['id']}"

        needs = [ok(http.post(f"{base}/needs", headers=ishikawa, json={
            "requester_id": ISHIKAWA, "kind": kind, "language": language, "headcount": headcount,
            "start": today, "days": 5, "place": "17204"}), 201)
            for kind, language, headcount in (("centre_staff", "vi", 2), ("onsite_interpretation", "en", 1))]
        offers = [ok(http.post(f"{base}/offers", headers=headers, json={
            "languages": languages, "kinds": ["centre_staff", "onsite_interpretation"], "headcount": 3,
            "available_from": today, "available_until": today}), 201)
            for headers, languages in ((toyama, ["vi", "en"]), (fukui, ["en"]))]
        assert [o["association_id"] for o in offers] == [TOYAMA, FUKUI]

        plan = [(needs[0], TOYAMA, toyama, 2, offers[0]), (needs[1], FUKUI, fukui, 1, offers[1])]
        dispatches = []
        for need, supplier_id, supplier, headcount, offer in plan:
            dispatch = ok(http.post(f"{base}/dispatches", headers=coordinator, json={
                "need_id": need["id"], "supplier_id": supplier_id, "headcount": headcount,
                "offer_id": offer["id"]}), 201)
            assert dispatch["stage"] == 1 and dispatch["state"] == "proposed"
            steps = [("approve", coordinator, None), ("request", coordinator, None),
                     ("accept", supplier, {"expected_cost_yen": 85000 * headcount, "cost_policy": "reimbursed"}),
                     ("depart", supplier, None), ("arrive", ishikawa, None), ("complete", supplier, None)]
            for action, headers, body in steps:
                dispatch = ok(http.post(f"/api/v1/dispatches/{dispatch['id']}/{action}", headers=headers,
                                        json=body))
            assert dispatch["state"] == "completed" and dispatch["expected_cost_yen"] == 85000 * headcount
            dispatches.append(dispatch)

        for need in needs:
            read = ok(http.get(f"/api/v1/needs/{need['id']}", headers=ishikawa))
            assert read["status"] == "fulfilled"
            assert read["people"]["fulfilled"] == need["headcount"]

        events = ok(http.get(f"{base}/events", headers=secretariat))["events"]
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        types = [e["type"] for e in events]
        assert types[0] == "disaster.declared"
        assert types.count("need.created") == 2 and types.count("offer.created") == 2
        for dispatch in dispatches:
            steps_of = [e["type"] for e in events if e["entity"] == "dispatch"
                        and e["entity_id"] == str(dispatch["id"])]
            assert steps_of == ["dispatch.proposed", "dispatch.approved", "dispatch.requested",
                                "dispatch.accepted", "dispatch.en_route", "dispatch.on_site",
                                "dispatch.completed"]
        for need, dispatch in zip(needs, dispatches, strict=True):
            completed_at = next(e["seq"] for e in events if e["type"] == "dispatch.completed"
                                and e["entity_id"] == str(dispatch["id"]))
            fulfilled_at = next(e["seq"] for e in events if e["type"] == "need.fulfilled"
                                and e["entity_id"] == str(need["id"]))
            created_at = next(e["seq"] for e in events if e["type"] == "need.created"
                              and e["entity_id"] == str(need["id"]))
            assert created_at < completed_at < fulfilled_at
        assert {e["mode"] for e in events} == {"live"}
