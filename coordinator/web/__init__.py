"""The web pages: national dashboard, association page, timeline and situation report (Japanese first)."""

from __future__ import annotations

from fastapi import FastAPI


def install_web(app: FastAPI) -> None:
    """Add the pages and their static files (/static) to the app."""
    from coordinator.web.accounts import router as accounts_router
    from coordinator.web.bulletins import router as bulletins_router
    from coordinator.web.coordination import router as coordination_router
    from coordinator.web.notifications import router as notifications_router
    from coordinator.web.router import STATIC_DIR, router

    app.include_router(coordination_router)  # first: /disasters/new before /disasters/{disaster_id}
    app.include_router(router)
    app.include_router(bulletins_router)
    app.include_router(notifications_router)
    app.include_router(accounts_router)
    from coordinator.web.static_files import CachedStaticFiles

    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
