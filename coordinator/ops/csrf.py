"""Cross-site request forgery: unsafe requests that a browser sends from another site are refused.

Browsers attach the session cookie (SameSite=Lax still allows top-level cross-site POST navigations from
some older browsers and same-site subdomains) but they also say where a request comes from: Sec-Fetch-Site
and Origin (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin With Standard Headers" and "Fetch
Metadata"). Requests with a bearer token cannot be forged by a page, and requests without browser headers
(curl, scripts) carry no ambient cookie from a victim's browser, so both pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from coordinator.errors import Forbidden
from coordinator.ops.denials import Denial, audit_denial

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _netloc(origin: str) -> str:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") else ""


def is_cross_site(method: str, headers: dict[str, str], trusted_origins: Iterable[str]) -> str | None:
    """Why this request must be refused as cross-site, or None when it may go on."""
    if method not in UNSAFE_METHODS or headers.get("authorization"):
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site is {fetch_site!r}"
    origin = headers.get("origin")
    if origin is None:
        return None  # not sent by a browser page (or a same-origin GET-like navigation of an old browser)
    host = headers.get("host", "").lower()
    trusted = {_netloc(o) for o in trusted_origins} | {host}
    netloc = _netloc(origin)
    if not netloc or netloc not in trusted:
        return f"Origin {origin[:100]!r} is not this site"
    return None


def csrf_error(reason: str) -> Forbidden:
    """The 403 for a cross-site request."""
    error = Forbidden(f"Cross-site request refused ({reason}); use this site's own pages or an API token",
                      "他のサイトからの操作は受け付けません。このサイトの画面かAPIトークンをお使いください",
                      field="origin")
    error.code = "cross_site_request"
    return error


class CsrfMiddleware:
    """Refuses unsafe cookie/anonymous requests whose Origin or Sec-Fetch-Site names another site."""

    def __init__(self, app: ASGIApp, *, trusted_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted_origins = tuple(trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        reason = is_cross_site(scope["method"], headers, self.trusted_origins)
        if reason is None:
            await self.app(scope, receive, send)
            return
        error = csrf_error(reason)
        connection = HTTPConnection(scope)
        await audit_denial(connection, Denial(
            method=scope["method"], path=scope.get("path", ""), status=403, reason=error.code,
            message=error.message_en, field=error.field,
            credential="cookie" if "cookie" in headers else "none",
            client_ip=scope["client"][0] if scope.get("client") else None))
        await JSONResponse(error.body(), status_code=403)(scope, receive, send)
