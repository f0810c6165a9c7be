"""Clean answers for failures that are not the client's bug: database outage (503), numbers out of range (422)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from coordinator.errors import DomainError, Invalid

log = logging.getLogger("ouen.failures")
RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(DomainError):
    """The database cannot be reached right now; the request changed nothing and may be retried."""

    status, code = 503, "unavailable"


def unavailable() -> ServiceUnavailable:
    """The 503 error (with Retry-After) for a database outage."""
    error = ServiceUnavailable("The database is unavailable; nothing was changed, try again shortly",
                               "データベースに接続できません。変更は行われていません。しばらくしてから再度お試しください",
                               field="database", details={"retry_after_seconds": RETRY_AFTER_SECONDS})
    error.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return error


def install_failure_handlers(app: FastAPI) -> None:
    """503 for a lost database connection, 422 for integers the database cannot hold."""

    async def _database_down(request: Request, error: Exception) -> JSONResponse:
        if isinstance(error, DataError):
            return await _out_of_range(request, error)
        if isinstance(error, DBAPIError) and not isinstance(error, OperationalError | InterfaceError) \
                and not error.connection_invalidated:
            raise error  # a genuine bug: let the server answer 500 and log it
        log.warning("database unavailable during %s %s: %s", request.method, request.url.path,
                    type(error.__cause__ or error).__name__)
        problem = unavailable()
        return JSONResponse(problem.body(), status_code=problem.status, headers=problem.headers)

    async def _out_of_range(request: Request, error: Exception) -> JSONResponse:
        # Path and body integers are unbounded in the API; SQLite holds 64 bits and PostgreSQL's integer
        # columns 32. A value beyond that cannot name a stored row: the client's input is out of range.
        log.info("number out of range in %s %s: %s", request.method, request.url.path, type(error).__name__)
        problem = Invalid("a number in the request is out of range (at most 2147483647 for ids)",
                          "リクエスト中の数値が範囲外です（IDは2147483647以下）", field="request")
        return JSONResponse(problem.body(), status_code=422)

    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
    app.add_exception_handler(DBAPIError, _database_down)
    app.add_exception_handler(PoolTimeout, _database_down)
    app.add_exception_handler(OverflowError, _out_of_range)
