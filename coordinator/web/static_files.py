"""Static files with cache headers: versioned URLs (?v=<digest>) are cached for a year, others revalidate.

Pages link their scripts and styles through `static_url(name)`, which appends the digest of the file's
content, so a changed file gets a new URL and browsers on weak connections never re-fetch unchanged ones.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

YEAR_SECONDS = 365 * 86400


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(directory: Path, name: str, prefix: str = "/static") -> str:
    """The URL of a static file with the digest of its content (recomputed when the file changes)."""
    path = directory / name
    try:
        return f"{prefix}/{name}?v={_digest(path, path.stat().st_mtime_ns)}"
    except OSError:
        return f"{prefix}/{name}"


class CachedStaticFiles(StaticFiles):
    """StaticFiles adding Cache-Control: immutable for a year when versioned, else revalidate (ETag)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the file, setting Cache-Control on the way out."""
        versioned = b"v=" in scope.get("query_string", b"")
        value = f"public, max-age={YEAR_SECONDS}, immutable" if versioned else "no-cache"

        async def send_with_cache(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start" and message.get("status") in (200, 304):
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"cache-control", value.encode("ascii"))]
            await send(message)

        await super().__call__(scope, receive, send_with_cache)
