"""Engine, sessions and the unit of work: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import functools
import inspect
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine
from starlette.requests import HTTPConnection

from coordinator.settings import get_settings

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys, deferred reads and queued immediate writes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_transactions(engine)
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


# Execution option of a connection whose transaction writes (set by unit_of_work and write_connection).
WRITE_OPTION = "ouen_write"
_PENDING = "ouen_sqlite_begin_pending"  # connection.info: a transaction began, its BEGIN is not sent yet
_WRITING = "ouen_sqlite_writing"  # connection.info: the open transaction is a write (BEGIN IMMEDIATE)
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_DDL = ("CREATE", "DROP", "ALTER")


class WriteOutsideUnitOfWork(RuntimeError):
    """A statement that writes ran in a read transaction (SQLite): the use case needs unit_of_work."""


def _sqlite_transactions(engine: Engine) -> None:
    """Reads deferred, writes immediate (issue 13, item 4).

    A transaction's BEGIN is sent with its first statement: `BEGIN IMMEDIATE`, after waiting for this
    process's writer queue, when the connection is marked as writing (unit_of_work, write_connection) or
    the first statement writes; otherwise a deferred `BEGIN`, which in WAL mode reads a snapshot without
    any lock, so reads never queue behind writes. A row write (INSERT, UPDATE, DELETE) later in a read
    transaction is refused (WriteOutsideUnitOfWork): SQLite would try to upgrade the read lock, which fails
    at once ("database is locked") if another writer committed meanwhile. Schema changes are left alone
    (migrations take the lock up front through write_connection; create_all in tests runs alone).
    """
    writer = _WriterQueue(timeout_seconds=30.0)
    durable = GroupSync()

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # isolation_level=None: the driver never begins on its own; the BEGIN below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        journal = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        cursor.execute("PRAGMA foreign_keys=ON")
        files = {name: file for _, name, file in cursor.execute("PRAGMA database_list").fetchall()}
        if str(journal).lower() == "wal" and files.get("main") and durable.attach(files["main"] + "-wal"):
            # Commits are made durable by GroupSync before anyone learns of them (see do_commit below).
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        connection.info[_PENDING] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_statement(connection: Connection, cursor, statement: str, *_rest) -> None:  # type: ignore[no-untyped-def]
        verb = statement.lstrip()[:7].upper()
        writes = verb.startswith(_DML)
        if connection.info.pop(_PENDING, False):
            if writes or verb.startswith(_DDL) or connection.get_execution_options().get(WRITE_OPTION, False):
                writer.enter(cursor.connection)
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                except BaseException:
                    writer.leave(cursor.connection)
                    raise
                connection.info[_WRITING] = True
            else:
                cursor.execute("BEGIN")
        elif writes and connection.in_transaction() and not connection.info.get(_WRITING):
            raise WriteOutsideUnitOfWork(
                f"{statement.split(None, 1)[0]} in a read transaction: run the use case in "
                "coordinator.db.unit_of_work (SQLite reads are deferred, writes take the lock up front)")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _sqlite_end(connection: Connection) -> None:
        connection.info.pop(_PENDING, None)
        connection.info.pop(_WRITING, None)

    # The turn is given back once the COMMIT or ROLLBACK is done (not before it, when the next writer's
    # BEGIN IMMEDIATE would meet SQLite's lock and sleep in its busy handler). A write's COMMIT is then
    # made durable (group commit, outside the turn) before do_commit returns, so before the session's
    # after-commit hooks publish its events and before the request is answered.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        raw = _raw(dbapi_connection)
        wrote = writer.holds(raw)
        ticket = None
        try:
            commit(dbapi_connection)
            ticket = durable.committed() if wrote else None
        finally:
            writer.leave(raw)
        if ticket is not None:
            durable.wait(ticket)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            writer.leave(_raw(dbapi_connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    # Safety net: a connection that goes back to the pool, or is thrown away, gives its turn back too.
    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    def _sqlite_returned(dbapi_connection, record, *_rest) -> None:  # type: ignore[no-untyped-def]
        if record is not None:
            record.info.pop(_PENDING, None)
            record.info.pop(_WRITING, None)
        if dbapi_connection is not None:
            writer.leave(dbapi_connection)


def _raw(dbapi_connection: Any) -> Any:
    # The dialect is handed the pool's proxy; the writer queue knows the driver's connection (the cursor's).
    return getattr(dbapi_connection, "dbapi_connection", dbapi_connection)


class _WriterQueue:
    """One write transaction at a time per SQLite engine, queued in this process.

    Left to SQLite, threads waiting for the write lock sleep in its busy handler (up to 100 ms between
    tries), so under a spike of concurrent writers the lock sits free while waiters sleep: measured with
    bench/load.py, 315 staff writing at once stalled for minutes at a few percent CPU and requests timed
    out. A Python lock wakes the next waiter as soon as the holder commits or rolls back. Reads do not
    queue here (deferred transactions). Other processes on the same file still meet SQLite's own lock and
    busy timeout.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout_seconds
        self._holder: Any = None

    def enter(self, dbapi_connection: Any) -> None:
        """Wait for our turn (as long as SQLite's busy timeout would), then hold it for this connection."""
        if self._holder is dbapi_connection:
            return
        if not self._lock.acquire(timeout=self._timeout):
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        self._holder = dbapi_connection

    def holds(self, dbapi_connection: Any) -> bool:
        """Whether this connection has the turn (its open transaction writes)."""
        return dbapi_connection is not None and self._holder is dbapi_connection

    def leave(self, dbapi_connection: Any) -> None:
        """Give the turn back if this connection holds it (a commit may be reported more than once)."""
        if self._holder is dbapi_connection and dbapi_connection is not None:
            self._holder = None
            self._lock.release()


class GroupSync:
    """Group commit for SQLite in WAL mode: one fsync of the write-ahead log for every commit that finished
    before it, done outside the writer's turn.

    With `synchronous=FULL` SQLite syncs the log inside each COMMIT, while the writer holds the lock, so
    writers queue behind one fsync each (bench/write_ratio.py: the fsync was most of a need declaration's
    time). With `synchronous=NORMAL` the COMMIT only writes the log, and the database stays consistent
    whatever happens, but a commit not yet synced can be lost in a power cut. So each writing
    transaction takes a ticket after its COMMIT returns and waits here until the log has been synced past
    it: a commit that finds the log already synced past its ticket (by a neighbour's fsync) waits for
    nothing. Nothing is acknowledged or published before it is on disk, as with FULL.
    """

    def __init__(self) -> None:
        self._path: str | None = None
        self._counter = threading.Lock()
        self._sync = threading.Lock()
        self._finished = 0  # commits finished (their log frames written)
        self._synced = 0  # commits known to be on disk
        self._directory_synced = False

    def attach(self, wal_path: str) -> bool:
        """Sync this log file from now on (one file per engine); False if the engine has another."""
        with self._counter:
            if self._path is None:
                self._path = wal_path
            return self._path == wal_path

    def committed(self) -> int:
        """A ticket for a COMMIT that has just returned."""
        with self._counter:
            self._finished += 1
            return self._finished

    def wait(self, ticket: int) -> None:
        """Return once every commit up to this ticket is on disk (an fsync shared with its neighbours)."""
        with self._sync:
            if self._synced >= ticket:
                return
            with self._counter:
                target = self._finished  # every commit that finished so far is in the log file
            self._fsync()
            self._synced = target

    def _fsync(self) -> None:
        assert self._path is not None
        try:
            descriptor = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return  # the log was checkpointed into the database (synced by SQLite) and removed
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if not self._directory_synced:  # the log file's own directory entry, once
            directory = os.open(os.path.dirname(self._path) or ".", os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._directory_synced = True


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection in one write transaction (committed at the end, rolled back on error); on SQLite
    it takes the write lock with its first statement, whatever that statement is."""
    with engine.connect() as connection, connection.execution_options(**{WRITE_OPTION: True}).begin():
        yield connection


_IN_UNIT = "ouen_unit_of_work"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One write use case: its transaction is a write from its first statement (SQLite: BEGIN IMMEDIATE
    behind this process's writer queue; PostgreSQL: an ordinary transaction), committed when the block
    ends and rolled back on any error, so no lock outlives the use case. A read transaction the session had
    open (authentication, say) is ended first; objects it loaded stay loaded when the session keeps them
    on commit (expire_on_commit=False, as request sessions do), and what the use case wrote stays loaded
    after it in any session. Nested units join the outer one."""
    if session.info.get(_IN_UNIT):
        yield session
        return
    if session.in_transaction():
        session.commit()
    before = session.execution_options
    session.execution_options = before.union({WRITE_OPTION: True})
    session.info[_IN_UNIT] = True
    try:
        yield session
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()  # what the use case wrote stays loaded for its caller
        finally:
            session.expire_on_commit = keep
    except BaseException:
        session.rollback()
        raise
    finally:
        session.execution_options = before
        session.info.pop(_IN_UNIT, None)


def writes(use_case: Callable[..., T]) -> Callable[..., T]:
    """Run a service function (its first argument the session) as one unit_of_work."""

    @functools.wraps(use_case)
    def run(session: Session, *args: Any, **kwargs: Any) -> T:
        with unit_of_work(session):
            return use_case(session, *args, **kwargs)

    return run


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

    Why: reading after a use case's commit (to build the response) begins a (read) transaction, which
    holds a pooled connection. Left to the dependency's teardown, it was held until the response was
    serialised, which needs a worker thread of its own; under a spike every worker was waiting for a
    connection and nobody could serialise (bench/load.py's 315 concurrent staff on PostgreSQL: every
    connection "idle in transaction"). Use it for every router: `APIRouter(route_class=SessionRoute)`.
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
