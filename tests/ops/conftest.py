"""The coordinator's fixtures (fresh database per test on SQLite and PostgreSQL, app, client, users with
tokens, real servers), made available to the operations tests."""

from tests.coordinator.conftest import (  # noqa: F401
    _postgres_admin,
    _sqlite_template,
    app,
    auth,
    client,
    db_url,
    engine,
    live_db_url,
    live_make_user,
    make_user,
    server_factory,
)
