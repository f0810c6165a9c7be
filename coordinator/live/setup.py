"""Building and running the realtime side of the app: store, hub, backplane and publisher."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from coordinator.events.service import Publisher
from coordinator.live.principal import CoordinatesOf
from coordinator.live.publisher import (
    disable_pg_notify,
    enable_pg_notify,
    install_memory_publisher,
    uninstall_publisher,
)
from coordinator.live.store import SqlEventStore
from realtime.auth import CanSee, default_can_see
from realtime.backplane import CHANNEL, MemoryBackplane, PostgresBackplane
from realtime.hub import Hub, HubConfig


@dataclass
class LiveState:
    """What the live route needs, kept on `app.state.live`."""

    engine: Engine
    hub: Hub
    backplane: MemoryBackplane | PostgresBackplane
    cookie_name: str = "ouen_session"
    block_members: Mapping[str, frozenset[str]] | None = None
    coordinates_of: CoordinatesOf | None = None
    channel: str = CHANNEL
    publisher: Publisher | None = field(default=None, repr=False)


def build_live(engine: Engine, *, config: HubConfig | None = None, can_see: CanSee = default_can_see,
               cookie_name: str = "ouen_session", block_members: Mapping[str, frozenset[str]] | None = None,
               coordinates_of: CoordinatesOf | None = None, postgres_listen_url: str | None = None,
               channel: str = CHANNEL) -> LiveState:
    """A hub over the event table, with LISTEN/NOTIFY on PostgreSQL and the in-process backplane otherwise."""
    hub = Hub(SqlEventStore(engine), can_see=can_see, config=config)
    backplane: MemoryBackplane | PostgresBackplane
    if engine.dialect.name == "postgresql":
        backplane = PostgresBackplane(postgres_listen_url or engine.url.render_as_string(hide_password=False),
                                      channel=channel)
    else:
        backplane = MemoryBackplane()
    return LiveState(engine=engine, hub=hub, backplane=backplane, cookie_name=cookie_name,
                     block_members=block_members, coordinates_of=coordinates_of, channel=channel)


async def start_live(app: FastAPI, live: LiveState) -> None:
    """Start the hub and its backplane and begin publishing (call from the app's lifespan)."""
    app.state.live = live
    await live.hub.start()
    await live.backplane.start(live.hub)
    if isinstance(live.backplane, MemoryBackplane):
        live.publisher = install_memory_publisher(live.backplane)
    else:
        enable_pg_notify(live.channel)


async def stop_live(live: LiveState) -> None:
    """Stop publishing, close subscribers, stop the backplane (call from the app's lifespan)."""
    if live.publisher is not None:
        uninstall_publisher(live.publisher)
        live.publisher = None
    if isinstance(live.backplane, PostgresBackplane):
        disable_pg_notify(live.channel)
    await live.backplane.stop()
    await live.hub.stop()
