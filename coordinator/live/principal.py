"""Who is connecting: credentials from the websocket request, turned into a realtime Principal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.websockets import WebSocket

from coordinator.auth.credentials import sha256_hex
from coordinator.auth.service import authenticate_token
from coordinator.auth.sessions import user_for_cookie
from coordinator.live.visibility import Principal

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


def _netloc(origin: str) -> str:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") else ""


def cross_site_origin(websocket: WebSocket, trusted_origins: Iterable[str] = ()) -> str | None:
    """The Origin of a handshake from another site's page, or None (same site, trusted, or no browser).

    Browsers attach the session cookie to websocket handshakes from any page and let the server judge the
    Origin header (RFC 6455 §10.2; OWASP "Cross-Site WebSocket Hijacking"), so a cookie alone is not proof
    that our own pages opened the socket. Tokens cannot be sent by another site's page.
    """
    origin = websocket.headers.get("origin")
    if origin is None:
        return None  # not a browser page
    host = websocket.headers.get("host", "").lower()
    if _netloc(origin) in {_netloc(o) for o in trusted_origins} | {host} and _netloc(origin):
        return None
    return origin[:100]


def user_for(session: Session, credentials: tuple[str, str] | None) -> Any | None:
    """The active user behind the credentials, or None (unknown, revoked or expired)."""
    if credentials is None:
        return None
    kind, secret = credentials
    if kind == "token":
        return authenticate_token(session, secret)
    return user_for_cookie(session, secret)


def principal_of(user: Any, *, coordinates: Mapping[int, frozenset[str]] | None = None,
                 whole_disasters: frozenset[int] = frozenset(),
                 credentials: tuple[str, str] | None = None) -> Principal:
    """The realtime principal of a user (every role takes part in drills; DOMAIN.md, "Drill exercises").

    With `credentials` (kind, secret), the principal keeps the SHA-256 of the secret so that the guard can
    close the socket when it stops working (coordinator/live/guard.py)."""
    role = getattr(user, "role", "staff")
    role = getattr(role, "value", role)
    credential = (credentials[0], sha256_hex(credentials[1])) if credentials else None
    return Principal(user_id=int(user.id), role=str(role), association_id=getattr(user, "association_id", None),
                     may_read_drill=True, coordinates=coordinates or {}, whole_disasters=whole_disasters,
                     credential=credential)
