"""Who is connecting: credentials from the websocket request, turned into a realtime Principal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket

from coordinator.auth.service import authenticate_token
from coordinator.auth.sessions import user_for_cookie
from realtime.auth import Principal

# disaster id -> associations whose events the user may read in that disaster, beyond their own.
CoordinatesOf = Callable[[Session, Any], Mapping[int, frozenset[str]]]
# disasters whose every event the user may read (e.g. staff of a fail-over secretariat).
WholeDisastersOf = Callable[[Session, Any], frozenset[int]]


def credentials_of(websocket: WebSocket, cookie_name: str = "ouen_session") -> tuple[str, str] | None:
    """("token", secret) from `?token=` or `Authorization: Bearer`, else ("session", id) from the cookie."""
    token = websocket.query_params.get("token")
    if not token:
        header = websocket.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
    if token:
        return ("token", token)
    cookie = websocket.cookies.get(cookie_name)
    return ("session", cookie) if cookie else None


def user_for(session: Session, credentials: tuple[str, str] | None) -> Any | None:
    """The active user behind the credentials, or None (unknown, revoked or expired)."""
    if credentials is None:
        return None
    kind, secret = credentials
    if kind == "token":
        return authenticate_token(session, secret)
    return user_for_cookie(session, secret)


def principal_of(user: Any, *, coordinates: Mapping[int, frozenset[str]] | None = None,
                 whole_disasters: frozenset[int] = frozenset()) -> Principal:
    """The realtime principal of a user (every role takes part in drills; DOMAIN.md, "Drill exercises")."""
    role = getattr(user, "role", "staff")
    role = getattr(role, "value", role)
    return Principal(user_id=int(user.id), role=str(role), association_id=getattr(user, "association_id", None),
                     may_read_drill=True, coordinates=coordinates or {}, whole_disasters=whole_disasters)
