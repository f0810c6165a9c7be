"""A small ASGI app around the real hub, served by uvicorn on a loopback port, and a websocket client.

serve_app is the in-process counterpart of tests/support.py:ServerProcess: tests that must reach into the
running hub (its loop, its state) serve the app in a thread instead of a child process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from coordinator.db import make_engine
from coordinator.disasters.models import Disaster
from coordinator.events.models import Event
from coordinator.events.service import record_event
from coordinator.live.setup import LiveState, build_live, start_live, stop_live
from coordinator.live.visibility import Principal
from realtime.asgi import serve_websocket
from realtime.hub import HubConfig
from tests.support import free_port

BLOCKS = {"kinki": frozenset({"osaka", "kyoto"}), "kanto": frozenset({"tokyo"})}


def file_engine(url: str) -> Engine:
    """An engine with the event table and the (empty) disaster table the event writer reads created."""
    engine = make_engine(url)
    # record_event writes the notifications outbox before commit, which looks up an event's disaster.
    SQLModel.metadata.create_all(engine, tables=[Event.__table__, Disaster.__table__])  # type: ignore[list-item]
    return engine


def make_test_app(engine: Engine, tokens: dict[str, Principal], config: HubConfig) -> tuple[FastAPI, LiveState]:
    """The hub over the event table, authenticating by `?token=` against a fixed table of principals."""
    live = build_live(engine, config=config)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        await start_live(app, live)
        yield
        await stop_live(live)

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/live")
    async def live_route(websocket: WebSocket) -> None:
        principal = tokens.get(websocket.query_params.get("token", ""))
        await serve_websocket(live.hub, websocket, principal, block_members=BLOCKS)

    return app, live


@dataclass
class RunningServer:
    """A uvicorn server running the test app in its own thread and event loop."""

    url: str
    live: LiveState
    server: uvicorn.Server
    thread: threading.Thread
    loop_box: list[asyncio.AbstractEventLoop] = field(default_factory=list)

    def call(self, function: Callable[[], Any]) -> Any:
        """Run `function` on the server's loop and return its result."""
        loop = self.loop_box[0]
        future: asyncio.Future[Any] = asyncio.run_coroutine_threadsafe(_call(function), loop)  # type: ignore[arg-type]
        return future.result(10)


async def _call(function: Callable[[], Any]) -> Any:
    result = function()
    if asyncio.iscoroutine(result):
        result = await result
    return result


@contextlib.contextmanager
def serve(engine: Engine, tokens: dict[str, Principal], config: HubConfig) -> Iterator[RunningServer]:
    """Start the test app on a loopback port; stop it on exit."""
    app, live = make_test_app(engine, tokens, config)
    with serve_app(app, live, "/live") as server:
        yield server


@contextlib.contextmanager
def serve_app(app: FastAPI, live: LiveState, path: str) -> Iterator[RunningServer]:
    """Run any app with uvicorn in a thread on a loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws_per_message_deflate=False, lifespan="on"))
    loop_box: list[asyncio.AbstractEventLoop] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        loop_box.append(loop)
        loop.run_until_complete(server.serve())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        thread.join(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield RunningServer(f"ws://127.0.0.1:{port}{path}", live, server, thread, loop_box)
    finally:
        server.should_exit = True
        thread.join(15)


def write_events(engine: Engine, specs: list[dict[str, Any]]) -> list[int]:
    """Record events in one transaction through record_event and commit; returns their seqs.

    The realtime tests' databases hold the event table only, so an actor's capacity is never looked up
    (an explicit, empty `acted_as`) unless a spec gives one."""
    with Session(engine, expire_on_commit=False) as session:
        rows = [record_event(session, **{"acted_as": {}, **spec}) for spec in specs]
        session.commit()
        return [row.seq for row in rows]  # type: ignore[misc]


async def open_client(url: str, token: str, subscription: dict[str, Any], **kwargs: Any) -> ClientConnection:
    """Connect and subscribe."""
    client = await connect(f"{url}?token={token}", compression=None, proxy=None, open_timeout=20,
                           max_size=None, **kwargs)
    # A refused client (4401) may be closed before its subscribe message goes out; the close is read later.
    with contextlib.suppress(ConnectionClosed):
        await client.send(json.dumps({"type": "subscribe", **subscription}))
    return client


async def read_until_live(client: ClientConnection, timeout: float = 30) -> tuple[list[dict[str, Any]], int]:
    """Events received until the live marker, and the marker's seq."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await client.recv())
            if message["type"] == "event":
                events.append(message["event"])
            elif message["type"] == "live":
                return events, message["seq"]
            elif message["type"] != "heartbeat":
                raise AssertionError(f"unexpected message {message}")


async def read_events(client: ClientConnection, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The next `count` events (heartbeats and markers skipped)."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(events) < count:
            message = json.loads(await client.recv())
            if message["type"] == "event":
                events.append(message["event"])
    return events


async def close_code_of(client: ClientConnection, timeout: float = 30) -> tuple[int | None, list[dict[str, Any]]]:
    """Read until the server closes; the close code and every message received before it."""
    messages: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                messages.append(json.loads(await client.recv()))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), messages
