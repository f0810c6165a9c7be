"""Users and API tokens: creation with validation, revocation, and bearer authentication."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coordinator.associations.models import SECRETARIAT_ID, Association
from coordinator.auth.credentials import hash_password, new_token_secret, sha256_hex
from coordinator.auth.models import (
    ROLE_SECRETARIAT,
    ROLE_STAFF,
    ROLES,
    TOKEN_PREFIX,
    ApiToken,
    LoginSession,
    User,
    as_utc,
    utcnow,
)
from coordinator.db import unit_of_work, writes
from coordinator.errors import Conflict, Invalid, NotFound
from coordinator.events.service import record_event

MIN_PASSWORD_LENGTH = 10
# An e-mail address or a handle: letters, digits and . _ @ + - (lower-cased before storing).
_LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,253}$")
# last_used_at is refreshed at most this often, so reads do not each turn into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def normalise_login(login: str) -> str:
    """The stored form of a login: trimmed and lower-cased."""
    return login.strip().lower()


def _check_login(login: str) -> str:
    value = normalise_login(login)
    if not _LOGIN_PATTERN.match(value):
        raise Invalid("login must be 2-254 characters: letters, digits and . _ @ + -, starting with a letter "
                      "or digit", "ログイン名は2〜254文字の英数字と . _ @ + - で、英数字で始めてください",
                      field="login")
    return value


def check_role_and_association(session: Session, role: str, association_id: str | None) -> str | None:
    """The association a user of this role belongs to (secretariat: "clair"); Invalid when they do not fit."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", f"役割は {'・'.join(ROLES)} のいずれかです",
                      field="role")
    if role == ROLE_SECRETARIAT:
        if association_id not in (None, SECRETARIAT_ID):
            raise Invalid(f"secretariat users belong to {SECRETARIAT_ID!r}",
                          f"事務局の利用者は {SECRETARIAT_ID!r} に所属します", field="association_id")
        association_id = SECRETARIAT_ID
    if role == ROLE_STAFF and (association_id is None or association_id == SECRETARIAT_ID):
        raise Invalid("staff users need the id of their association",
                      "協会職員には所属する協会のIDが必要です", field="association_id")
    if association_id is not None and session.get(Association, association_id) is None:
        raise Invalid(f"unknown association {association_id!r}", f"協会 {association_id!r} は存在しません",
                      field="association_id")
    return association_id


@writes
def create_user(session: Session, *, login: str, display_name: str, role: str, association_id: str | None,
                password: str | None, actor_user_id: int | None = None) -> User:
    """Create a user; staff need a real association, secretariat users belong to "clair".

    `password` None makes an account that can only use API tokens.
    """
    login = _check_login(login)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        raise Invalid("display_name must be 1-200 characters", "表示名は1〜200文字です", field="display_name")
    association_id = check_role_and_association(session, role, association_id)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                      f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください", field="password")
    if session.exec(select(User.id).where(User.login == login)).first() is not None:
        raise Conflict(f"login {login!r} is already taken", f"ログイン名 {login!r} は既に使われています",
                       field="login")
    user = User(login=login, display_name=display_name, role=role, association_id=association_id,
                password_hash=hash_password(password) if password is not None else None)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # a concurrent creation of the same login
        session.rollback()
        raise Conflict(f"login {login!r} is already taken", f"ログイン名 {login!r} は既に使われています",
                       field="login") from error
    record_event(session, type="auth.user_created", entity="user", entity_id=user.id or 0,
                 actor_user_id=actor_user_id, associations=[association_id] if association_id else [],
                 payload={"login": login, "role": role, "association_id": association_id})
    session.commit()
    return user


def get_user_by_login(session: Session, login: str) -> User:
    """A user by login (case-insensitive), or NotFound."""
    user = session.exec(select(User).where(User.login == normalise_login(login))).first()
    if user is None:
        raise NotFound(f"no user with login {login!r}", f"ログイン名 {login!r} の利用者はいません", field="login")
    return user


def list_users(session: Session) -> list[User]:
    """All users by id."""
    return list(session.exec(select(User).order_by(col(User.id))))


def active_secretariat_exists(session: Session) -> bool:
    """Whether at least one active secretariat user exists."""
    query = select(User.id).where(User.role == ROLE_SECRETARIAT, col(User.is_active).is_(True))
    return session.exec(query).first() is not None


@writes
def create_token(session: Session, *, user_id: int, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the secret, which is shown once and stored only hashed."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"no active user with id {user_id}", f"ID {user_id} の有効な利用者はいません",
                       field="user_id")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("name must be 1-100 characters", "トークン名は1〜100文字です", field="name")
    secret = new_token_secret()
    token = ApiToken(user_id=user_id, name=name, token_hash=sha256_hex(secret),
                     prefix=secret[:len(TOKEN_PREFIX) + 6])
    session.add(token)
    session.flush()
    record_event(session, type="auth.token_created", entity="api_token", entity_id=token.id or 0,
                 actor_user_id=actor.id if actor else user_id,
                 payload={"user_id": user_id, "name": name, "prefix": token.prefix})
    session.commit()
    return token, secret


@writes
def revoke_token(session: Session, *, token_id: int, actor: User | None = None) -> ApiToken:
    """Revoke a token (idempotent); it stops working at once, and sockets opened with it close (4401)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}", f"ID {token_id} のAPIトークンはありません",
                       field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        record_event(session, type="auth.token_revoked", entity="api_token", entity_id=token_id,
                     actor_user_id=actor.id if actor else None,
                     actor_association_id=actor.association_id if actor else None,
                     payload={"user_id": token.user_id, "prefix": token.prefix})
        session.commit()
    return token


def list_tokens(session: Session, *, user_id: int | None = None) -> list[ApiToken]:
    """API tokens by id, optionally of one user."""
    query = select(ApiToken).order_by(col(ApiToken.id))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.exec(query))


def authenticate_token(session: Session, secret: str) -> User | None:
    """The active user owning this unrevoked token secret, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # One query for the token and its user: this runs on every API request.
    found = session.exec(select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
                         .where(ApiToken.token_hash == sha256_hex(secret))).first()
    if found is None:
        return None
    token, user = found
    if token.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= _LAST_USED_RESOLUTION:
        with unit_of_work(session):  # a read until here: the rare write takes its own transaction
            token.last_used_at = now
            session.add(token)
    return user


def credential_holders(session: Session, *, tokens: Collection[str] = (),
                       sessions: Collection[str] = ()) -> dict[tuple[str, str], tuple[int, str, str | None]]:
    """For each credential (SHA-256 of a token or cookie) that still works: (user id, role, association).

    Revoked or unknown credentials, expired sessions and disabled users are simply absent (the live
    channel closes their sockets: coordinator/live/guard.py)."""
    found: dict[tuple[str, str], tuple[int, str, str | None]] = {}
    if tokens:
        rows = session.exec(select(ApiToken.token_hash, User.id, User.role, User.association_id)
                            .join(User, col(User.id) == col(ApiToken.user_id))
                            .where(col(ApiToken.token_hash).in_(sorted(tokens)), col(ApiToken.revoked_at).is_(None),
                                   col(User.is_active).is_(True)))
        found.update({("token", h): (int(i or 0), r, a) for h, i, r, a in rows})
    if sessions:
        rows = session.exec(select(LoginSession.id, User.id, User.role, User.association_id)
                            .join(User, col(User.id) == col(LoginSession.user_id))
                            .where(col(LoginSession.id).in_(sorted(sessions)), col(LoginSession.revoked_at).is_(None),
                                   col(LoginSession.expires_at) > utcnow(), col(User.is_active).is_(True)))
        found.update({("session", h): (int(i or 0), r, a) for h, i, r, a in rows})
    return found


FIRST_SECRETARIAT_LOGIN = "secretariat"


@writes
def ensure_first_secretariat(session: Session, *, password: str) -> User | None:
    """On a first start (no active secretariat user) create one with this password; else None."""
    if active_secretariat_exists(session):
        return None
    login = FIRST_SECRETARIAT_LOGIN
    taken = set(session.exec(select(User.login).where(col(User.login).startswith(FIRST_SECRETARIAT_LOGIN))))
    suffix = 1
    while login in taken:
        suffix += 1
        login = f"{FIRST_SECRETARIAT_LOGIN}-{suffix}"
    return create_user(session, login=login, display_name="事務局 (CLAIR) / Secretariat", role=ROLE_SECRETARIAT,
                       association_id=SECRETARIAT_ID, password=password)
