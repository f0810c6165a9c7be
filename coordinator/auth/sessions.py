"""Password sign-in with back-off per client address, and the web sessions it opens.

Throttling never locks an account for everyone (issue 12 item 5): failures count per address — for one
login (max_failures in the window, a password guesser) and across logins (address_max_failures, a
sprayer) — so the secretariat can still sign in from its own office while someone elsewhere guesses.
The answer is the same whether or not the login exists. Which address a request comes from is decided
by coordinator/auth/addresses.py (X-Forwarded-For only from OUEN_TRUSTED_PROXIES).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, func, select

from coordinator.auth.credentials import hash_password, needs_rehash, new_cookie_secret, sha256_hex, verify_password
from coordinator.auth.models import LoginAttempt, LoginSession, User, as_utc, utcnow
from coordinator.auth.service import normalise_login
from coordinator.db import unit_of_work, writes
from coordinator.errors import TooManyRequests, Unauthenticated
from coordinator.events.service import record_event


@dataclass(frozen=True)
class SignInPolicy:
    """How many failures within the window make an address wait (for one login, and across logins), and
    how long sessions last."""

    max_failures: int
    window_seconds: int
    session_days: int
    address_max_failures: int = 30


# last_seen_at is refreshed at most this often, so reads do not each turn into a write.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the user and the cookie value to hand to the browser (never stored)."""

    user: User
    cookie_value: str
    login_session: LoginSession


def _seconds_until_address_may_try(session: Session, *, client_ip: str, policy: SignInPolicy) -> int:
    """0 unless this address failed address_max_failures times (any logins) within the window."""
    now = utcnow()
    since = now - timedelta(seconds=policy.window_seconds)
    failures = list(session.exec(select(LoginAttempt.created_at).where(
        LoginAttempt.client_ip == client_ip, LoginAttempt.outcome == "failed",
        col(LoginAttempt.created_at) >= since).order_by(col(LoginAttempt.created_at).desc())
        .limit(policy.address_max_failures)))
    if len(failures) < policy.address_max_failures:
        return 0
    unlocks_at = as_utc(failures[-1]) + timedelta(seconds=policy.window_seconds)
    return max(1, math.ceil((unlocks_at - now).total_seconds()))


def _seconds_until_unlocked(session: Session, *, login: str, client_ip: str, policy: SignInPolicy) -> int:
    """0 when a sign-in may be tried now, else the seconds until the oldest counted failure expires."""
    now = utcnow()
    since = now - timedelta(seconds=policy.window_seconds)
    last_success = session.exec(select(func.max(LoginAttempt.created_at)).where(
        LoginAttempt.login == login, LoginAttempt.client_ip == client_ip, LoginAttempt.outcome == "succeeded",
        col(LoginAttempt.created_at) >= since)).one()
    if last_success is not None:
        since = max(since, as_utc(last_success))
    failures = list(session.exec(select(LoginAttempt.created_at).where(
        LoginAttempt.login == login, LoginAttempt.client_ip == client_ip, LoginAttempt.outcome == "failed",
        col(LoginAttempt.created_at) >= since).order_by(col(LoginAttempt.created_at))))
    if len(failures) < policy.max_failures:
        return 0
    # The count drops below the limit when this failure leaves the window.
    unlocks_at = as_utc(failures[len(failures) - policy.max_failures]) + timedelta(seconds=policy.window_seconds)
    return max(1, math.ceil((unlocks_at - now).total_seconds()))


def _attempt(session: Session, *, login: str, client_ip: str, outcome: str, user: User | None) -> None:
    session.add(LoginAttempt(login=login, client_ip=client_ip, outcome=outcome))
    record_event(session, type=f"auth.login_{outcome}", entity="user",
                 entity_id=user.id if user is not None and user.id is not None else "unknown",
                 actor_user_id=user.id if user is not None else None,
                 actor_association_id=user.association_id if user is not None else None,
                 payload={"login": login, "client_ip": client_ip})


@writes
def sign_in(session: Session, *, login: str, password: str, client_ip: str, policy: SignInPolicy,
            user_agent: str | None = None) -> SignIn:
    """Check a password and open a web session; every attempt is recorded and audited.

    Raises TooManyRequests (with Retry-After) after policy.max_failures failures within the window for this
    login from this address, or policy.address_max_failures from this address for any logins, even for the
    right password; other addresses are not affected. Unauthenticated for a wrong login or password.
    """
    login = normalise_login(login)[:254]
    client_ip = client_ip[:64]
    user = session.exec(select(User).where(User.login == login)).first()
    wait = max(_seconds_until_address_may_try(session, client_ip=client_ip, policy=policy),
               _seconds_until_unlocked(session, login=login, client_ip=client_ip, policy=policy))
    if wait:
        _attempt(session, login=login, client_ip=client_ip, outcome="throttled", user=user)
        session.commit()
        error = TooManyRequests(
            f"Too many failed sign-ins from this address; try again in {wait} s",
            f"この接続元からのサインインの失敗が続いたため一時的に停止しています。{wait}秒後に再度お試しください",
            field="login", details={"retry_after_seconds": wait})
        error.headers = {"Retry-After": str(wait)}
        raise error
    matches = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not matches or not user.is_active:
        _attempt(session, login=login, client_ip=client_ip, outcome="failed", user=user)
        session.commit()
        raise Unauthenticated("Wrong login or password", "ログイン名またはパスワードが違います", field="password")
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    cookie_value = new_cookie_secret()
    now = utcnow()
    login_session = LoginSession(id=sha256_hex(cookie_value), user_id=user.id or 0, created_at=now,
                                 expires_at=now + timedelta(days=policy.session_days), client_ip=client_ip,
                                 user_agent=(user_agent or "")[:200] or None, last_seen_at=now)
    session.add(login_session)
    _attempt(session, login=login, client_ip=client_ip, outcome="succeeded", user=user)
    session.commit()
    return SignIn(user=user, cookie_value=cookie_value, login_session=login_session)


def user_for_cookie(session: Session, cookie_value: str) -> User | None:
    """The active user of an open, unexpired web session, or None (last_seen_at kept to the minute)."""
    row = session.get(LoginSession, sha256_hex(cookie_value))
    now = utcnow()
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_seen_at is None or now - as_utc(row.last_seen_at) >= _LAST_SEEN_RESOLUTION:
        with unit_of_work(session):  # a read until here: the rare write takes its own transaction
            row.last_seen_at = now
            session.add(row)
    return user


@writes
def sign_out(session: Session, cookie_value: str) -> bool:
    """Revoke the web session of this cookie; False when there was no open session."""
    row = session.get(LoginSession, sha256_hex(cookie_value))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    user = session.get(User, row.user_id)
    record_event(session, type="auth.logout", entity="user", entity_id=row.user_id, actor_user_id=row.user_id,
                 actor_association_id=user.association_id if user is not None else None)
    session.commit()
    return True
