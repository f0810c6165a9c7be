"""The FastAPI application: error handlers, routers, health check, offline API docs, web pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine

from coordinator.associations.router import router as associations_router
from coordinator.auth.router import accounts_router
from coordinator.auth.router import router as auth_router
from coordinator.bulletins.inputs import start_inputs, stop_inputs
from coordinator.bulletins.router import router as bulletins_router
from coordinator.contacts.router import router as contacts_router
from coordinator.db import make_engine
from coordinator.disasters.router import router as disasters_router
from coordinator.dispatches.router import router as dispatches_router
from coordinator.errors import install_error_handlers
from coordinator.exports.router import router as exports_router
from coordinator.idempotency.middleware import install_idempotency
from coordinator.jobs.runner import jobs
from coordinator.live.router import router as live_router
from coordinator.live.setup import live_for_app, start_live, stop_live
from coordinator.matching.router import router as matching_router
from coordinator.needs.router import router as needs_router
from coordinator.notifications.router import router as notifications_router
from coordinator.offers.router import router as offers_router
from coordinator.ops import install_operations
from coordinator.ops.bodies import BodyGuard
from coordinator.places.router import router as places_router
from coordinator.settings import Settings, get_settings
from coordinator.sitreps.router import router as sitreps_router
from coordinator.todo.router import router as todo_router
from coordinator.web import install_web

GZIP_MINIMUM_BYTES = 1000
# zlib's default level: half the CPU time of Starlette's 9 for 2 % more bytes (the 477 kB dashboard of
# bench/web.py: 58.4 kB in 67 ms at 9, 59.7 kB in 33 ms at 6, on the shared 2-core machine under load).
GZIP_LEVEL = 6

DOMAIN_ROUTERS = (
    disasters_router,
    needs_router,
    offers_router,
    dispatches_router,
    matching_router,
    exports_router,
    places_router,
    sitreps_router,
    bulletins_router,
    contacts_router,
    todo_router,
    notifications_router,
)

# FastAPI's own /docs page loads Swagger UI from a CDN; this one is self-contained so it works offline.
DOCS_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ouen API</title>
<style>body { font-family: sans-serif; margin: 2rem; } code { background: #f3f3f3; padding: 0 .2rem; }
li { margin: .3rem 0; } .method { display: inline-block; width: 4.5rem; font-weight: bold; }</style></head>
<body><h1>ouen API</h1>
<p>機械可読な定義 / machine-readable definition: <a href="/openapi.json">/openapi.json</a>.
認証 / auth: <code>Authorization: Bearer ouen_…</code> または / or the session cookie from
<code>POST /api/v1/auth/login</code>.</p>
<ul id="paths"></ul>
<script>
fetch("/openapi.json").then((r) => r.json()).then((spec) => {
  const list = document.getElementById("paths");
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const item = document.createElement("li");
      const verb = document.createElement("span"); verb.className = "method";
      verb.textContent = method.toUpperCase();
      const where = document.createElement("code"); where.textContent = path;
      item.append(verb, where, document.createTextNode(" " + (op.summary || "") +
        (op.description ? " — " + op.description.split("\\n")[0] : "")));
      list.append(item);
    }
  }
});
</script></body></html>
"""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The application on settings.database_url (or on `engine`, which the caller then owns)."""
    settings = settings or get_settings()
    owns_engine = engine is None
    app_engine = engine if engine is not None else make_engine(settings.database_url)

    live = live_for_app(app_engine, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await start_live(app, live)
        inputs = start_inputs(app_engine, settings)  # JMA feed and bulletin folder, when configured
        try:
            if settings.jobs_in_app:  # the reminder watch and the notification sender (coordinator/jobs)
                async with jobs(app_engine, settings) as running:
                    app.state.jobs = running
                    yield
            else:
                yield
        finally:
            await stop_inputs(inputs)
            await stop_live(live)
            if owns_engine:
                app_engine.dispose()

    app = FastAPI(title="ouen (応援)", version="0.1.0", lifespan=lifespan,
                  description="Disaster-time mutual-aid coordination for Japan's regional international "
                              "associations. 地域国際化協会の災害時相互応援の調整。",
                  # FastAPI's own /docs loads Swagger UI from a CDN; ours is self-contained (offline).
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = app_engine
    app.state.live = live
    install_error_handlers(app)
    app.include_router(auth_router)
    app.include_router(accounts_router)
    app.include_router(associations_router)
    app.include_router(live_router)  # websocket /api/v1/live (docs/realtime.md)
    for router in DOMAIN_ROUTERS:
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """A self-hosted list of the API's endpoints, read from /openapi.json."""
        return HTMLResponse(DOCS_PAGE)

    install_idempotency(app)  # Idempotency-Key on POST/PATCH, inside CSRF (docs/api.md)
    # Outermost but for the operations middleware: no body is read beyond the limit, before authentication.
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes,
                       per_path={"/api/v1/bulletins": settings.bulletin_max_bytes})
    install_web(app)  # the web pages ("/", dashboard, association page, ...) and /static (coordinator/web)
    # /readyz, /metrics, JSON logs with request ids, security headers, CSRF, denial audit (docs/operations.md)
    install_operations(app, inline_pages=(DOCS_PAGE,))
    # Outermost: pages and JSON go out gzipped to clients that accept it (issue 14 item 10: a dashboard of
    # about 100 kB is about a third of that on the wire); small answers are not worth it.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    return app
