"""Two app instances sharing one PostgreSQL: what is written through A reaches a client of B, exactly once,
even when B's LISTEN connection is cut and restored in the middle."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlmodel import SQLModel

from coordinator.db import make_engine
from coordinator.events.models import Event
from tests.realtime.harness import open_client, read_events, read_until_live
from tests.support import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def schema_url(postgres_url: str):
    """A private schema (and so a private event table) on the shared server, dropped afterwards."""
    schema = f"rt_{uuid.uuid4().hex[:10]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in plain else "?"
    url = f"{plain}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine, tables=[Event.__table__])  # type: ignore[list-item]
    engine.dispose()
    yield url, schema
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def start_instance(url: str, channel: str, log_path: Path) -> tuple[ServerProcess, str]:
    """tests.realtime.instance (the hub on PostgreSQL, no app) as a real server, ready once it listens."""
    server = ServerProcess(url, log_path, argv=["-m", "tests.realtime.instance", url, channel, "{port}"],
                           ready_path="/listener", ready=lambda response: response.json()["connected"])
    server.start(ready_within=30)
    return server, f"127.0.0.1:{server.port}"


def spec(n: int) -> dict[str, object]:
    return {"type": "need.created", "entity": "need", "entity_id": str(n), "disaster_id": 1, "mode": "live",
            "associations": [], "payload": {"n": n}}


async def test_event_written_through_a_reaches_client_of_b_exactly_once(schema_url, postgres_url,
                                                                        tmp_path: Path) -> None:
    url, schema = schema_url
    channel = f"ouen_events_{schema}"
    a, a_base = start_instance(url, channel, tmp_path / "a.log")
    b, b_base = start_instance(url, channel, tmp_path / "b.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://{a_base}") as writer:
            on_b = await open_client(f"ws://{b_base}/live", "osaka", {"mode": "live", "since": 0})
            on_a = await open_client(f"ws://{a_base}/live", "sec", {"mode": "live"})
            assert (await read_until_live(on_b))[0] == []
            await read_until_live(on_a)

            first = (await writer.post("/events", json=[spec(1), spec(2)])).json()
            assert [e["seq"] for e in await read_events(on_b, 2)] == first
            assert [e["seq"] for e in await read_events(on_a, 2)] == first

            # Cut B's LISTEN connection; write while it is down; B reconnects and catches up.
            plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(plain, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'ouen-realtime-listen' AND query LIKE %s",
                    (f'%{channel}%',)).fetchone()
            assert killed is not None and killed[0] >= 1
            during = []
            for n in range(3, 13):
                during += (await writer.post("/events", json=[spec(n)])).json()
            received = await read_events(on_b, len(during), timeout=60)
            assert [e["seq"] for e in received] == during
            assert [e["payload"]["n"] for e in received] == list(range(3, 13))

            # Nothing twice: the next event is the very next frame B's client sees.
            last = (await writer.post("/events", json=[spec(13)])).json()
            assert [e["seq"] for e in await read_events(on_b, 1)] == last
            reconnects = httpx.get(f"http://{b_base}/listener").json()["reconnects"]
            assert reconnects >= 1
            await on_a.close()
            await on_b.close()
    finally:
        for server in (a, b):
            server.stop()
        await asyncio.sleep(0)
