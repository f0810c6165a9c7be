"""The request id: taken from X-Request-ID when it is well-formed, else generated; echoed on the response."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# What a proxy's id looks like (nginx $request_id is 32 hex); anything else is replaced, so a client can
# not inject line breaks or markup into the logs through this header.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: ContextVar[str | None] = ContextVar("ouen_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return request_id_var.get()


def request_id_from(scope: Scope) -> str:
    """The request's X-Request-ID when well-formed, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _WELL_FORMED.match(text):
                return text
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every HTTP request and websocket an id (scope["state"]["request_id"], the context variable,
    and the X-Request-ID response header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
