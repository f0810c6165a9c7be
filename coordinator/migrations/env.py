"""Alembic environment: runs on the connection handed in by coordinator.migrations (never reads an ini)."""

from __future__ import annotations

from alembic import context

from coordinator.db import make_engine, write_connection
from coordinator.models import metadata
from coordinator.settings import get_settings


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line, pointed at this directory: use the configured database
    engine = make_engine(get_settings().database_url)
    with write_connection(engine) as own_connection:
        _run(own_connection)
    engine.dispose()
