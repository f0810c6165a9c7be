"""Start and stop the bulletin inputs that run inside `ouen serve`: the JMA feed poller and the watched
folder (both off unless configured; docs/bulletins.md "Inputs")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.bulletins import service
from coordinator.bulletins.feed import FeedPoller
from coordinator.bulletins.folder import FolderWatcher
from coordinator.errors import DomainError
from coordinator.settings import Settings

log = logging.getLogger("ouen.bulletins")


def handler(engine: Engine, source: str, settings: Settings, *, refuse: bool) -> Callable[[bytes, str], None]:
    """Store one bulletin as the system (no user); `refuse` re-raises a refusal (the folder files it)."""

    def handle(data: bytes, origin: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = service.ingest(session, data=data, source=source, actor=None,
                                        max_bytes=settings.bulletin_max_bytes)
            except DomainError as error:
                log.warning("bulletin refused", extra={"origin": origin, "reason": error.message_en})
                if refuse:
                    raise
                return
        log.info("bulletin received", extra={"origin": origin, "outcome": result.bulletin.outcome,
                                            "duplicate": result.duplicate})

    return handle


@dataclass
class BulletinInputs:
    """The running input tasks and the event that stops them."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def start_inputs(engine: Engine, settings: Settings) -> BulletinInputs:
    """Start the configured inputs on the running event loop."""
    inputs = BulletinInputs()
    if settings.jma_feed_enabled and settings.jma_feed_urls:
        poller = FeedPoller(settings.jma_feed_urls, handler(engine, "feed", settings, refuse=False),
                            interval=settings.jma_feed_interval_seconds,
                            max_backoff=settings.jma_feed_max_backoff_seconds)
        inputs.tasks.append(asyncio.create_task(poller.run(inputs.stop), name="jma-feed"))
    if settings.bulletin_folder is not None:
        watcher = FolderWatcher(settings.bulletin_folder, handler(engine, "folder", settings, refuse=True),
                                interval=settings.bulletin_folder_interval_seconds)
        inputs.tasks.append(asyncio.create_task(watcher.run(inputs.stop), name="bulletin-folder"))
    return inputs


async def stop_inputs(inputs: BulletinInputs) -> None:
    """Ask the inputs to stop and wait for them (a poll in progress finishes first)."""
    inputs.stop.set()
    if inputs.tasks:
        await asyncio.gather(*inputs.tasks, return_exceptions=True)
