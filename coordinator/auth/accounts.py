"""Account management: disable and enable, reset and change passwords, change roles, list and revoke sessions.

The secretariat manages accounts (policy.py); everyone manages their own password and sessions; an `actor`
of None is the operator at the server's console (`ouen users …`). Every
change is one `auth.*` event, written in the same transaction. What a change revokes stops working at
once over HTTP (credentials are checked on every request) and closes the person's live sockets within
seconds (coordinator/live/guard.py, close code 4401).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from coordinator.auth.credentials import hash_password, new_password, verify_password
from coordinator.auth.models import ROLE_SECRETARIAT, ApiToken, LoginSession, User, as_utc, utcnow
from coordinator.auth.policy import ensure_can_manage_accounts
from coordinator.auth.service import (
    MIN_PASSWORD_LENGTH,
    check_role_and_association,
    create_token,
    create_user,
    list_tokens,
    revoke_token,
)
from coordinator.db import writes
from coordinator.errors import Conflict, Invalid, NotFound, Unauthenticated, load_or_404
from coordinator.events.service import record_event


@dataclass(frozen=True)
class AccountSummary:
    """A user with how many web sessions are open and how many API tokens work."""

    user: User
    open_sessions: int
    active_tokens: int


def get_user(session: Session, user_id: int) -> User:
    """A user by id, or NotFound naming user_id."""
    return load_or_404(session, User, user_id, field="user_id", what_en="user", what_ja="利用者")


def _authorise(actor: User | None) -> None:
    if actor is not None:
        ensure_can_manage_accounts(actor)


def summaries(session: Session, *, actor: User | None = None) -> list[AccountSummary]:
    """Every user with counts of open sessions and working tokens (two GROUP BY queries)."""
    _authorise(actor)
    now = utcnow()
    sessions = dict(session.exec(
        select(LoginSession.user_id, func.count()).where(col(LoginSession.revoked_at).is_(None),
                                                         col(LoginSession.expires_at) > now)
        .group_by(LoginSession.user_id)).all())
    tokens = dict(session.exec(
        select(ApiToken.user_id, func.count()).where(col(ApiToken.revoked_at).is_(None))
        .group_by(ApiToken.user_id)).all())
    users = session.exec(select(User).order_by(col(User.id))).all()
    return [AccountSummary(u, int(sessions.get(u.id, 0)), int(tokens.get(u.id, 0))) for u in users]


def _record(session: Session, type: str, user: User, actor: User | None, **payload: object) -> None:
    record_event(session, type=type, entity="user", entity_id=user.id or 0,
                 actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 payload={"user_id": user.id, "login": user.login, **payload})


def _revoke_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """Revoke the user's open web sessions (all, or all but `keep`); how many."""
    now = utcnow()
    rows = session.exec(select(LoginSession).where(LoginSession.user_id == user_id,
                                                   col(LoginSession.revoked_at).is_(None))).all()
    revoked = 0
    for row in rows:
        if row.id != keep and as_utc(row.expires_at) > now:
            row.revoked_at = now
            session.add(row)
            revoked += 1
    return revoked


def _other_active_secretariats(session: Session, user: User) -> int:
    query = select(func.count()).select_from(User).where(
        User.role == ROLE_SECRETARIAT, col(User.is_active).is_(True), User.id != user.id)
    return int(session.exec(query).one())


def _keep_one_secretariat(session: Session, user: User, act_en: str, act_ja: str) -> None:
    """Nobody may take away the last active secretariat account: then nobody could manage accounts."""
    if user.role == ROLE_SECRETARIAT and user.is_active and _other_active_secretariats(session, user) == 0:
        raise Conflict(f"user_id: {user.login} is the last active secretariat account and cannot be {act_en}",
                       f"user_id：{user.login} は有効な最後の事務局アカウントのため{act_ja}できません",
                       field="user_id")


def add_account(session: Session, *, login: str, display_name: str, role: str, association_id: str | None,
                password: str | None, actor: User | None) -> tuple[User, str | None]:
    """A new account; without a password one is generated and returned (shown once)."""
    _authorise(actor)
    generated = new_password() if password is None else None
    user = create_user(session, login=login, display_name=display_name, role=role, association_id=association_id,
                       password=password if password is not None else generated,
                       actor_user_id=actor.id if actor else None)
    return user, generated


def issue_token(session: Session, *, user_id: int, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """An API token for a user (e.g. an integration's account); its secret is returned once."""
    _authorise(actor)
    get_user(session, user_id)
    return create_token(session, user_id=user_id, name=name, actor=actor)


def tokens_of(session: Session, *, user_id: int | None, actor: User | None) -> list[ApiToken]:
    """API tokens (never their secrets), of one user or all."""
    _authorise(actor)
    return list_tokens(session, user_id=user_id)


def withdraw_token(session: Session, *, token_id: int, actor: User | None) -> ApiToken:
    """Revoke any API token (the secretariat); it stops at once and its sockets close."""
    _authorise(actor)
    return revoke_token(session, token_id=token_id, actor=actor)


@writes
def set_active(session: Session, *, user_id: int, active: bool, actor: User | None) -> User:
    """Disable (sign-in, tokens and sockets stop; its web sessions are revoked) or enable an account."""
    _authorise(actor)
    user = get_user(session, user_id)
    if user.is_active == active:
        return user
    if not active:
        if actor is not None and user.id == actor.id:
            raise Conflict("user_id: you cannot disable your own account",
                           "user_id：自分のアカウントは無効にできません", field="user_id")
        _keep_one_secretariat(session, user, "disabled", "無効に")
    user.is_active = active
    session.add(user)
    revoked = 0 if active else _revoke_sessions(session, user.id or 0)
    _record(session, "auth.user_enabled" if active else "auth.user_disabled", user, actor,
            sessions_revoked=revoked)
    session.commit()
    session.refresh(user)
    return user


@writes
def reset_password(session: Session, *, user_id: int, actor: User | None) -> tuple[User, str]:
    """Give the user a new generated password (shown once) and revoke their web sessions."""
    _authorise(actor)
    user = get_user(session, user_id)
    password = new_password()
    user.password_hash = hash_password(password)
    session.add(user)
    revoked = _revoke_sessions(session, user.id or 0)
    _record(session, "auth.password_reset", user, actor, sessions_revoked=revoked)
    session.commit()
    session.refresh(user)
    return user, password


@writes
def change_own_password(session: Session, *, user: User, current_password: str, new_password_: str,
                        keep_session: str | None) -> User:
    """The user changes their own password; their other web sessions are revoked (this one stays)."""
    fresh = get_user(session, user.id or 0)
    if not verify_password(fresh.password_hash, current_password):
        raise Unauthenticated("current_password: the current password is wrong",
                              "current_password：現在のパスワードが違います", field="current_password")
    if len(new_password_) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"new_password: must be at least {MIN_PASSWORD_LENGTH} characters",
                      f"new_password：{MIN_PASSWORD_LENGTH}文字以上にしてください", field="new_password")
    if new_password_ == current_password:
        raise Invalid("new_password: must differ from the current password",
                      "new_password：現在のパスワードと違うものにしてください", field="new_password")
    fresh.password_hash = hash_password(new_password_)
    session.add(fresh)
    revoked = _revoke_sessions(session, fresh.id or 0, keep=keep_session)
    _record(session, "auth.password_changed", fresh, fresh, sessions_revoked=revoked)
    session.commit()
    session.refresh(fresh)
    return fresh


@writes
def set_role(session: Session, *, user_id: int, role: str, association_id: str | None,
             actor: User | None) -> User:
    """Change a user's role (and association): what they may do changes at once; live sockets reconnect."""
    _authorise(actor)
    user = get_user(session, user_id)
    association_id = check_role_and_association(session, role, association_id)
    if (user.role, user.association_id) == (role, association_id):
        return user
    if role != ROLE_SECRETARIAT:
        if actor is not None and user.id == actor.id:
            raise Conflict("user_id: you cannot change your own role", "user_id：自分の役割は変更できません",
                           field="user_id")
        _keep_one_secretariat(session, user, "changed to another role", "他の役割に変更")
    before = {"role": user.role, "association_id": user.association_id}
    user.role, user.association_id = role, association_id
    session.add(user)
    _record(session, "auth.role_changed", user, actor, before=before,
            after={"role": role, "association_id": association_id})
    session.commit()
    session.refresh(user)
    return user


def list_sessions(session: Session, *, user_id: int | None = None, open_only: bool = True,
                  actor: User | None = None) -> list[LoginSession]:
    """Web sessions, newest first: open ones only unless asked (of one user, when given); people other
    than the secretariat see only their own."""
    if actor is not None and (user_id is None or user_id != actor.id):
        ensure_can_manage_accounts(actor)
    query = select(LoginSession)
    if user_id is not None:
        query = query.where(LoginSession.user_id == user_id)
    if open_only:
        query = query.where(col(LoginSession.revoked_at).is_(None), col(LoginSession.expires_at) > utcnow())
    return list(session.exec(query.order_by(col(LoginSession.created_at).desc())))


@writes
def revoke_session(session: Session, *, session_id: str, actor: User | None,
                   own_only: bool = False) -> LoginSession:
    """Revoke one web session (idempotent); with `own_only`, only one of the actor's own."""
    if not own_only:
        _authorise(actor)
    row = session.get(LoginSession, session_id)
    if row is None or (own_only and (actor is None or row.user_id != actor.id)):
        raise NotFound("session_id: no such session", "session_id：そのセッションはありません", field="session_id")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        user = get_user(session, row.user_id)
        _record(session, "auth.session_revoked", user, actor, session_ref=row.id[:12])
        session.commit()
        session.refresh(row)
    return row
