"""The websocket route `/api/v1/live`: authenticate, then hand the socket to the realtime hub."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket
from sqlmodel import Session

from coordinator.live.principal import credentials_of, principal_of, user_for
from coordinator.live.setup import LiveState
from realtime.asgi import serve_websocket

router = APIRouter()


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    """Live events: send {"type":"subscribe", "mode":..., "disaster_id":..., "since":...} after connecting."""
    state: LiveState = websocket.app.state.live
    credentials = credentials_of(websocket, state.cookie_name)
    principal = None
    if credentials is not None:
        # A short blocking lookup, once per connection; it keeps auth in the auth domain's one place.
        with Session(state.engine) as session:
            user = user_for(session, credentials)
            if user is not None:
                coordinates = state.coordinates_of(session, user) if state.coordinates_of else None
                principal = principal_of(user, coordinates=coordinates)
    await serve_websocket(state.hub, websocket, principal, block_members=state.block_members)
