"""HTTP: sign-in, sign-out, the current user, one's own password and sessions; the secretariat's accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coordinator.auth import accounts
from coordinator.auth.addresses import client_address
from coordinator.auth.credentials import sha256_hex
from coordinator.auth.deps import CurrentUser, settings_of
from coordinator.auth.models import (
    AccountPublic,
    ApiTokenPublic,
    LoginRequest,
    NewSecret,
    PasswordChange,
    RoleChange,
    SessionPublic,
    TokenCreate,
    UserCreate,
    UserPublic,
)
from coordinator.auth.sessions import SignInPolicy, sign_in, sign_out
from coordinator.db import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=SessionRoute)
accounts_router = APIRouter(prefix="/api/v1", tags=["accounts"], route_class=SessionRoute)


def _cookie_id(request: Request) -> str | None:
    cookie = request.cookies.get(settings_of(request).session_cookie_name)
    return sha256_hex(cookie) if cookie else None


@router.post("/login", response_model=UserPublic)
def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> UserPublic:
    """Sign in with login and password; sets the HttpOnly session cookie and returns the user."""
    settings = settings_of(request)
    policy = SignInPolicy(max_failures=settings.login_max_failures,
                          window_seconds=settings.login_window_seconds, session_days=settings.session_days,
                          address_max_failures=settings.login_address_max_failures)
    client_ip = client_address(request.client.host if request.client else None, request.headers,
                               settings.trusted_proxies)
    result = sign_in(session, login=body.login, password=body.password, client_ip=client_ip, policy=policy,
                     user_agent=request.headers.get("user-agent"))
    response.set_cookie(settings.session_cookie_name, result.cookie_value,
                        max_age=settings.session_days * 86400, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/")
    return UserPublic.model_validate(result.user, from_attributes=True)


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep) -> Response:
    """Close the web session of this cookie (if any) and clear the cookie; its live sockets close (4401)."""
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


@router.post("/password", response_model=UserPublic)
def change_password(body: PasswordChange, request: Request, session: SessionDep, user: CurrentUser) -> UserPublic:
    """Change one's own password (the current one is asked again); one's other web sessions are revoked."""
    changed = accounts.change_own_password(session, user=user, current_password=body.current_password,
                                           new_password_=body.new_password, keep_session=_cookie_id(request))
    return UserPublic.model_validate(changed, from_attributes=True)


@router.get("/sessions", response_model=list[SessionPublic])
def my_sessions(session: SessionDep, user: CurrentUser) -> list[SessionPublic]:
    """One's own open web sessions (where and when they were opened, last seen)."""
    rows = accounts.list_sessions(session, user_id=user.id, actor=user)
    return [SessionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/sessions/{session_id}/revoke", response_model=SessionPublic)
def revoke_my_session(session_id: str, session: SessionDep, user: CurrentUser) -> SessionPublic:
    """Sign one of one's own web sessions out (e.g. a phone left behind)."""
    row = accounts.revoke_session(session, session_id=session_id, actor=user, own_only=True)
    return SessionPublic.model_validate(row, from_attributes=True)


# --- the secretariat's account management ---------------------------------------------------------

def _account(summary: accounts.AccountSummary) -> AccountPublic:
    return AccountPublic(**UserPublic.model_validate(summary.user, from_attributes=True).model_dump(),
                         open_sessions=summary.open_sessions, active_tokens=summary.active_tokens)


@accounts_router.get("/users", response_model=list[AccountPublic])
def list_users(session: SessionDep, user: CurrentUser) -> list[AccountPublic]:
    """Every account with its open sessions and working tokens counted (the secretariat)."""
    return [_account(s) for s in accounts.summaries(session, actor=user)]


@accounts_router.post("/users", response_model=NewSecret, status_code=201)
def add_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> NewSecret:
    """Add an account (the secretariat); a generated password is returned once when none is given."""
    created, generated = accounts.add_account(session, login=body.login, display_name=body.display_name,
                                              role=body.role, association_id=body.association_id,
                                              password=body.password, actor=user)
    return NewSecret(user=UserPublic.model_validate(created, from_attributes=True), secret=generated or "")


@accounts_router.post("/users/{user_id}/disable", response_model=UserPublic)
def disable(user_id: int, session: SessionDep, user: CurrentUser) -> UserPublic:
    """Disable an account: no sign-in, no tokens, its sessions revoked and its live sockets closed."""
    changed = accounts.set_active(session, user_id=user_id, active=False, actor=user)
    return UserPublic.model_validate(changed, from_attributes=True)


@accounts_router.post("/users/{user_id}/enable", response_model=UserPublic)
def enable(user_id: int, session: SessionDep, user: CurrentUser) -> UserPublic:
    """Enable a disabled account again (the person signs in anew)."""
    changed = accounts.set_active(session, user_id=user_id, active=True, actor=user)
    return UserPublic.model_validate(changed, from_attributes=True)


@accounts_router.post("/users/{user_id}/reset-password", response_model=NewSecret)
def reset_password(user_id: int, session: SessionDep, user: CurrentUser) -> NewSecret:
    """Give the account a new generated password, returned once; its web sessions are revoked."""
    changed, password = accounts.reset_password(session, user_id=user_id, actor=user)
    return NewSecret(user=UserPublic.model_validate(changed, from_attributes=True), secret=password)


@accounts_router.post("/users/{user_id}/role", response_model=UserPublic)
def set_role(user_id: int, body: RoleChange, session: SessionDep, user: CurrentUser) -> UserPublic:
    """Change an account's role and association; its live sockets reconnect with the new rights."""
    changed = accounts.set_role(session, user_id=user_id, role=body.role, association_id=body.association_id,
                                actor=user)
    return UserPublic.model_validate(changed, from_attributes=True)


@accounts_router.get("/users/{user_id}/sessions", response_model=list[SessionPublic])
def user_sessions(user_id: int, session: SessionDep, user: CurrentUser) -> list[SessionPublic]:
    """An account's open web sessions (the secretariat, or the person themselves)."""
    rows = accounts.list_sessions(session, user_id=user_id, actor=user)
    return [SessionPublic.model_validate(r, from_attributes=True) for r in rows]


@accounts_router.post("/sessions/{session_id}/revoke", response_model=SessionPublic)
def revoke_session(session_id: str, session: SessionDep, user: CurrentUser) -> SessionPublic:
    """Sign any web session out (the secretariat); its live sockets close."""
    row = accounts.revoke_session(session, session_id=session_id, actor=user)
    return SessionPublic.model_validate(row, from_attributes=True)


@accounts_router.get("/users/{user_id}/tokens", response_model=list[ApiTokenPublic])
def user_tokens(user_id: int, session: SessionDep, user: CurrentUser) -> list[ApiTokenPublic]:
    """An account's API tokens, never their secrets (the secretariat)."""
    return [ApiTokenPublic.model_validate(t, from_attributes=True)
            for t in accounts.tokens_of(session, user_id=user_id, actor=user)]


@accounts_router.post("/users/{user_id}/tokens", response_model=NewSecret, status_code=201)
def create_token(user_id: int, body: TokenCreate, session: SessionDep, user: CurrentUser) -> NewSecret:
    """Issue an API token for an account (the secretariat); its secret is returned once."""
    token, secret = accounts.issue_token(session, user_id=user_id, name=body.name, actor=user)
    owner = accounts.get_user(session, user_id)
    return NewSecret(user=UserPublic.model_validate(owner, from_attributes=True), secret=secret,
                     token=ApiTokenPublic.model_validate(token, from_attributes=True))


@accounts_router.post("/tokens/{token_id}/revoke", response_model=ApiTokenPublic)
def revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> ApiTokenPublic:
    """Revoke an API token (the secretariat); it stops at once and its live sockets close."""
    return ApiTokenPublic.model_validate(accounts.withdraw_token(session, token_id=token_id, actor=user),
                                         from_attributes=True)
