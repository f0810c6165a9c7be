"""Request bodies: a size limit enforced before anything reads or authenticates, and no NUL characters.

A 50 MB body used to be read whole before the request was even authenticated (issue 12 item 8); nginx
may limit it too, but the app must not rely on that. Bodies larger than OUEN_MAX_BODY_BYTES get 413 —
at once when Content-Length says so, else as soon as the bytes received pass the limit. NUL characters
are refused with the same 422 on SQLite and PostgreSQL (PostgreSQL cannot store them in text; SQLite
did), naming the field, in the body or the query string.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coordinator.errors import DomainError, Invalid
from coordinator.inputs import first_nul


class TooLarge(DomainError):
    status, code = 413, "too_large"


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"body: the request body is larger than {limit:,} bytes",
                    f"body：リクエストの本文が大きすぎます（上限 {limit:,} バイト）", field="body",
                    details={"limit_bytes": limit})


def _nul(field: str) -> Invalid:
    return Invalid(f"{field}: NUL characters (\\u0000) are not allowed", f"{field}：NUL文字（\\u0000）は使えません",
                   field=field)


def _query_nul(query: bytes) -> str | None:
    if b"%00" not in query.lower() and b"\x00" not in query:
        return None
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if b"%00" in value.lower() or b"\x00" in value or b"%00" in name.lower():
            return name.decode("latin-1", "replace") or "query"
    return "query"


def _body_nul(body: bytes, content_type: str) -> str | None:
    if b"\\u0000" not in body.lower() and b"\x00" not in body:
        return None
    if "json" not in content_type:
        return "body"
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None  # not JSON after all: the route's own validation answers
    return first_nul(parsed)


class BodyGuard:
    """ASGI middleware: 413 above `limit` bytes, 422 for NUL characters; reads nothing it does not need."""

    def __init__(self, app: ASGIApp, limit: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        # Routes whose bodies are documents with a cap of their own (JMA bulletins: OUEN_BULLETIN_MAX_BYTES).
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _query_nul(scope.get("query_string", b""))
        if field is not None:
            await JSONResponse(_nul(field).body(), status_code=422)(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        limit = self.per_path.get(scope.get("path", ""), self.limit)
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse(_too_large(limit).body(), status_code=413,
                               headers={"Connection": "close"})(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and not declared:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await JSONResponse(_too_large(limit).body(), status_code=413,
                                   headers={"Connection": "close"})(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        field = _body_nul(body, headers.get("content-type", ""))
        if field is not None:
            await JSONResponse(_nul(field).body(), status_code=422)(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
