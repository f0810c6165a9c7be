"""Backplanes tell every hub that events were committed: in-process, or PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from realtime.hub import Hub
from realtime.protocol import Envelope

log = logging.getLogger("ouen.realtime")

CHANNEL = "ouen_events"


class MemoryBackplane:
    """One process: committed events go straight to the hub's loop (thread-safe, any thread may announce)."""

    def __init__(self) -> None:
        self._hub: Hub | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, hub: Hub) -> None:
        """Attach to the hub running on the current loop."""
        self._hub = hub
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        """Detach."""
        self._hub = None

    def announce(self, envelopes: Sequence[Envelope] = (), *, catch_up: bool = False) -> None:
        """Report committed events (or only that some were committed, with catch_up=True)."""
        hub, loop = self._hub, self._loop
        if hub is None or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            hub.notify(envelopes, catch_up=catch_up)
        else:
            loop.call_soon_threadsafe(lambda: hub.notify(envelopes, catch_up=catch_up))


def parse_notice(payload: str) -> int | None:
    """The sequence number in a NOTIFY payload "seq[ disaster_id mode]", or None if malformed."""
    head = payload.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def notice_payload(seq: int, disaster_id: int | None, mode: str | None) -> str:
    """The NOTIFY payload for one event: identifiers only, never the event body (8000-byte limit)."""
    return f"{seq} {disaster_id if disaster_id is not None else '-'} {mode or '-'}"


class PostgresBackplane:
    """Several instances: LISTEN on a channel; each notice wakes the hub, which reads events by seq.

    The hub reads the store from its own head, so a lost or duplicated notice costs nothing but a read,
    and after a reconnect one catch-up read delivers whatever was committed while the link was down.
    """

    def __init__(self, dsn: str, *, channel: str = CHANNEL, reconnect_initial: float = 0.2,
                 reconnect_max: float = 10.0, application_name: str = "ouen-realtime-listen") -> None:
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://", 1)
        self.channel = channel
        self.reconnect_initial = reconnect_initial
        self.reconnect_max = reconnect_max
        self.application_name = application_name
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self, hub: Hub) -> None:
        """Start listening (returns once the first LISTEN is in place, or after the first failure)."""
        self._task = asyncio.create_task(self._listen_forever(hub), name="realtime-pg-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 10)

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen_forever(self, hub: Hub) -> None:
        import psycopg

        delay = self.reconnect_initial
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self.dsn, autocommit=True, application_name=self.application_name) as connection:
                    await connection.execute(f'LISTEN "{self.channel}"')
                    self.connected.set()
                    delay = self.reconnect_initial
                    hub.notify(catch_up=True)  # whatever was committed before or while we were away
                    async for notice in connection.notifies():
                        if parse_notice(notice.payload) is not None:
                            hub.notify(catch_up=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("realtime LISTEN connection lost (%s); reconnecting in %.1fs", exc, delay)
            finally:
                self.connected.clear()
            self.reconnects += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max)
