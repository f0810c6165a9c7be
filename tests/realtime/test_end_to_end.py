"""End to end through the real server (`uvicorn coordinator.app:create_app` in its own process): a need
declared over HTTP reaches a websocket subscriber of the disaster; a drill's need never reaches a live one."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.realtime.harness import open_client, read_events, read_until_live

ISHIKAWA = "pref_ishikawa"


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have this status."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def test_a_declared_need_reaches_subscribers_of_its_mode_only(live_server: str,
                                                                    live_make_user) -> None:
    url = live_server.replace("http://", "ws://") + "/api/v1/live"
    secretariat = live_make_user("secretariat")[1]
    ishikawa = live_make_user("staff", ISHIKAWA)[1]
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        def as_user(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        disasters = {mode: ok(await http.post("/api/v1/disasters", headers=as_user(secretariat), json={
            "name": f"能登半島地震（{mode}）", "kind": "earthquake", "mode": mode,
            "area": {"prefectures": ["17"]}}), 201) for mode in ("live", "drill")}
        # Ishikawa staff watch the live disaster; the secretariat watches everything live, and every drill.
        staff = await open_client(url, ishikawa, {"mode": "live", "disaster_id": disasters["live"]["id"]})
        everything_live = await open_client(url, secretariat, {"mode": "live"})
        drills = await open_client(url, secretariat, {"mode": "drill"})
        for client in (staff, everything_live, drills):
            await read_until_live(client)

        def need(mode: str) -> dict[str, Any]:
            return {"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": 2,
                    "start": date.today().isoformat(), "days": 3, "place": "17204", "notes": mode}

        # The drill's need is written first: a live subscriber reading up to the live need has passed it.
        drill_need = ok(await http.post(f"/api/v1/disasters/{disasters['drill']['id']}/needs",
                                        headers=as_user(ishikawa), json=need("drill")), 201)
        live_need = ok(await http.post(f"/api/v1/disasters/{disasters['live']['id']}/needs",
                                       headers=as_user(ishikawa), json=need("live")), 201)

        [received] = await read_events(staff, 1)
        assert (received["type"], received["entity_id"]) == ("need.created", str(live_need["id"]))
        assert received["disaster_id"] == disasters["live"]["id"] and received["mode"] == "live"
        assert received["payload"]["notes"] == "live" and ISHIKAWA in received["associations"]

        [national] = await read_events(everything_live, 1)
        assert national["seq"] == received["seq"]  # the drill's need, written before, was never sent

        [drilled] = await read_events(drills, 1)
        assert (drilled["entity_id"], drilled["mode"]) == (str(drill_need["id"]), "drill")
        assert drilled["seq"] < received["seq"]
        for client in (staff, everything_live, drills):
            await client.close()
