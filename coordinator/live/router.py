"""The websocket route `/api/v1/live`: authenticate, then hand the socket to the realtime hub."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket
from sqlmodel import Session

from coordinator.live.principal import credentials_of, cross_site_origin, principal_of, user_for
from coordinator.live.setup import LiveState
from coordinator.live.visibility import Principal
from coordinator.ops.denials import Denial, audit_denial, credential_kind
from realtime.asgi import refuse, serve_websocket
from realtime.protocol import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, SubscriptionError

router = APIRouter()
log = logging.getLogger("ouen.live")


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
        return principal_of(user, coordinates=coordinates, whole_disasters=whole, credentials=credentials)


# Close codes that are permission denials, audited like HTTP 401/403 (a bad subscribe message or an idle
# client is not a denial).
_DENIALS = {CLOSE_UNAUTHENTICATED: (401, "unauthenticated"), CLOSE_FORBIDDEN: (403, "forbidden")}


async def _audit_refusal(websocket: WebSocket, cookie_name: str, error: SubscriptionError,
                         reason: str | None = None) -> None:
    """An auth.denied event for a refused websocket (never the credential itself); other refusals (a bad
    subscribe message, an oversized one) are logged with the field."""
    if error.code not in _DENIALS:
        log.info("live: refused a socket with %s: %s: %s", error.code, error.field, error.message_en)
        return
    status, code = _DENIALS[error.code]
    await audit_denial(websocket, Denial(
        method="WEBSOCKET", path=websocket.url.path, status=status, reason=reason or code,
        message=error.message_en, field=error.field, credential=credential_kind(websocket, cookie_name),
        client_ip=websocket.client.host if websocket.client else None))


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    """Live events: send {"type":"subscribe", "mode":..., "disaster_id":..., "since":...} after connecting."""
    state: LiveState = websocket.app.state.live
    credentials = credentials_of(websocket, state.cookie_name)
    if credentials is not None and credentials[0] == "session":
        origin = cross_site_origin(websocket, state.trusted_origins)
        if origin is not None:
            error = SubscriptionError(
                "origin", f"a page of another site ({origin}) may not use the session cookie here",
                f"他のサイトのページ（{origin}）からはセッションで接続できません", code=CLOSE_FORBIDDEN)
            await refuse(websocket, error)
            await _audit_refusal(websocket, state.cookie_name, error, reason="cross_site_request")
            return
    # Once per connection, in a worker thread: the event loop keeps fanning out meanwhile.
    principal = await asyncio.to_thread(_principal, state, credentials)

    async def audit(error: SubscriptionError) -> None:
        await _audit_refusal(websocket, state.cookie_name, error)

    await serve_websocket(state.hub, websocket, principal, block_members=state.block_members, on_refused=audit,
                          max_message_bytes=state.max_message_bytes)
