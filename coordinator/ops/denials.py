"""An `auth.denied` audit event for every 401/403, written in a transaction of its own."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from coordinator.auth.addresses import client_address
from coordinator.auth.models import User
from coordinator.auth.service import authenticate_token
from coordinator.auth.sessions import user_for_cookie
from coordinator.db import engine_of, unit_of_work
from coordinator.errors import DomainError, Forbidden, Unauthenticated
from coordinator.events.service import record_event
from coordinator.ops.context import current_request_id

log = logging.getLogger("ouen.audit")

# Wrong passwords are already audited as auth.login_failed / auth.login_throttled (coordinator.auth.sessions).
_AUDITED_ELSEWHERE = frozenset({"/api/v1/auth/login"})


@dataclass(frozen=True)
class Denial:
    """What was refused, to whom and why (never the credential itself)."""

    method: str
    path: str
    status: int
    reason: str  # the error code: unauthenticated | forbidden | cross_site_request
    message: str
    field: str | None
    credential: str  # bearer | cookie | none
    client_ip: str | None


def _actor(session: Session, connection: HTTPConnection, cookie_name: str) -> User | None:
    header = connection.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return authenticate_token(session, secret.strip())
    cookie = connection.cookies.get(cookie_name)
    return user_for_cookie(session, cookie) if cookie else None


def credential_kind(connection: HTTPConnection, cookie_name: str) -> str:
    """Which credential the request carried: bearer, cookie or none."""
    if connection.headers.get("authorization"):
        return "bearer"
    return "cookie" if connection.cookies.get(cookie_name) else "none"


def write_denial(engine: Engine, connection: HTTPConnection, denial: Denial, cookie_name: str) -> None:
    """Record the auth.denied event (blocking; call from a worker thread). Never raises."""
    try:
        with Session(engine, expire_on_commit=False) as session, unit_of_work(session):
            actor = _actor(session, connection, cookie_name)
            record_event(session, type="auth.denied", entity="request",
                         entity_id=current_request_id() or "unknown",
                         actor_user_id=actor.id if actor is not None else None,
                         actor_association_id=actor.association_id if actor is not None else None,
                         payload={"method": denial.method, "path": denial.path, "status": denial.status,
                                  "reason": denial.reason, "message": denial.message, "field": denial.field,
                                  "credential": denial.credential, "client_ip": denial.client_ip})
    except Exception:  # the denial stands even when the audit cannot be written (database down)
        log.warning("could not record auth.denied for %s %s", denial.method, denial.path, exc_info=True)


async def audit_denial(connection: HTTPConnection, denial: Denial) -> None:
    """Record a denial off the event loop, and count it in the metrics."""
    metrics = getattr(connection.app.state, "metrics", None)
    if metrics is not None:
        metrics.denials.labels(denial.reason).inc()
    log.info("denied %s %s: %s", denial.method, denial.path, denial.reason,
             extra={"status": denial.status, "reason": denial.reason, "credential": denial.credential})
    settings = getattr(connection.app.state, "settings", None)
    cookie_name = getattr(settings, "session_cookie_name", "ouen_session")
    await run_in_threadpool(write_denial, engine_of(connection), connection, denial, cookie_name)


def denial_of(request: Request, error: DomainError) -> Denial:
    """The Denial for a domain error raised while serving this request."""
    settings = getattr(request.app.state, "settings", None)
    cookie_name = getattr(settings, "session_cookie_name", "ouen_session")
    return Denial(method=request.method, path=request.url.path, status=error.status, reason=error.code,
                  message=error.message_en, field=error.field,
                  credential=credential_kind(request, cookie_name),
                  client_ip=client_address(request.client.host if request.client else None, request.headers,
                                           getattr(settings, "trusted_proxies", ())))


def install_denial_audit(app: FastAPI) -> None:
    """Answer Unauthenticated and Forbidden as coordinator.errors does, after auditing them."""

    async def _denied(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        if request.url.path not in _AUDITED_ELSEWHERE:
            await audit_denial(request, denial_of(request, error))
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    app.add_exception_handler(Unauthenticated, _denied)
    app.add_exception_handler(Forbidden, _denied)
