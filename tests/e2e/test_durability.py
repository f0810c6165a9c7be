"""Durability: kill -9 the server during a stream of writes, restart it on the same file, and every
write that was acknowledged with a 2xx is there, with its event (issue 3, must show); dashboards cut off
by the kill resume on the restarted server without losing or repeating an event (issue 8)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.realtime.harness import open_client, read_until_live
from tests.support import ServerProcess

pytestmark = pytest.mark.slow

ISHIKAWA = "pref_ishikawa"
KILL_AFTER_ACKNOWLEDGED = 40  # writes acknowledged before the kill; the stream keeps going meanwhile


def test_acknowledged_writes_survive_kill_9(live_db_url: str, live_make_user,
                                            server_factory: Callable[..., ServerProcess]) -> None:
    secretariat = {"Authorization": f"Bearer {live_make_user('secretariat', 'clair')[1]}"}
    ishikawa = {"Authorization": f"Bearer {live_make_user('staff', ISHIKAWA)[1]}"}
    server = server_factory(live_db_url)
    disaster = httpx.post(f"{server.base_url}/api/v1/disasters", headers=secretariat, timeout=30, json={
        "name": "能登半島地震（耐久試験）", "kind": "earthquake", "area": {"prefectures": ["17"]}})
    assert disaster.status_code == 201, disaster.text
    disaster_id = disaster.json()["id"]

    acknowledged: list[int] = []
    enough = threading.Event()
    failures: list[str] = []
    cut_off = threading.Event()

    def stream() -> None:
        """Write needs one after another until the server dies; remember every 2xx."""
        with httpx.Client(base_url=server.base_url, headers=ishikawa, timeout=30) as http:
            for n in range(100_000):
                body = {"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi",
                        "headcount": 1 + n % 5, "start": date.today().isoformat(), "days": 5,
                        "notes": f"stream write {n}"}
                try:
                    response = http.post(f"/api/v1/disasters/{disaster_id}/needs", json=body)
                except httpx.TransportError:
                    cut_off.set()
                    return  # the server was killed: this write was never acknowledged
                if response.is_success:
                    acknowledged.append(response.json()["id"])
                    if len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED:
                        enough.set()
                else:
                    failures.append(response.text)
                    enough.set()
                    return

    writer = threading.Thread(target=stream)
    writer.start()
    assert enough.wait(timeout=120), "the stream did not get going"
    server.kill()  # SIGKILL while the writer is still sending
    writer.join(timeout=60)
    assert not writer.is_alive() and failures == []
    assert cut_off.is_set(), "the kill did not interrupt the stream"
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED

    restarted = server_factory(live_db_url)
    with httpx.Client(base_url=restarted.base_url, headers=secretariat, timeout=30) as http:
        needs = http.get(f"/api/v1/disasters/{disaster_id}/needs")
        assert needs.status_code == 200, needs.text
        stored = {n["id"] for n in needs.json()}
        missing = [i for i in acknowledged if i not in stored]
        assert missing == [], f"acknowledged but lost after kill -9: {missing}"
        created: set[int] = set()
        since = 0
        while True:  # page through the timeline
            page = http.get(f"/api/v1/disasters/{disaster_id}/events", params={"since": since, "limit": 1000})
            assert page.status_code == 200, page.text
            rows = page.json()["events"]
            created |= {int(e["entity_id"]) for e in rows if e["type"] == "need.created"}
            if not rows:
                break
            since = rows[-1]["seq"]
        assert set(acknowledged) <= created
        # The restarted server takes new writes on the same file.
        more = http.post(f"/api/v1/disasters/{disaster_id}/needs", json={
            "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "en", "headcount": 1,
            "start": date.today().isoformat(), "days": 3})
        assert more.status_code == 201, more.text


async def test_dashboards_cut_off_by_kill_9_resume_with_every_acknowledged_need_once(
        live_db_url: str, live_make_user, server_factory: Callable[..., ServerProcess]) -> None:
    """Two dashboards watch a write stream; the server is killed mid-stream; each reconnects to the
    restarted server with `since` = the last seq it saw and ends with a need.created event for every
    acknowledged write, no seq twice, in order (issue 8: clients resume)."""
    secretariat_token = live_make_user("secretariat", "clair")[1]
    ishikawa_token = live_make_user("staff", ISHIKAWA)[1]
    server = server_factory(live_db_url)
    created = httpx.post(f"{server.base_url}/api/v1/disasters", timeout=30,
                         headers={"Authorization": f"Bearer {secretariat_token}"},
                         json={"name": "能登半島地震（再接続試験）", "kind": "earthquake",
                               "area": {"prefectures": ["17"]}})
    assert created.status_code == 201, created.text
    disaster_id = created.json()["id"]
    subscription = {"mode": "live", "disaster_id": disaster_id}

    def ws_url(base: str) -> str:
        return base.replace("http://", "ws://") + "/api/v1/live"

    dashboards = {name: await open_client(ws_url(server.base_url), token, subscription)
                  for name, token in (("secretariat", secretariat_token), ("ishikawa", ishikawa_token))}
    seen: dict[str, list[dict]] = {name: (await read_until_live(client))[0] for name, client in dashboards.items()}

    async def watch_until_cut_off(name: str) -> None:
        """Collect events until the connection dies under the dashboard."""
        try:
            while True:
                message = json.loads(await dashboards[name].recv())
                if message["type"] == "event":
                    seen[name].append(message["event"])
        except (ConnectionClosed, OSError):
            return

    watchers = [asyncio.create_task(watch_until_cut_off(name)) for name in dashboards]
    acknowledged: list[int] = []
    enough = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30,
                          headers={"Authorization": f"Bearer {ishikawa_token}"}) as http:
            for n in range(100_000):
                try:
                    response = http.post(f"/api/v1/disasters/{disaster_id}/needs", json={
                        "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": 1,
                        "start": date.today().isoformat(), "days": 3, "notes": f"watched write {n}"})
                except httpx.TransportError:
                    return
                assert response.status_code == 201, response.text
                acknowledged.append(response.json()["id"])
                if len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED:
                    enough.set()

    writer = threading.Thread(target=stream)
    writer.start()
    assert await asyncio.to_thread(enough.wait, 120), "the stream did not get going"
    server.kill()
    await asyncio.to_thread(writer.join, 60)
    assert not writer.is_alive()
    async with asyncio.timeout(60):
        await asyncio.gather(*watchers)  # both dashboards notice the cut

    restarted = server_factory(live_db_url)
    # Needs declared while the dashboards are away: they can only arrive by replay from `since`.
    while_away = []
    with httpx.Client(base_url=restarted.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {ishikawa_token}"}) as http:
        for n in range(5):
            response = http.post(f"/api/v1/disasters/{disaster_id}/needs", json={
                "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "en", "headcount": 1,
                "start": date.today().isoformat(), "days": 3, "notes": f"while away {n}"})
            assert response.status_code == 201, response.text
            while_away.append(response.json()["id"])
    for name, token in (("secretariat", secretariat_token), ("ishikawa", ishikawa_token)):
        since = max((e["seq"] for e in seen[name]), default=0)
        client = await open_client(ws_url(restarted.base_url), token, {**subscription, "since": since})
        replayed, _ = await read_until_live(client)
        await client.close()
        seqs = [e["seq"] for e in seen[name] + replayed]
        assert seqs == sorted(set(seqs)), f"{name}: a seq twice or out of order after resuming"
        needs_seen = {int(e["entity_id"]) for e in seen[name] + replayed if e["type"] == "need.created"}
        missing = sorted(set(acknowledged + while_away) - needs_seen)
        assert missing == [], f"{name}: acknowledged needs never delivered after resuming: {missing}"
        replayed_needs = {int(e["entity_id"]) for e in replayed if e["type"] == "need.created"}
        assert set(while_away) <= replayed_needs
