"""A spike of concurrent writers against a real server: every request is answered (issue 8).

Before coordinator.db.SessionRoute, a sync endpoint that read after its commit kept a transaction (on
SQLite: the write lock) open until its response was serialised on a worker thread, while every worker
waited for that lock: the server stalled with idle CPU and these requests timed out. The client timeout
below only detects such a stall; nothing here measures speed (bench/load.py does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import httpx
import pytest

from tests.support import ServerProcess

pytestmark = pytest.mark.slow

ISHIKAWA = "pref_ishikawa"
WRITERS = 160  # well above anyio's 40 worker threads and the 15 pooled SQLite connections


async def test_every_one_of_a_spike_of_concurrent_writers_is_answered(
        live_db_url: str, live_make_user, server_factory: Callable[..., ServerProcess]) -> None:
    secretariat = live_make_user("secretariat", "clair")[1]
    staff = [live_make_user("staff", ISHIKAWA)[1] for _ in range(8)]
    server = server_factory(live_db_url)
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        declared = await http.post("/api/v1/disasters", headers={"Authorization": f"Bearer {secretariat}"},
                                   json={"name": "能登半島地震（集中試験）", "kind": "earthquake",
                                         "area": {"prefectures": ["17"]}})
        assert declared.status_code == 201, declared.text
        disaster_id = declared.json()["id"]

        async def declare_and_amend(n: int) -> tuple[int, int]:
            headers = {"Authorization": f"Bearer {staff[n % len(staff)]}"}
            created = await http.post(f"/api/v1/disasters/{disaster_id}/needs", headers=headers, json={
                "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": 1,
                "start": date.today().isoformat(), "days": 3, "notes": f"spike {n}"})
            if created.status_code != 201:
                return created.status_code, 0
            need = created.json()
            amended = await http.patch(f"/api/v1/needs/{need['id']}", headers=headers,
                                       json={"version": need["version"], "headcount": 2})
            return created.status_code, amended.status_code

        answers = await asyncio.gather(*(declare_and_amend(n) for n in range(WRITERS)))
        assert answers == [(201, 200)] * WRITERS
        needs = await http.get(f"/api/v1/disasters/{disaster_id}/needs",
                               headers={"Authorization": f"Bearer {secretariat}"})
        assert needs.status_code == 200
        assert sorted(n["headcount"] for n in needs.json()) == [2] * WRITERS
