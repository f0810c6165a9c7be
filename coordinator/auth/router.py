"""HTTP: password sign-in, sign-out and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coordinator.auth.deps import CurrentUser, settings_of
from coordinator.auth.models import LoginRequest, UserPublic
from coordinator.auth.sessions import SignInPolicy, sign_in, sign_out
from coordinator.db import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=SessionRoute)


@router.post("/login", response_model=UserPublic)
def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> UserPublic:
    """Sign in with login and password; sets the HttpOnly session cookie and returns the user."""
    settings = settings_of(request)
    policy = SignInPolicy(max_failures=settings.login_max_failures,
                          window_seconds=settings.login_window_seconds, session_days=settings.session_days)
    client_ip = request.client.host if request.client else "unknown"
    result = sign_in(session, login=body.login, password=body.password, client_ip=client_ip, policy=policy)
    response.set_cookie(settings.session_cookie_name, result.cookie_value,
                        max_age=settings.session_days * 86400, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/")
    return UserPublic.model_validate(result.user, from_attributes=True)


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep) -> Response:
    """Close the web session of this cookie (if any) and clear the cookie."""
    settings = settings_of(request)
    cookie = request.cookies.get(settings.session_cookie_name)
    if cookie:
        sign_out(session, cookie)
    response = Response(status_code=204)
    response.delete_cookie(settings.session_cookie_name, path="/", httponly=True, samesite="lax",
                           secure=settings.cookie_secure)
    return response


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic.model_validate(user, from_attributes=True)
