"""Password hashing (argon2id) and random secrets for tokens, cookies and generated passwords."""

from __future__ import annotations

import hashlib
import secrets as _random
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coordinator.auth.models import TOKEN_PREFIX

# argon2id with OWASP's recommended minimum (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1): about
# 40 ms per hash on one core here, against about 200 ms for argon2-cffi's default RFC 9106 profile on this
# 2-core machine, which would make sign-in bursts and the test suite slow for little gain.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this when the login is unknown keeps both answers equally slow.
    return _hasher.hash("not a real password: keeps timing even")


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; False when there is no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
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
