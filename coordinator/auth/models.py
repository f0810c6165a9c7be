"""Users, API tokens, web sessions and sign-in attempts."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

ROLE_STAFF = "staff"
ROLE_SECRETARIAT = "secretariat"
ROLE_OBSERVER = "observer"
ROLES = (ROLE_STAFF, ROLE_SECRETARIAT, ROLE_OBSERVER)

TOKEN_PREFIX = "ouen_"


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite gives naive datetimes back)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UserBase(SQLModel):
    """Fields of a user that the API shows."""

    login: str = Field(max_length=254, unique=True, index=True)  # an e-mail address or a handle, lower case
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)  # staff | secretariat | observer
    association_id: str | None = Field(default=None, foreign_key="association.id", max_length=64, index=True)
    is_active: bool = True
    # Where notifications reach this person by e-mail (optional; docs/notifications.md "Contacts").
    email: str | None = Field(default=None, max_length=254)


class User(UserBase, table=True):
    """A person who signs in: staff of an association, the secretariat, or an observer."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    # argon2id hash; None for accounts that only use API tokens.
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class UserPublic(UserBase):
    """A user as the API shows it (never the password hash)."""

    id: int
    created_at: datetime


class ApiToken(SQLModel, table=True):
    """A bearer token; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)  # the first characters of the secret, to recognise it in lists
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class LoginSession(SQLModel, table=True):
    """A web session; its id is the SHA-256 of the cookie value, which is never stored."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    client_ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)
    last_seen_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """One password sign-in attempt, for throttling per login and client address (never the password)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_login_ip_time", "login", "client_ip", "created_at"),
                      Index("ix_login_attempt_ip_time", "client_ip", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=254)
    client_ip: str = Field(max_length=64)
    outcome: str = Field(max_length=16)  # succeeded | failed | throttled
    created_at: datetime = Field(default_factory=utcnow)


class LoginRequest(BaseModel):
    """Body of POST /api/v1/auth/login."""

    login: str = PydanticField(min_length=1, max_length=254)
    password: str = PydanticField(min_length=1, max_length=1024)


class ApiTokenPublic(BaseModel):
    """A token as lists show it: never the secret or its hash."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class SessionPublic(BaseModel):
    """A web session as lists show it: never the cookie (its id is the SHA-256 of the cookie)."""

    id: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    client_ip: str | None
    user_agent: str | None


class AccountPublic(UserPublic):
    """A user as the account list shows it: with open web sessions and working API tokens counted."""

    open_sessions: int
    active_tokens: int


class UserCreate(BaseModel):
    """A new account; without a password one is generated and shown once."""

    model_config = ConfigDict(extra="forbid")

    login: str = PydanticField(min_length=1, max_length=254)
    display_name: str = PydanticField(min_length=1, max_length=200)
    role: str = PydanticField(min_length=1, max_length=16)
    association_id: str | None = PydanticField(default=None, max_length=64)
    password: str | None = PydanticField(default=None, min_length=1, max_length=1024)


class RoleChange(BaseModel):
    """A new role (and, for staff, the association)."""

    model_config = ConfigDict(extra="forbid")

    role: str = PydanticField(min_length=1, max_length=16)
    association_id: str | None = PydanticField(default=None, max_length=64)


class PasswordChange(BaseModel):
    """A user's own password change."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = PydanticField(min_length=1, max_length=1024)
    new_password: str = PydanticField(min_length=1, max_length=1024)


class TokenCreate(BaseModel):
    """A new API token for a user: a name saying what it is for."""

    model_config = ConfigDict(extra="forbid")

    name: str = PydanticField(min_length=1, max_length=100)


class NewSecret(BaseModel):
    """A secret shown once: a generated password, or a new token's secret."""

    user: UserPublic
    secret: str
    token: ApiTokenPublic | None = None
