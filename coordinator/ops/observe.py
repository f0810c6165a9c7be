"""One middleware that times every HTTP request, counts it in the metrics and writes the access log line."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coordinator.ops.metrics import Metrics

access_log = logging.getLogger("ouen.access")


def route_of(scope: Scope) -> str:
    """The route template that served the request ("/api/v1/needs/{need_id}"), or "unmatched".

    Templates, not raw paths, keep the metric's label set bounded whatever clients send.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObserveMiddleware:
    """Times each HTTP request; records method, route, status and duration (metrics and access log)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None, log_access: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_access = log_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            method = scope.get("method", "GET")
            if self.metrics is not None:
                self.metrics.observe(method=method, route=route, status=status, seconds=seconds)
            if self.log_access:
                client = scope.get("client")
                # The path only: query strings may carry secrets (the live channel's ?token=).
                access_log.info("%s %s %d", method, scope.get("path", ""), status, extra={
                    "method": method, "path": scope.get("path", ""), "route": route, "status": status,
                    "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None})
