"""One app instance for the multi-instance test: `python -m tests.realtime.instance DB_URL CHANNEL PORT`.

It serves the hub at /live and writes events through record_event at POST /events, using the
PostgreSQL backplane on CHANNEL (each test uses its own channel and schema).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket
from sqlmodel import Session

from coordinator.db import make_engine
from coordinator.events.service import record_event
from coordinator.live.setup import build_live, start_live, stop_live
from coordinator.live.visibility import Principal
from realtime.asgi import serve_websocket
from realtime.hub import HubConfig

TOKENS = {"sec": Principal(user_id=1, role="secretariat", may_read_drill=True),
          "osaka": Principal(user_id=3, role="staff", association_id="osaka", may_read_drill=True)}


def build(database_url: str, channel: str) -> FastAPI:
    """The instance's app."""
    engine = make_engine(database_url)
    live = build_live(engine, channel=channel,
                      config=HubConfig(heartbeat_interval=0.5, idle_timeout=None, poll_interval=None))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        await start_live(app, live)
        yield
        await stop_live(live)

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/live")
    async def live_route(websocket: WebSocket) -> None:
        await serve_websocket(live.hub, websocket, TOKENS.get(websocket.query_params.get("token", "")))

    @app.post("/events")
    def write(specs: list[dict[str, Any]]) -> list[int]:
        with Session(engine, expire_on_commit=False) as session:
            rows = [record_event(session, **spec) for spec in specs]
            session.commit()
            return [row.seq for row in rows]  # type: ignore[misc]

    @app.get("/listener")
    def listener() -> dict[str, Any]:
        return {"connected": live.backplane.connected.is_set(),  # type: ignore[union-attr]
                "reconnects": live.backplane.reconnects}  # type: ignore[union-attr]

    return app


if __name__ == "__main__":
    url, channel, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    uvicorn.run(build(url, channel), host="127.0.0.1", port=port, log_level="warning",
                ws_per_message_deflate=False)
