"""Writers outside the server announce their events (issue 13, item 5): on PostgreSQL, with the server's
safety-net poll turned off, a plan committed by `ouen plan --commit` in another process still reaches a
dashboard's websocket, through NOTIFY alone. And NOTIFY is reference-counted per engine."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from coordinator.live.publisher import disable_pg_notify, enable_pg_notify, notify_channels
from tests.conftest import ROOT
from tests.realtime.harness import open_client, read_events, read_until_live
from tests.support import ServerProcess


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_plan_committed_from_the_command_line_reaches_the_dashboard_through_notify(
        db_url: str, engine: Engine, make_user: Callable[..., Any],
        server_factory: Callable[..., ServerProcess]) -> None:
    channel = f"ouen_test_{uuid.uuid4().hex[:12]}"
    settings = {"OUEN_LIVE_POLL_SECONDS": "0", "OUEN_LIVE_CHANNEL": channel}  # no poll: NOTIFY or nothing
    server = server_factory(db_url, env=settings)
    _, token = make_user("secretariat")
    declared = httpx.post(f"{server.base_url}/api/v1/disasters", headers={"Authorization": f"Bearer {token}"},
                          json={"name": "CLI plan", "kind": "earthquake", "mode": "live",
                                "area": {"prefectures": ["17"]}}, timeout=30)
    assert declared.status_code == 201, declared.text
    disaster_id = declared.json()["id"]
    # Something for the plan to propose (a commit that changes nothing writes no event).
    for association, path, body in (
            ("pref_ishikawa", "needs", {"requester_id": "pref_ishikawa", "kind": "translation", "language": "en",
                                        "headcount": 1, "start": date.today().isoformat()}),
            ("pref_toyama", "offers", {"languages": ["en"], "kinds": ["translation"], "headcount": 1,
                                       "available_from": date.today().isoformat(),
                                       "available_until": (date.today() + timedelta(days=30)).isoformat()})):
        _, staff = make_user("staff", association)
        made = httpx.post(f"{server.base_url}/api/v1/disasters/{disaster_id}/{path}", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {staff}"})
        assert made.status_code == 201, made.text
    env = {**os.environ, **settings, "OUEN_DATABASE_URL": db_url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

    async def watch() -> list[dict[str, Any]]:
        url = server.base_url.replace("http://", "ws://") + "/api/v1/live"
        client = await open_client(url, token, {"mode": "live", "disaster_id": disaster_id})
        try:
            await read_until_live(client)
            command = [sys.executable, "-c", "from coordinator.cli import main; main()", "plan", str(disaster_id),
                       "--commit"]
            done = await asyncio.to_thread(subprocess.run, command, env=env, cwd=ROOT, capture_output=True,
                                           text=True, timeout=180)
            assert done.returncode == 0, done.stdout + done.stderr
            seen: list[dict[str, Any]] = []
            while not any(e["type"] == "plan.committed" for e in seen):  # the declaration may come first
                seen += await read_events(client, 1, timeout=60)
            return seen
        finally:
            await client.close()

    *_, event = asyncio.run(watch())
    assert event["type"] == "plan.committed" and event["disaster_id"] == disaster_id
    assert event["payload"]["via"] == "cli"


def test_notify_is_reference_counted_per_engine(engine: Engine) -> None:
    other = "ouen_test_other"
    enable_pg_notify(engine, other)
    enable_pg_notify(engine, other)  # a second user of the same engine (another app, a command)
    disable_pg_notify(engine, other)
    assert other in notify_channels(engine), "one user stopping must not silence the other"
    disable_pg_notify(engine, other)
    disable_pg_notify(engine, other)  # one too many: ignored
    assert other not in notify_channels(engine)
