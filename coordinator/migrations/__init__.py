"""Alembic migrations, run programmatically: `upgrade_database(url)` is what `ouen db upgrade`,
`ouen serve` and the test fixtures call."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from coordinator.db import make_engine, write_connection
from coordinator.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config() -> Config:
    """An Alembic configuration pointing at this package's scripts (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision id in the scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Key of the PostgreSQL advisory lock that serialises upgrades (any constant bigint; "ouen" in ASCII).
UPGRADE_LOCK_KEY = 0x6F75656E


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind this engine to `revision`, in one transaction that first takes the
    database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so
    two processes upgrading at once apply the migrations one after the other, never half each."""
    config = alembic_config()
    with write_connection(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade_database(url: str | None = None, revision: str = "head") -> str:
    """Upgrade the database at `url` (default: settings.database_url); returns the revision reached."""
    engine = make_engine(url or get_settings().database_url)
    try:
        upgrade_engine(engine, revision)
        return current_revision(engine) or ""
    finally:
        engine.dispose()
