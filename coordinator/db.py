"""Engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Engine
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

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN IMMEDIATE")

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
