"""Engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import functools
import inspect
import sqlite3
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine
from starlette.requests import HTTPConnection

from coordinator.settings import get_settings


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # isolation_level=None lets BEGIN IMMEDIATE below take the write lock up front, so two
            # writers serialise instead of failing with "database is locked" on upgrade.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        writer = _WriterQueue(timeout_seconds=30.0)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            writer.enter(connection)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writer.leave(connection)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(connection) -> None:  # type: ignore[no-untyped-def]
            writer.leave(connection)

        # Safety net: a connection that goes back to the pool, or is thrown away, gives its turn back too.
        @event.listens_for(engine, "checkin")
        @event.listens_for(engine, "invalidate")
        def _sqlite_returned(_dbapi_connection, record, *_rest) -> None:  # type: ignore[no-untyped-def]
            if record is not None:
                writer.leave(record)

        return engine
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _postgres_utc(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Sessions run in UTC whatever the server's TimeZone is, so SQL-side times agree with Python's.
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.close()
        dbapi_connection.commit()

    return engine


class _WriterQueue:
    """One transaction at a time per SQLite engine, queued in this process.

    Every SQLite transaction here holds the database's write lock (BEGIN IMMEDIATE). Left to SQLite, the
    threads waiting for it sleep in its busy handler (up to 100 ms between tries), so under a spike of
    concurrent writers the lock sits free while waiters sleep: measured with bench/load.py, 315 staff
    writing at once stalled for minutes at a few percent CPU and requests timed out. A Python lock wakes
    the next waiter as soon as the holder commits or rolls back. Other processes on the same file still
    meet SQLite's own lock and busy timeout.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout_seconds

    def enter(self, connection: Connection) -> None:
        """Wait for our turn (as long as SQLite's busy timeout would), then hold it for this connection."""
        if connection.info.get(_HOLDS_TURN):
            return
        if not self._lock.acquire(timeout=self._timeout):
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        connection.info[_HOLDS_TURN] = True

    def leave(self, connection: Connection | ConnectionPoolEntry) -> None:
        """Give the turn back (a commit or rollback may be reported more than once: release only once)."""
        if connection.info.pop(_HOLDS_TURN, False):
            self._lock.release()


_HOLDS_TURN = "ouen_sqlite_writer_turn"


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


def engine_of(connection: HTTPConnection | None) -> Engine:
    """The engine of the app serving this request (app.state.engine), else the process-wide one."""
    engine = getattr(connection.app.state, "engine", None) if connection is not None else None
    return engine if engine is not None else get_engine()


def get_session(connection: HTTPConnection = None) -> Iterator[Session]:  # type: ignore[assignment]
    """A session per request (HTTP or websocket) on its app's engine; services commit once per use case."""
    with Session(engine_of(connection), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class SessionRoute(APIRoute):
    """An API route whose synchronous endpoint closes its request's session as it returns, in its own
    worker thread, so no transaction stays open while the response is serialised and sent.

    Why: reading after a use case's commit (to build the response) begins a transaction, which holds a
    pooled connection and, on SQLite, the write lock. Left to the dependency's teardown, it was held
    until the response was serialised, which needs a worker thread of its own; under a spike every
    worker was waiting for a connection or the lock, and nobody could serialise: bench/load.py's 315
    concurrent staff stalled (SQLite: minutes at a few percent CPU; PostgreSQL: every connection "idle in
    transaction"). Use it for every router: `APIRouter(route_class=SessionRoute)`.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _closing_sessions(endpoint), **kwargs)


def _closing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint) or getattr(endpoint, "_closes_sessions", False):
        return endpoint

    @functools.wraps(endpoint)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()  # the objects it returned stay loaded (expire_on_commit=False)

    call._closes_sessions = True  # type: ignore[attr-defined]
    return call
