"""The real route /api/v1/live on the real app: bearer tokens (query or header), roles from the user table."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from websockets.asyncio.client import connect

from coordinator.app import create_app
from coordinator.db import make_engine
from coordinator.events.service import record_event
from coordinator.live.router import router as live_router
from coordinator.live.setup import build_live, start_live, stop_live
from coordinator.settings import Settings
from realtime.hub import HubConfig
from realtime.protocol import CLOSE_UNAUTHENTICATED
from tests.coordinator.conftest import create_user_with_token, prepare_database
from tests.realtime.harness import close_code_of, open_client, read_events, read_until_live, serve_app


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ouen.sqlite3'}")
    prepare_database(engine)
    yield engine
    engine.dispose()


def record(engine, association: str, n: int) -> int:
    with Session(engine, expire_on_commit=False) as session:
        row = record_event(session, type="need.created", entity="need", entity_id=str(n), disaster_id=1,
                           mode="live", associations=[association], payload={"n": n})
        session.commit()
        return row.seq  # type: ignore[return-value]


async def test_live_route_authenticates_tokens_and_applies_roles(engine, tmp_path) -> None:
    _, ishikawa = create_user_with_token(engine, "staff", "pref_ishikawa")
    _, secretariat = create_user_with_token(engine, "secretariat")
    app = create_app(Settings(database_url=str(engine.url)), engine=engine)
    app.include_router(live_router)
    live = build_live(engine, config=HubConfig(heartbeat_interval=None, idle_timeout=None, poll_interval=None))
    with serve_app(app, live, "/api/v1/live") as server:
        server.call(lambda: start_live(app, live))
        try:
            stranger = await open_client(server.url, "not-a-token", {"mode": "live"})
            assert (await close_code_of(stranger))[0] == CLOSE_UNAUTHENTICATED

            staff = await open_client(server.url, ishikawa, {"mode": "live", "disaster_id": 1})
            # The same principal through the Authorization header instead of ?token=.
            boss = await connect(server.url, additional_headers={"Authorization": f"Bearer {secretariat}"},
                                 compression=None, proxy=None)
            await boss.send('{"type": "subscribe", "mode": "live"}')
            await read_until_live(staff)
            await read_until_live(boss)

            toyama_seq = record(engine, "pref_toyama", 1)
            ishikawa_seq = record(engine, "pref_ishikawa", 2)
            assert [e["seq"] for e in await read_events(boss, 2)] == [toyama_seq, ishikawa_seq]
            # Staff of Ishikawa never see Toyama's event: the first thing they get is their own.
            assert [e["seq"] for e in await read_events(staff, 1)] == [ishikawa_seq]
            await staff.close()
            await boss.close()
        finally:
            server.call(lambda: stop_live(live))


