"""Backup and restore of the whole database: SQLite through its online backup API, PostgreSQL through
pg_dump/pg_restore when they are installed, and a portable JSON dump of every table otherwise (or on
request, e.g. to move from SQLite to PostgreSQL)."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, MetaData, Table, TypeDecorator, insert, select, text
from sqlalchemy.engine import Engine

from coordinator.db import write_connection
from coordinator.errors import Invalid
from coordinator.migrations import current_revision

JSON_FORMAT = "ouen-json-1"
FORMATS = ("auto", "sqlite", "pg_dump", "json")


def _metadata() -> MetaData:
    from coordinator.models import metadata  # imports every table module

    return metadata


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise Invalid("only a SQLite file can be backed up", "バックアップできるのはSQLiteファイルだけです",
                      field="database_url")
    return Path(database)


def _postgres_schema(engine: Engine) -> str | None:
    """The schema named by `options=-csearch_path=…` in the URL (test and multi-tenant set-ups), if any."""
    options = engine.url.query.get("options")
    for option in ([options] if isinstance(options, str) else list(options or [])):
        for part in option.split():
            if part.startswith("-csearch_path="):
                return part.split("=", 1)[1].split(",")[0]
    return None


def _libpq_url(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def resolve_format(engine: Engine, requested: str) -> str:
    """The format used for this engine: sqlite (SQLite), pg_dump (PostgreSQL with the tools), else json."""
    if requested not in FORMATS:
        raise Invalid(f"format must be one of {', '.join(FORMATS)}", f"形式は {'・'.join(FORMATS)} のいずれかです",
                      field="format")
    dialect = engine.dialect.name
    if requested == "auto":
        if dialect == "sqlite":
            return "sqlite"
        return "pg_dump" if shutil.which("pg_dump") and shutil.which("pg_restore") else "json"
    if (requested, dialect) in (("sqlite", "postgresql"), ("pg_dump", "sqlite")):
        raise Invalid(f"format {requested} does not fit a {dialect} database",
                      f"形式 {requested} は {dialect} のデータベースには使えません", field="format")
    return requested


def backup(engine: Engine, target: Path, *, format: str = "auto") -> str:
    """Write a consistent copy of the database to `target` while it keeps serving; returns the format."""
    chosen = resolve_format(engine, format)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if chosen == "sqlite":
        # The online backup API copies a consistent snapshot page by page, WAL included (sqlite.org/backup.html).
        with closing(sqlite3.connect(_sqlite_path(engine))) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
    elif chosen == "pg_dump":
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
        schema = _postgres_schema(engine)
        if schema:
            command.append(f"--schema={schema}")
        _run([*command, _libpq_url(engine)])
    else:
        partial.write_text(json.dumps(json_dump(engine), ensure_ascii=False), encoding="utf-8")
    partial.replace(target)  # a crash mid-way never leaves a truncated file under the real name
    return chosen


def detect_format(source: Path) -> str:
    """The format of a backup file, from its first bytes."""
    head = source.open("rb").read(16)
    if head.startswith(b"SQLite format 3"):
        return "sqlite"
    if head.startswith(b"PGDMP"):
        return "pg_dump"
    if head.lstrip().startswith(b"{"):
        return "json"
    raise Invalid(f"{source} is not an ouen backup (SQLite, pg_dump custom or JSON)",
                  f"{source} はouenのバックアップではありません", field="file")


def restore(engine: Engine, source: Path) -> str:
    """Replace the database's contents with the backup's; returns the format. Stop the servers first."""
    kind = detect_format(source)
    if kind == "sqlite":
        if engine.dialect.name != "sqlite":
            return _restore_json(engine, _sqlite_as_json(source))
        with closing(sqlite3.connect(source)) as backup_file:
            problems = backup_file.execute("PRAGMA integrity_check").fetchone()[0]
            if problems != "ok":
                raise Invalid(f"the backup file is damaged: {problems}", "バックアップファイルが壊れています",
                              field="file")
            engine.dispose()  # no pooled connection may keep reading the old pages
            with closing(sqlite3.connect(_sqlite_path(engine))) as live:
                backup_file.backup(live)
    elif kind == "pg_dump":
        if engine.dialect.name != "postgresql":
            raise Invalid("a pg_dump backup restores into PostgreSQL only",
                          "pg_dump形式のバックアップはPostgreSQLにのみ復元できます", field="file")
        engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={_libpq_url(engine)}", str(source)])
    else:
        _restore_json(engine, json.loads(source.read_text(encoding="utf-8")))
    return kind


def _run(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        tool = Path(command[0]).name
        # The message may quote the command line; never echo the connection string (it holds the password).
        detail = "\n".join(line for line in finished.stderr.splitlines() if "postgresql://" not in line)[:800]
        raise Invalid(f"{tool} failed: {detail}", f"{tool} が失敗しました: {detail}", field="database")


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _storage_type(column_type: Any) -> Any:
    # A TypeDecorator (SQLModel's UTCDateTime, AutoString) stores through its impl.
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def _decode(column_type: Any, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    storage = _storage_type(column_type)
    if isinstance(storage, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(storage, Date):
        return date.fromisoformat(value)
    if isinstance(storage, LargeBinary):
        return base64.b64decode(value)
    return value


def json_dump(engine: Engine) -> dict[str, Any]:
    """Every table's rows in dependency order, with the schema revision they belong to."""
    tables = _metadata().sorted_tables
    with engine.connect() as connection:
        dump: dict[str, Any] = {"format": JSON_FORMAT, "revision": current_revision(engine), "tables": {}}
        for table in tables:
            key = [column for column in table.primary_key.columns] or list(table.columns)
            rows = connection.execute(select(table).order_by(*key)).mappings()
            dump["tables"][table.name] = [{name: _encode(value) for name, value in row.items()} for row in rows]
    return dump


def _sqlite_as_json(source: Path) -> dict[str, Any]:
    from coordinator.db import make_engine

    engine = make_engine(f"sqlite:///{source}")
    try:
        return json_dump(engine)
    finally:
        engine.dispose()


def _restore_json(engine: Engine, dump: dict[str, Any]) -> str:
    if dump.get("format") != JSON_FORMAT:
        raise Invalid(f"not an ouen JSON backup (format {dump.get('format')!r})",
                      "ouenのJSONバックアップではありません", field="file")
    revision = current_revision(engine)
    if revision != dump.get("revision"):
        raise Invalid(f"the backup is at revision {dump.get('revision')}, the database at {revision}: "
                      "migrate the database to the backup's revision first",
                      f"バックアップのリビジョン {dump.get('revision')} とデータベースの {revision} が違います",
                      field="revision")
    tables: list[Table] = _metadata().sorted_tables
    with write_connection(engine) as connection:
        for table in reversed(tables):
            connection.execute(table.delete())
        for table in tables:
            rows = [{name: _decode(table.columns[name].type, value) for name, value in row.items()
                     if name in table.columns} for row in dump["tables"].get(table.name, [])]
            if rows:
                connection.execute(insert(table), rows)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, tables)
    return "json"


def _reset_sequences(connection: Any, tables: list[Table]) -> None:
    # Rows were inserted with their ids, so each serial's next value must move past the largest id.
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name}).scalar()
            if sequence:
                connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                                        f'"{table.name}"), 0) + 1, false)'), {"s": sequence})


__all__ = ["FORMATS", "backup", "detect_format", "json_dump", "resolve_format", "restore"]
