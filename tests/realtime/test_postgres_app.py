"""The real app on PostgreSQL picks the LISTEN/NOTIFY backplane: two `create_app` servers sharing one
database, a need declared over HTTP through A reaches a websocket client of B."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import psycopg
import pytest

from coordinator.db import make_engine
from tests.realtime.harness import open_client, read_events, read_until_live
from tests.support import ServerProcess, create_user_with_token, prepare_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ISHIKAWA = "pref_ishikawa"


@pytest.fixture
def migrated_schema_url(postgres_url: str) -> Iterator[str]:
    """A private, migrated schema with the associations, on the shared server; dropped afterwards."""
    schema = f"rtapp_{uuid.uuid4().hex[:10]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{plain}{'&' if '?' in plain else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    prepare_database(engine)
    engine.dispose()
    yield url
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of a response that must have this status."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def test_a_need_written_through_one_app_reaches_a_client_of_the_other(
        migrated_schema_url: str, server_factory: Callable[..., ServerProcess]) -> None:
    # No poll: only a NOTIFY can wake B's hub, so passing proves the PostgreSQL backplane is in use.
    quiet = {"OUEN_LIVE_POLL_SECONDS": "0"}
    a = server_factory(migrated_schema_url, env=quiet).base_url
    b = server_factory(migrated_schema_url, env=quiet).base_url
    engine = make_engine(migrated_schema_url)
    try:
        secretariat = create_user_with_token(engine, "secretariat")[1]
        ishikawa = create_user_with_token(engine, "staff", ISHIKAWA)[1]
    finally:
        engine.dispose()
    async with httpx.AsyncClient(base_url=a, timeout=30) as http:
        disaster = ok(await http.post("/api/v1/disasters", headers={"Authorization": f"Bearer {secretariat}"},
                                      json={"name": "能登半島地震", "kind": "earthquake", "mode": "live",
                                            "area": {"prefectures": ["17"]}}), 201)
        client = await open_client(b.replace("http://", "ws://") + "/api/v1/live", ishikawa,
                                   {"mode": "live", "disaster_id": disaster["id"]})
        await read_until_live(client)
        need = ok(await http.post(f"/api/v1/disasters/{disaster['id']}/needs",
                                  headers={"Authorization": f"Bearer {ishikawa}"},
                                  json={"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi",
                                        "headcount": 2, "start": date.today().isoformat(), "days": 3,
                                        "place": "17204"}), 201)
    [received] = await read_events(client, 1)
    assert (received["type"], received["entity_id"]) == ("need.created", str(need["id"]))
    await client.close()
