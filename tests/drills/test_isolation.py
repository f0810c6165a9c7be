"""A drill running while a live disaster is active leaks nothing in either direction: lists, summaries,
exports, timelines and the websocket live channel, with live work done while the drill runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from websockets.asyncio.client import ClientConnection

from coordinator.app import create_app
from coordinator.db import make_engine
from coordinator.drills.loader import load_scenario
from coordinator.drills.runner import run_scenario
from coordinator.settings import Settings
from tests.conftest import ROOT
from tests.realtime.harness import open_client, read_until_live, serve_app
from tests.support import create_user_with_token

LIVE_NOTE = "LIVE-ONLY-NOTE"


@pytest.fixture
def file_engine(live_db_url: str) -> Iterator[Engine]:
    """An engine on a migrated SQLite file (with the associations) that a real server also uses."""
    engine = make_engine(live_db_url)
    yield engine
    engine.dispose()


async def read_until(client: ClientConnection, done: Callable[[dict[str, Any]], bool],
                     timeout: float = 60) -> list[dict[str, Any]]:
    """Events until (and including) the first one for which `done` is true."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await client.recv())
            if message["type"] == "event":
                events.append(message["event"])
                if done(message["event"]):
                    return events


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have this status."""
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def test_a_drill_beside_a_live_disaster_leaks_nothing(file_engine: Engine) -> None:
    engine = file_engine
    _, secretariat = create_user_with_token(engine, "secretariat")
    _, toyama = create_user_with_token(engine, "staff", "pref_toyama")
    _, fukui = create_user_with_token(engine, "staff", "pref_fukui")
    settings = Settings(database_url=str(engine.url), live_heartbeat_seconds=0, live_idle_seconds=0,
                        live_poll_seconds=0)
    app = create_app(settings, engine=engine)
    with serve_app(app, app.state.live, "/api/v1/live") as server:
        base = server.url.removesuffix("/api/v1/live").replace("ws://", "http://")
        http = httpx.Client(base_url=base, timeout=30)
        boss = {"Authorization": f"Bearer {secretariat}"}
        live_watch = await open_client(server.url, secretariat, {"mode": "live"})
        drill_watch = await open_client(server.url, secretariat, {"mode": "drill"})
        await read_until_live(live_watch)
        await read_until_live(drill_watch)

        # The live disaster covers the same prefecture as the drill, so the two could easily be mixed.
        live = ok(http.post("/api/v1/disasters", headers=boss, json={
            "name": "富山県の地震", "kind": "earthquake", "mode": "live", "area": {"prefectures": ["16"]}}), 201)
        need = {"requester_id": "pref_toyama", "kind": "onsite_interpretation", "language": "en", "headcount": 2,
                "start": live["declared_at"][:10], "notes": LIVE_NOTE}
        live_needs = [ok(http.post(f"/api/v1/disasters/{live['id']}/needs", json=need,
                                   headers={"Authorization": f"Bearer {toyama}"}), 201)["id"]]
        offer = {"languages": ["en"], "kinds": ["onsite_interpretation"], "headcount": 5,
                 "available_from": live["declared_at"][:10], "available_until": "2099-01-01", "notes": LIVE_NOTE}
        live_offers = [ok(http.post(f"/api/v1/disasters/{live['id']}/offers", json=offer,
                                    headers={"Authorization": f"Bearer {fukui}"}), 201)["id"]]

        def during_the_drill(_: float) -> None:
            # Live work while the drill is running (called at the drill clock's wake-ups).
            if len(live_needs) < 3:
                live_needs.append(ok(http.post(f"/api/v1/disasters/{live['id']}/needs", json=need,
                                               headers={"Authorization": f"Bearer {toyama}"}), 201)["id"])

        scenario = load_scenario(ROOT / "scenarios" / "training_small.yaml")
        run_engine = make_engine(str(engine.url))
        try:
            result = await asyncio.to_thread(run_scenario, run_engine, scenario, speed=600, sleep=during_the_drill)
        finally:
            run_engine.dispose()
        drill_id = result.drill_id
        assert len(live_needs) == 3
        ok(http.patch(f"/api/v1/disasters/{live['id']}", headers=boss, json={"name": "富山県の地震（更新）"}))

        live_events = await read_until(live_watch, lambda e: e["type"] == "disaster.renamed")
        drill_events = await read_until(drill_watch, lambda e: e["type"] == "drill.finished")
        await live_watch.close()
        await drill_watch.close()

        # Websocket: each channel carries only its own mode and its own disaster.
        assert {e["mode"] for e in live_events} <= {"live", None}
        assert {e["disaster_id"] for e in live_events} <= {live["id"], None}
        assert not any("【訓練】" in json.dumps(e, ensure_ascii=False) for e in live_events)
        assert {e["mode"] for e in drill_events} == {"drill"} and {e["disaster_id"] for e in drill_events} == {drill_id}
        assert not any(LIVE_NOTE in json.dumps(e) for e in drill_events)
        assert sum(e["type"] == "need.created" for e in live_events) == 3

        # Lists: the live list has only the live disaster, the drill list only the drill.
        assert [d["id"] for d in ok(http.get("/api/v1/disasters", headers=boss))] == [live["id"]]
        assert [d["id"] for d in ok(http.get("/api/v1/disasters?mode=drill", headers=boss))] == [drill_id]
        for path, expected in (("needs", live_needs), ("offers", live_offers), ("dispatches", [])):
            rows = ok(http.get(f"/api/v1/disasters/{live['id']}/{path}", headers=boss))
            assert sorted(r["id"] for r in rows) == sorted(expected), path
        drill_needs = ok(http.get(f"/api/v1/disasters/{drill_id}/needs", headers=boss))
        assert drill_needs and not set(r["id"] for r in drill_needs) & set(live_needs)
        assert all(r["mode"] == "drill" and r["notes"].startswith("【訓練】") for r in drill_needs)
        assert ok(http.get(f"/api/v1/disasters/{drill_id}/dispatches", headers=boss))  # the drill did plan

        # Summary (metrics) and exports of the live disaster know nothing of the drill, and the reverse.
        summary = ok(http.get(f"/api/v1/disasters/{live['id']}/summary", headers=boss))
        assert summary["people"]["requested"] == 6 and summary["people"]["proposed"] == 0
        assert summary["offered_people"] == 5
        for name in ("needs.csv", "dispatches.csv", "needs.geojson"):
            live_export = http.get(f"/api/v1/disasters/{live['id']}/export/{name}", headers=boss).text
            drill_export = http.get(f"/api/v1/disasters/{drill_id}/export/{name}", headers=boss).text
            assert "訓練" not in live_export and LIVE_NOTE not in drill_export, name
        assert "【訓練】" in http.get(f"/api/v1/disasters/{drill_id}/export/needs.csv", headers=boss).text

        # Timelines: each disaster's timeline has only its own mode.
        live_timeline = ok(http.get(f"/api/v1/disasters/{live['id']}/events?limit=1000", headers=boss))["events"]
        drill_timeline = ok(http.get(f"/api/v1/disasters/{drill_id}/events?limit=1000", headers=boss))["events"]
        assert {e["mode"] for e in live_timeline} == {"live"} and {e["mode"] for e in drill_timeline} == {"drill"}
        assert {e["seq"] for e in drill_timeline} == {e["seq"] for e in drill_events}
        http.close()
