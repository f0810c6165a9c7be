"""Operations: readiness, metrics, structured logs with request ids, security headers, CSRF, denial audit,
clean 503s during a database outage, and backup/restore (docs/operations.md)."""

from __future__ import annotations

from fastapi import FastAPI

from coordinator.ops.context import RequestIdMiddleware
from coordinator.ops.csrf import CsrfMiddleware
from coordinator.ops.denials import install_denial_audit
from coordinator.ops.failures import install_failure_handlers
from coordinator.ops.headers import SecurityHeadersMiddleware, content_security_policy, script_hashes, security_headers
from coordinator.ops.health import install_liveness, install_readiness
from coordinator.ops.logs import configure_logging
from coordinator.ops.metrics import Metrics, install_metrics_route
from coordinator.ops.observe import ObserveMiddleware
from coordinator.settings import Settings


def install_operations(app: FastAPI, *, inline_pages: tuple[str, ...] = ()) -> None:
    """Install everything operational on the app, from app.state.settings.

    `inline_pages` are HTML pages whose inline <script> blocks the CSP must allow (by hash).
    """
    settings: Settings = app.state.settings
    configure_logging(level=settings.log_level, log_format=settings.log_format,
                      replace_server_access_log=settings.access_log)
    metrics = Metrics(app) if settings.metrics_enabled else None
    app.state.metrics = metrics
    install_liveness(app)
    install_readiness(app)
    if metrics is not None:
        install_metrics_route(app, metrics)
    install_denial_audit(app)
    install_failure_handlers(app)
    csp = content_security_policy(script_hashes(*inline_pages))
    hsts = settings.hsts_seconds if settings.cookie_secure else None
    # Starlette runs the last added middleware first: request id, then timing, then headers, then CSRF.
    app.add_middleware(CsrfMiddleware, trusted_origins=settings.trusted_origins)
    app.add_middleware(SecurityHeadersMiddleware, headers=security_headers(csp=csp, hsts_seconds=hsts))
    app.add_middleware(ObserveMiddleware, metrics=metrics, log_access=settings.access_log)
    app.add_middleware(RequestIdMiddleware)
