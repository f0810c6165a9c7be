"""/healthz: the process is alive (no database: an outage must not restart every instance);
/readyz: the instance can serve — its database answers and is migrated to the newest revision."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from coordinator.errors import DomainError
from coordinator.migrations import current_revision, head_revision


class Liveness(BaseModel):
    """A live process: it answers HTTP."""

    status: str


class Readiness(BaseModel):
    """A ready instance: its database is reachable and at the revision this code expects."""

    status: str
    database: str
    revision: str


def not_ready(message_en: str, message_ja: str, *, details: dict[str, str | None]) -> JSONResponse:
    """The 503 answer in the API's error shape (code "not_ready")."""
    problem = DomainError(message_en, message_ja, field="database", details=details)
    problem.code = "not_ready"
    return JSONResponse(problem.body(), status_code=503, headers={"Retry-After": "5"})


def install_liveness(app: FastAPI) -> None:
    """GET /healthz: 200 while the process serves HTTP; never touches the database (issue 13, item 6)."""

    @app.get("/healthz", tags=["health"], response_model=Liveness)
    def healthz() -> Liveness:
        """Liveness: 200 while the process answers, whatever the database's state (see /readyz)."""
        return Liveness(status="ok")


def install_readiness(app: FastAPI) -> None:
    """GET /readyz: 200 when ready to take traffic, 503 (error shape) when a load balancer should wait."""
    head = head_revision()

    @app.get("/readyz", tags=["health"], response_model=Readiness,
             responses={503: {"description": "Database unreachable or not migrated / 準備ができていません"}})
    def readyz() -> Readiness | JSONResponse:
        """200 when the database answers and is migrated to the newest revision, 503 otherwise."""
        try:
            revision = current_revision(app.state.engine)
        except Exception as error:  # any failure to reach the database means "not ready"
            return not_ready(f"database unreachable: {type(error).__name__}", "データベースに接続できません",
                             details={"expected_revision": head})
        if revision != head:
            return not_ready(f"database at revision {revision or 'none'}, expected {head}: run `ouen db upgrade`",
                             f"データベースが最新ではありません（{revision or '空'} → {head}）",
                             details={"revision": revision, "expected_revision": head})
        return Readiness(status="ready", database="ok", revision=revision)
