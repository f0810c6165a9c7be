"""Serving one websocket (Starlette/FastAPI) through the hub: handshake, subscribe, receive loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from realtime.hub import Hub
from realtime.protocol import (
    CLOSE_IDLE_TIMEOUT,
    CLOSE_REASONS,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    SubscriptionError,
    parse_subscription,
)


class StarletteOutlet:
    """Outlet over a Starlette WebSocket; sends the pre-encoded frame as a text message."""

    __slots__ = ("_send", "websocket")

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._send = websocket.send

    async def send_text(self, frame: str) -> None:
        """Send one text frame."""
        await self._send({"type": "websocket.send", "text": frame})

    async def close(self, code: int, reason: str) -> None:
        """Close with an application code."""
        await self.websocket.close(code, reason)


async def refuse(websocket: WebSocket, error: SubscriptionError) -> int:
    """Accept (browsers only see close codes of accepted sockets), send the error frame, close; the code."""
    with contextlib.suppress(Exception):
        await websocket.accept()
    await _refuse(websocket, error)
    return error.code


async def _refuse(websocket: WebSocket, error: SubscriptionError) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_text(error.frame())
        await websocket.close(error.code, CLOSE_REASONS.get(error.code, ""))


Refused = Callable[[SubscriptionError], Awaitable[None]]


async def serve_websocket(hub: Hub, websocket: WebSocket, principal: Any | None, *,
                          block_members: Mapping[str, frozenset[str]] | None = None,
                          subscribe_timeout: float = 10.0, on_refused: Refused | None = None,
                          max_message_bytes: int | None = None) -> int | None:
    """Accept, authenticate, read the subscribe message, then stream until either side closes.

    A client message larger than `max_message_bytes` closes the socket with 1009 (the protocol's own
    messages are a few hundred bytes; a server behind `ouen serve` never even reads larger frames).

    `on_refused`, if given, is awaited with the error of every refusal (no credentials, a forbidden or
    bad subscription, no subscribe message in time) after the socket is closed: the application audits."""
    # Accept before refusing: browsers cannot see why a handshake failed, but they do see close codes.
    await websocket.accept()
    if principal is None:
        error = SubscriptionError("credentials", "sign in or pass a valid token",
                                  "ログインするか、有効なトークンを指定してください", code=CLOSE_UNAUTHENTICATED)
        with contextlib.suppress(Exception):
            await websocket.send_text(error.frame())
            await websocket.close(CLOSE_UNAUTHENTICATED, CLOSE_REASONS[CLOSE_UNAUTHENTICATED])
        if on_refused is not None:
            await on_refused(error)
        return CLOSE_UNAUTHENTICATED
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), subscribe_timeout)
    except TimeoutError:
        error = SubscriptionError("subscribe", "no subscribe message in time",
                                  "購読メッセージが時間内に届きませんでした", code=CLOSE_IDLE_TIMEOUT)
        await _refuse(websocket, error)
        if on_refused is not None:
            await on_refused(error)
        return CLOSE_IDLE_TIMEOUT
    except (WebSocketDisconnect, RuntimeError, KeyError):
        return None
    if max_message_bytes is not None and len(raw) > max_message_bytes:
        error = SubscriptionError("body", f"the message has {len(raw)} characters; at most {max_message_bytes}",
                                  f"メッセージが大きすぎます（{len(raw)}文字。上限は{max_message_bytes}）",
                                  code=CLOSE_TOO_BIG)
        await _refuse(websocket, error)
        if on_refused is not None:
            await on_refused(error)
        return CLOSE_TOO_BIG
    try:
        subscription = parse_subscription(raw, block_members=block_members)
        hub.authorize(principal, subscription)
    except SubscriptionError as error:
        await _refuse(websocket, error)
        if on_refused is not None:
            await on_refused(error)
        return error.code

    subscriber = hub.subscribe(StarletteOutlet(websocket), principal, subscription)

    async def receive_loop() -> None:
        # Any client message (a pong to our heartbeat, or anything else) proves the client is alive.
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            body = message.get("text") or message.get("bytes") or ""
            if max_message_bytes is not None and len(body) > max_message_bytes:
                hub.close(subscriber, CLOSE_TOO_BIG)
                return
            subscriber.touch()

    receiver = asyncio.create_task(receive_loop())
    closed = asyncio.create_task(subscriber.wait_closed())
    try:
        await asyncio.wait({receiver, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not subscriber.closed:
            hub.unsubscribe(subscriber)
        for task in (receiver, closed):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    return subscriber.close_code
