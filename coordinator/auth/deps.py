"""Who is asking: bearer token or session cookie, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from coordinator.auth.models import User
from coordinator.auth.service import authenticate_token
from coordinator.auth.sessions import user_for_cookie
from coordinator.db import SessionDep
from coordinator.errors import Unauthenticated
from coordinator.settings import Settings, get_settings


def settings_of(connection: HTTPConnection) -> Settings:
    """The settings of the app serving this request."""
    settings = getattr(connection.app.state, "settings", None)
    return settings if settings is not None else get_settings()


def _unauthenticated(message_en: str, message_ja: str) -> Unauthenticated:
    error = Unauthenticated(message_en, message_ja, field="authorization")
    error.headers = {"WWW-Authenticate": "Bearer"}
    return error


def optional_user(connection: HTTPConnection, session: SessionDep) -> User | None:
    """The signed-in user, or None when no credentials were sent; a bad bearer token is a 401."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthenticated("Authorization must be 'Bearer <token>'",
                                   "Authorization ヘッダーは 'Bearer <トークン>' の形式です")
        user = authenticate_token(session, secret.strip())
        _release_connection(session)
        if user is None:
            raise _unauthenticated("Invalid or revoked API token", "APIトークンが無効か失効しています")
        return user
    cookie = connection.cookies.get(settings_of(connection).session_cookie_name)
    user = user_for_cookie(session, cookie) if cookie else None
    _release_connection(session)
    return user


def _release_connection(session: SessionDep) -> None:
    # FastAPI runs this dependency and the endpoint in different worker threads. A transaction left open
    # holds its pooled connection across that hop: under a spike (tests/e2e/test_spike.py) every connection
    # was held by a request waiting for a worker thread, and every worker waited for a connection. Ending
    # the read gives the connection back; the user stays loaded (expire_on_commit=False).
    if session.in_transaction():
        session.commit()


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def require_user(user: OptionalUser) -> User:  # async: no worker thread needed to check a value
    """The signed-in user, or 401 Unauthenticated."""
    if user is None:
        raise _unauthenticated("Sign in or send an API token", "サインインするかAPIトークンを送ってください")
    return user


CurrentUser = Annotated[User, Depends(require_user)]
