"""The ASGI middleware that honours Idempotency-Key on POST and PATCH (IETF draft-ietf-httpapi-idempotency-key-header;
Stripe's API): a repeat with the same key and request gets the first answer, marked Idempotent-Replayed."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import FastAPI
from sqlmodel import Session
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coordinator.auth.deps import optional_user, settings_of
from coordinator.db import engine_of
from coordinator.errors import DomainError
from coordinator.idempotency import service
from coordinator.idempotency.models import IdempotencyRecord

METHODS = frozenset({"POST", "PATCH"})
MAX_STORED_BODY = 1_000_000
REPLAYED_HEADER = "Idempotent-Replayed"

log = logging.getLogger("ouen.idempotency")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _error_response(error: DomainError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _replay(record: IdempotencyRecord) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if record.response_location:
        headers["Location"] = record.response_location
    return Response(record.response_body or b"", status_code=record.response_status or 200,
                    media_type=record.response_type, headers=headers)


class IdempotencyMiddleware:
    """Looks a keyed request up, replays a repeat, or serves it with the key claimed in its transaction."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = _header(scope, service.HEADER.encode()) if scope["type"] == "http" else None
        if raw_key is None or scope.get("method") not in METHODS:
            await self.app(scope, receive, send)
            return
        try:
            key = service.parse_key(raw_key)
        except DomainError as error:
            await _error_response(error)(scope, receive, send)
            return
        body = await _read_body(receive)
        connection = HTTPConnection(scope)
        claim, early = await anyio.to_thread.run_sync(self._look_up, connection, key, body)
        if early is not None:
            await early(scope, receive, send)
            return
        if claim is None:  # not signed in: the endpoint answers 401 (or signs in) as usual
            await self.app(scope, _replaying(body), send)
            return
        await self._serve(scope, send, claim, body, connection)

    def _look_up(self, connection: HTTPConnection, key: str, body: bytes) -> tuple[service.Claim | None,
                                                                                   Response | None]:
        scope = connection.scope
        with Session(engine_of(connection), expire_on_commit=False) as session:
            try:
                user = optional_user(connection, session)
            except DomainError:
                user = None
            user_id = user.id if user is not None else None
            if user_id is None:
                return None, None
            printed = service.fingerprint(scope["method"], scope["path"],
                                          scope.get("query_string", b"").decode("latin-1"), body)
            record = service.find(session, user_id=user_id, key=key)
            if record is not None:
                session.expunge(record)
            session.rollback()
        if record is not None:
            if record.fingerprint != printed:
                return None, _error_response(service.reused_for_another_request())
            if record.response_status is not None:
                return None, _replay(record)
            if service.is_in_flight(record):
                return None, _error_response(service.in_flight())
            location = service.lost_answer_location(record)
            if location:
                return None, Response(status_code=303, headers={"Location": location, REPLAYED_HEADER: "true"})
            return None, _error_response(service.answer_lost(record))
        days = settings_of(connection).idempotency_days
        return service.Claim(user_id=user_id, key=key, fingerprint=printed, method=scope["method"],
                             path=scope["path"], retention_days=days), None

    async def _serve(self, scope: Scope, send: Send, claim: service.Claim, body: bytes,
                     connection: HTTPConnection) -> None:
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = list(message.get("headers", ()))
            elif message["type"] == "http.response.body" and len(answer["body"]) <= MAX_STORED_BODY:
                answer["body"].extend(message.get("body", b""))
            await send(message)

        token = service.current_claim.set(claim)
        try:
            await self.app(scope, _replaying(body), capture)
        finally:
            service.current_claim.reset(token)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in answer["headers"]}
        if len(answer["body"]) > MAX_STORED_BODY:
            answer["body"] = bytearray()

        def store() -> None:
            try:
                with Session(engine_of(connection)) as session:
                    service.store_answer(session, claim, status=answer["status"],
                                         content_type=headers.get("content-type"),
                                         location=headers.get("location"), body=bytes(answer["body"]))
            except Exception:  # the change is kept either way; a repeat then points to its record
                log.exception("could not store the answer of Idempotency-Key %s", claim.key[:40])

        await anyio.to_thread.run_sync(store)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}  # pragma: no cover (never reached)

    return receive


def install_idempotency(app: FastAPI) -> None:
    """Honour Idempotency-Key on every POST and PATCH of the app (add before the operations middleware)."""
    app.add_middleware(IdempotencyMiddleware)
