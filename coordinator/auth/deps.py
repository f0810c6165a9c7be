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
        if user is None:
            raise _unauthenticated("Invalid or revoked API token", "APIトークンが無効か失効しています")
        return user
    cookie = connection.cookies.get(settings_of(connection).session_cookie_name)
    return user_for_cookie(session, cookie) if cookie else None


OptionalUser = Annotated[User | None, Depends(optional_user)]


def require_user(user: OptionalUser) -> User:
    """The signed-in user, or 401 Unauthenticated."""
    if user is None:
        raise _unauthenticated("Sign in or send an API token", "サインインするかAPIトークンを送ってください")
    return user


CurrentUser = Annotated[User, Depends(require_user)]
