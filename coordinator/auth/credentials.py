"""Password hashing (argon2id) and random secrets for tokens, cookies and generated passwords."""

from __future__ import annotations

import hashlib
import secrets as _random

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coordinator.auth.models import TOKEN_PREFIX

# argon2-cffi's defaults are RFC 9106's low-memory argon2id profile (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verifying against this when the login is unknown keeps both answers equally slow.
_DUMMY_HASH = _hasher.hash("not a real password: keeps timing even")


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; False when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash uses weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def sha256_hex(secret: str) -> str:
    """SHA-256 of a secret as hex: how tokens and session cookies are stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token_secret() -> str:
    """A fresh API token secret, "ouen_" + 32 random bytes url-safe."""
    return TOKEN_PREFIX + _random.token_urlsafe(32)


def new_cookie_secret() -> str:
    """A fresh session cookie value."""
    return _random.token_urlsafe(32)


def new_password() -> str:
    """A generated password: 20 url-safe characters (120 random bits)."""
    return _random.token_urlsafe(15)
