"""`ouen db upgrade`, `ouen users add|list`, `ouen tokens create|list|revoke` (in-process: a subprocess per
command costs over a second of imports; `ouen serve` is tested as a real process in test_app_serve.py)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from coordinator.app import create_app
from coordinator.cli import app as cli_app
from coordinator.cli import commands  # noqa: F401  (registers the command groups)
from coordinator.settings import Settings, get_settings
from tests.support import sqlite_url


def ouen(db_url: str, *args: str) -> Result:
    """Run one `ouen` command with OUEN_DATABASE_URL set, as the console script would."""
    get_settings.cache_clear()  # the settings are read once per process; this "process" has a new env
    try:
        return CliRunner().invoke(cli_app, list(args), env={"OUEN_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()


def test_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path / "cli.sqlite3")
    not_ready = ouen(db_url, "users", "list")
    assert not_ready.exit_code == 1 and "ouen db upgrade" in not_ready.stderr

    upgraded = ouen(db_url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "64 association rows changed" in upgraded.stdout

    added = ouen(db_url, "users", "add", "Ana@Example.org", "--role", "staff", "--association", "pref_ishikawa",
                 "--name", "Ana")
    assert added.exit_code == 0, added.stderr
    password = re.search(r"password \(shown only now\): (\S+)", added.stdout).group(1)

    refused = ouen(db_url, "users", "add", "bob", "--role", "staff")
    assert refused.exit_code == 1
    assert "association_id" in refused.stderr and "協会" in refused.stderr

    listed = ouen(db_url, "users", "list")
    assert "ana@example.org\tstaff\tpref_ishikawa\tyes\tAna" in listed.stdout
    assert password not in listed.stdout

    created = ouen(db_url, "tokens", "create", "ana@example.org", "--name", "ci")
    assert created.exit_code == 0, created.stderr
    secret = re.search(r"secret \(shown only now\): (ouen_\S+)", created.stdout).group(1)
    token_id = re.search(r"created token id (\d+)", created.stdout).group(1)
    tokens = ouen(db_url, "tokens", "list")
    assert secret not in tokens.stdout and secret[:11] in tokens.stdout

    with TestClient(create_app(Settings(database_url=db_url))) as client:
        assert client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": password}
                           ).status_code == 200
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        revoked = ouen(db_url, "tokens", "revoke", token_id)
        assert revoked.exit_code == 0, revoked.stderr
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401

    missing = ouen(db_url, "tokens", "revoke", "999")
    assert missing.exit_code == 1 and "token_id" in missing.stderr
