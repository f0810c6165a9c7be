"""Closing live sockets whose credentials stopped working: revoked token, signed out, disabled, new role.

A socket is authenticated once, when it opens; afterwards its principal carries the SHA-256 of the token
or cookie it came with. The guard checks every open socket's credential against the database
(auth.service.credential_holders, two queries for all sockets) and closes those that no longer work, or
whose user's role or association changed, with 4401 — the client then signs in again or reconnects with
its new rights (issue 12 item 3).

When: at once after the hub sees a revoking auth.* event — written by this instance or by another one
(PostgreSQL NOTIFY, or the hub's periodic read of the event table) — and every
OUEN_LIVE_REVALIDATE_SECONDS in any case (a session that simply expired writes no event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.auth.service import credential_holders
from realtime.hub import Hub
from realtime.protocol import CLOSE_UNAUTHENTICATED, Envelope

log = logging.getLogger("ouen.live")

# Events after which some open socket may no longer be allowed: check at once.
REVOKING_EVENTS = frozenset({"auth.token_revoked", "auth.logout", "auth.session_revoked", "auth.user_disabled",
                             "auth.role_changed", "auth.password_reset", "auth.password_changed"})


def invalid_subscribers(holders: dict[tuple[str, str], tuple[int, str, str | None]],
                        subscribers: Iterable[Any]) -> list[Any]:
    """Subscribers whose credential no longer works, or whose user's role or association changed."""
    gone = []
    for subscriber in subscribers:
        principal = subscriber.principal
        credential = getattr(principal, "credential", None)
        if credential is None:
            continue
        holder = holders.get(credential)
        if holder is None or holder != (principal.user_id, principal.role, principal.association_id):
            gone.append(subscriber)
    return gone


class CredentialGuard:
    """Re-validates the credentials of every open socket of one hub, periodically and on revoking events."""

    def __init__(self, engine: Engine, hub: Hub, interval: float | None) -> None:
        self.engine = engine
        self.hub = hub
        self.interval = interval or None
        self.closed = 0  # sockets closed for their credentials (for tests and metrics)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def on_event(self, envelope: Envelope) -> None:
        """Hub listener: a revoking event wakes the guard (called on the loop thread, never blocks)."""
        if envelope.type in REVOKING_EVENTS and self._wake is not None:
            self._wake.set()

    async def start(self) -> None:
        """Listen to the hub and start the loop."""
        self._wake = asyncio.Event()
        self.hub.listeners.append(self.on_event)
        self._task = asyncio.create_task(self._run(), name="ouen-live-guard")

    async def stop(self) -> None:
        """Stop the loop and stop listening."""
        if self.on_event in self.hub.listeners:
            self.hub.listeners.remove(self.on_event)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down for a moment: the next pass retries
                log.exception("live: checking the credentials of open sockets failed")

    async def check(self) -> int:
        """Check every open socket's credential once; close the ones that no longer work. How many closed."""
        subscribers = [s for s in self.hub.subscribers() if getattr(s.principal, "credential", None)]
        if not subscribers:
            return 0
        tokens = {s.principal.credential[1] for s in subscribers if s.principal.credential[0] == "token"}
        sessions = {s.principal.credential[1] for s in subscribers if s.principal.credential[0] == "session"}
        holders = await asyncio.to_thread(self._holders, tokens, sessions)
        gone = invalid_subscribers(holders, subscribers)
        for subscriber in gone:
            self.hub.close(subscriber, CLOSE_UNAUTHENTICATED)
        self.closed += len(gone)
        if gone:
            log.info("live: closed %d socket(s) whose credentials no longer work", len(gone))
        return len(gone)

    def _holders(self, tokens: set[str], sessions: set[str]) -> dict[tuple[str, str], tuple[int, str, str | None]]:
        with Session(self.engine) as session:
            return credential_holders(session, tokens=tokens, sessions=sessions)
