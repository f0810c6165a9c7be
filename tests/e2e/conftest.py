"""The real-server fixtures of the coordinator tests, for every end-to-end test here."""

from tests.coordinator.conftest import (  # noqa: F401
    _sqlite_template,
    live_db_url,
    live_make_user,
    live_server,
    server_factory,
)
