"""Security headers on every HTTP response: CSP with no external source, nosniff, referrer, framing, HSTS."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(*pages: str) -> list[str]:
    """CSP source expressions ('sha256-…') allowing exactly the inline scripts of these pages."""
    sources = []
    for page in pages:
        for body in _INLINE_SCRIPT.findall(page):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            sources.append(f"'sha256-{digest}'")
    return sources


def content_security_policy(extra_script_sources: list[str]) -> str:
    """The policy: everything from this origin only; inline styles allowed (the map's per-disaster
    colouring), inline scripts only by hash; no framing, no plugins, forms post here only."""
    scripts = " ".join(["'self'", *extra_script_sources])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(*, csp: str, hsts_seconds: int | None) -> list[tuple[bytes, bytes]]:
    """The header list added to responses (HSTS only when the site is served over HTTPS)."""
    headers = [
        (b"content-security-policy", csp.encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if hsts_seconds:
        headers.append((b"strict-transport-security", f"max-age={hsts_seconds}; includeSubDomains".encode()))
    return headers


class SecurityHeadersMiddleware:
    """Adds the security headers to each HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
