"""Building and running the realtime side of the app: store, hub, backplane and publisher."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from coordinator.events.service import Publisher
from coordinator.live.guard import CredentialGuard
from coordinator.live.principal import CoordinatesOf, WholeDisastersOf
from coordinator.live.publisher import (
    disable_pg_notify,
    enable_pg_notify,
    install_memory_publisher,
    uninstall_publisher,
)
from coordinator.live.store import SqlEventStore
from coordinator.live.visibility import (
    acting_secretariat_disasters,
    block_members_of,
    can_see_as_timeline,
    default_authorize,
    default_can_see,
)
from coordinator.settings import Settings
from realtime.auth import CanSee
from realtime.backplane import CHANNEL, MemoryBackplane, PostgresBackplane
from realtime.hub import Hub, HubConfig

log = logging.getLogger("ouen.live")


@dataclass
class LiveState:
    """What the live route needs, kept on `app.state.live`."""

    engine: Engine
    hub: Hub
    backplane: MemoryBackplane | PostgresBackplane
    cookie_name: str = "ouen_session"
    block_members: Mapping[str, frozenset[str]] | None = None
    coordinates_of: CoordinatesOf | None = None
    whole_disasters_of: WholeDisastersOf | None = None
    channel: str = CHANNEL
    # Origins besides the Host's own whose pages may open the socket with the session cookie.
    trusted_origins: tuple[str, ...] = ()
    publisher: Publisher | None = field(default=None, repr=False)
    # Closes sockets whose credentials stopped working (revoked, signed out, disabled, new role).
    guard: CredentialGuard | None = field(default=None, repr=False)
    # Largest client message accepted on the socket (close 1009 above it).
    max_message_bytes: int | None = None


def build_live(engine: Engine, *, config: HubConfig | None = None, can_see: CanSee = default_can_see,
               cookie_name: str = "ouen_session", block_members: Mapping[str, frozenset[str]] | None = None,
               coordinates_of: CoordinatesOf | None = None, whole_disasters_of: WholeDisastersOf | None = None,
               postgres_listen_url: str | None = None, channel: str = CHANNEL) -> LiveState:
    """A hub over the event table, with LISTEN/NOTIFY on PostgreSQL and the in-process backplane otherwise."""
    hub = Hub(SqlEventStore(engine), can_see=can_see, authorize=default_authorize, config=config)
    backplane: MemoryBackplane | PostgresBackplane
    if engine.dialect.name == "postgresql":
        backplane = PostgresBackplane(postgres_listen_url or engine.url.render_as_string(hide_password=False),
                                      channel=channel)
    else:
        backplane = MemoryBackplane()
    return LiveState(engine=engine, hub=hub, backplane=backplane, cookie_name=cookie_name,
                     block_members=block_members, coordinates_of=coordinates_of,
                     whole_disasters_of=whole_disasters_of, channel=channel)


def hub_config_of(settings: Settings) -> HubConfig:
    """The hub's tunables from OUEN_LIVE_* settings (0 turns a period off)."""
    return HubConfig(max_queue=settings.live_max_queue,
                     heartbeat_interval=settings.live_heartbeat_seconds or None,
                     idle_timeout=settings.live_idle_seconds or None,
                     poll_interval=settings.live_poll_seconds or None)


def live_for_app(engine: Engine, settings: Settings) -> LiveState:
    """The live channel as the app serves it: the timeline's visibility rule, blocks from the agreement."""
    from agreements import AgreementError, load_agreement

    try:
        block_members = block_members_of(load_agreement(settings.agreement_file, data_dir=settings.data_dir))
    except (AgreementError, OSError) as error:
        # The app still serves everything else; only `block` filters are refused (unknown block).
        log.warning("live: no block filters, the agreement did not load: %s", error)
        block_members = None
    live = build_live(engine, config=hub_config_of(settings), can_see=can_see_as_timeline,
                      cookie_name=settings.session_cookie_name, block_members=block_members,
                      whole_disasters_of=acting_secretariat_disasters, channel=settings.live_channel)
    live.trusted_origins = tuple(getattr(settings, "trusted_origins", ()) or ())
    live.guard = CredentialGuard(engine, live.hub, settings.live_revalidate_seconds)
    live.max_message_bytes = settings.live_max_message_bytes
    return live


async def start_live(app: FastAPI, live: LiveState) -> None:
    """Start the hub and its backplane and begin publishing (call from the app's lifespan)."""
    app.state.live = live
    await live.hub.start()
    await live.backplane.start(live.hub)
    if isinstance(live.backplane, MemoryBackplane):
        live.publisher = install_memory_publisher(live.backplane, live.engine)
    else:
        enable_pg_notify(live.engine, live.channel)
    if live.guard is not None:
        await live.guard.start()


async def stop_live(live: LiveState) -> None:
    """Stop publishing, close subscribers, stop the backplane (call from the app's lifespan)."""
    if live.guard is not None:
        await live.guard.stop()
    if live.publisher is not None:
        uninstall_publisher(live.publisher)
        live.publisher = None
    if isinstance(live.backplane, PostgresBackplane):
        disable_pg_notify(live.engine, live.channel)
    await live.backplane.stop()
    await live.hub.stop()
