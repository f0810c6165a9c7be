"""Drill tests reuse the coordinator fixtures (a fresh migrated database per test, the app and a client)."""

from __future__ import annotations

from tests.coordinator.conftest import (  # noqa: F401  (fixtures)
    _postgres_admin,
    _sqlite_template,
    app,
    auth,
    client,
    db_url,
    engine,
    make_user,
)
