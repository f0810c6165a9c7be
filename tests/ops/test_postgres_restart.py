"""Fault: PostgreSQL restarts (a crash: pg_ctl stop -m immediate) while clients write. During the outage
every request fails cleanly (503, the error shape, Retry-After; /readyz 503); the app reconnects by itself
when the database is back; every acknowledged write is there and nothing is half-written (each need has
exactly its need.created event, and no event lacks its need). Uses a private PostgreSQL server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from coordinator.db import make_engine
from tests.ops.private_postgres import PrivatePostgres
from tests.support import ServerProcess, create_user_with_token, prepare_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ISHIKAWA = "pref_ishikawa"
WRITERS = 4
MAX_WRITES_PER_WRITER = 400  # bounded: the test stops by itself


@pytest.fixture
def database() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.destroy()


def test_postgres_restart_under_write_load(database: PrivatePostgres,
                                           server_factory: Callable[..., ServerProcess]) -> None:
    engine = make_engine(database.url)
    prepare_database(engine)
    secretariat = {"Authorization": f"Bearer {create_user_with_token(engine, 'secretariat', 'clair')[1]}"}
    staff = {"Authorization": f"Bearer {create_user_with_token(engine, 'staff', ISHIKAWA)[1]}"}
    engine.dispose()
    app = server_factory(database.url, env={"OUEN_LIVE_POLL_SECONDS": "1"})
    disaster = httpx.post(f"{app.base_url}/api/v1/disasters", headers=secretariat, timeout=30, json={
        "name": "能登半島地震（DB再起動試験）", "kind": "earthquake", "area": {"prefectures": ["17"]}})
    assert disaster.status_code == 201, disaster.text
    disaster_id = disaster.json()["id"]

    acknowledged: list[int] = []
    unavailable: list[dict[str, object]] = []
    unexpected: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def write(worker: int) -> None:
        with httpx.Client(base_url=app.base_url, headers=staff, timeout=30) as http:
            for n in range(MAX_WRITES_PER_WRITER):
                if stop.is_set():
                    return
                response = http.post(f"/api/v1/disasters/{disaster_id}/needs", json={
                    "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": 1 + n % 4,
                    "start": date.today().isoformat(), "days": 3, "notes": f"writer {worker} #{n}"})
                with lock:
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                    elif response.status_code == 503:
                        unavailable.append({"body": response.json(), "retry": response.headers.get("retry-after")})
                        time.sleep(0.05)  # a client backs off (Retry-After says 5 s; the test is in a hurry)
                    else:
                        unexpected.append(f"{response.status_code} {response.text[:300]}")

    def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in writers:
        thread.start()
    try:
        wait_for(lambda: len(acknowledged) >= 40, 60, "40 acknowledged writes")
        database.stop("immediate")  # a crash of the database server under load
        wait_for(lambda: len(unavailable) >= 10, 60, "503 answers during the outage")
        ready = httpx.get(f"{app.base_url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["error"]["code"] == "not_ready"
        before_restart = len(acknowledged)
        database.start()
        wait_for(lambda: len(acknowledged) >= before_restart + 40, 90, "writes after the restart")
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in writers)
    assert unexpected == [], unexpected[:5]
    for answer in unavailable:
        error = answer["body"]["error"]  # type: ignore[index]
        assert error["code"] == "unavailable" and error["message"]["ja"] and error["message"]["en"]
        assert answer["retry"] == "5"
    assert httpx.get(f"{app.base_url}/readyz", timeout=30).status_code == 200  # reconnected by itself

    engine = make_engine(database.url)
    try:
        with engine.connect() as connection:
            stored = {row[0] for row in connection.execute(
                text("SELECT id FROM need WHERE disaster_id = :d"), {"d": disaster_id})}
            created = [int(row[0]) for row in connection.execute(text(
                "SELECT entity_id FROM event WHERE type = 'need.created' AND disaster_id = :d"), {"d": disaster_id})]
    finally:
        engine.dispose()
    print(f"postgres restart: {len(acknowledged)} acknowledged, {len(unavailable)} clean 503s, "
          f"{len(stored)} needs stored, {len(created)} need.created events")
    assert set(acknowledged) <= stored, "an acknowledged write was lost"
    assert sorted(created) == sorted(stored), "a need without its event, or an event without its need"
