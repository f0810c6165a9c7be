"""The websocket route `/api/v1/live`: authenticate, then hand the socket to the realtime hub."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket
from sqlmodel import Session

from coordinator.live.principal import credentials_of, cross_site_origin, principal_of, user_for
from coordinator.live.setup import LiveState
from realtime.asgi import refuse, serve_websocket
from realtime.auth import Principal
from realtime.protocol import CLOSE_FORBIDDEN, SubscriptionError

router = APIRouter()


def _principal(state: LiveState, credentials: tuple[str, str] | None) -> Principal | None:
    """The principal behind the credentials, or None; blocking (runs in a worker thread)."""
    if credentials is None:
        return None
    with Session(state.engine) as session:
        user = user_for(session, credentials)
        if user is None:
            return None
        coordinates = state.coordinates_of(session, user) if state.coordinates_of else None
        whole = state.whole_disasters_of(session, user) if state.whole_disasters_of else frozenset()
        return principal_of(user, coordinates=coordinates, whole_disasters=whole)


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    """Live events: send {"type":"subscribe", "mode":..., "disaster_id":..., "since":...} after connecting."""
    state: LiveState = websocket.app.state.live
    credentials = credentials_of(websocket, state.cookie_name)
    if credentials is not None and credentials[0] == "session":
        origin = cross_site_origin(websocket, state.trusted_origins)
        if origin is not None:
            await refuse(websocket, SubscriptionError(
                "origin", f"a page of another site ({origin}) may not use the session cookie here",
                f"他のサイトのページ（{origin}）からはセッションで接続できません", code=CLOSE_FORBIDDEN))
            return
    # Once per connection, in a worker thread: the event loop keeps fanning out meanwhile.
    principal = await asyncio.to_thread(_principal, state, credentials)
    await serve_websocket(state.hub, websocket, principal, block_members=state.block_members)
