"""`ouen backup FILE` / `ouen restore FILE`: a round trip on SQLite (online backup API) and PostgreSQL
(pg_dump/pg_restore), and the portable JSON format on both. The restored database equals the backed-up
one row for row, later changes are gone, and new writes work (ids continue)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from coordinator.app import create_app
from coordinator.cli import app as cli_app
from coordinator.cli import commands  # noqa: F401  (registers the command groups)
from coordinator.ops.backup import detect_format, json_dump
from coordinator.settings import Settings, get_settings

ISHIKAWA = "pref_ishikawa"


def ouen(db_url: str, *args: str) -> Result:
    """Run one `ouen` command with OUEN_DATABASE_URL set, as the console script would."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, list(args), env={"OUEN_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()


def need(headcount: int) -> dict[str, Any]:
    """A valid need of Ishikawa."""
    return {"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": headcount,
            "start": date.today().isoformat(), "days": 5}


@pytest.mark.parametrize("format", ["auto", "json"])
def test_backup_then_restore_brings_back_exactly_the_backed_up_rows(
        db_url: str, engine: Engine, make_user, auth, tmp_path: Path, format: str) -> None:
    secretariat, staff = auth(make_user("secretariat", "clair")[1]), auth(make_user("staff", ISHIKAWA)[1])
    def app() -> FastAPI:  # a fresh app per client: an app's live hub runs in one event loop only
        return create_app(Settings(database_url=db_url), engine=engine)

    with TestClient(app()) as client:
        disaster = client.post("/api/v1/disasters", headers=secretariat, json={
            "name": "能登半島地震（バックアップ試験）", "kind": "earthquake", "area": {"prefectures": ["17"]}}).json()
        kept = client.post(f"/api/v1/disasters/{disaster['id']}/needs", headers=staff, json=need(3)).json()
    before = json_dump(engine)
    assert before["tables"]["need"] and before["tables"]["event"]

    file = tmp_path / "backups" / "ouen.backup"
    done = ouen(db_url, "backup", str(file), "--format", format)
    assert done.exit_code == 0, done.output
    expected = {"auto": "sqlite" if engine.dialect.name == "sqlite" else "pg_dump", "json": "json"}[format]
    assert detect_format(file) == expected and f"({expected})" in done.output

    with TestClient(app()) as client:  # changes after the backup
        later = client.post(f"/api/v1/disasters/{disaster['id']}/needs", headers=staff, json=need(7)).json()
        cancelled = client.post(f"/api/v1/needs/{kept['id']}/cancel", headers=staff)
        assert cancelled.status_code == 200, cancelled.text
    assert json_dump(engine) != before

    done = ouen(db_url, "restore", str(file), "--yes")
    assert done.exit_code == 0, done.output
    assert json_dump(engine) == before  # every table, row for row

    with TestClient(app()) as client:
        assert client.get(f"/api/v1/needs/{later['id']}", headers=secretariat).status_code == 404
        assert client.get(f"/api/v1/needs/{kept['id']}", headers=secretariat).json()["status"] != "cancelled"
        again = client.post(f"/api/v1/disasters/{disaster['id']}/needs", headers=staff, json=need(1))
        assert again.status_code == 201, again.text  # ids and sequences continue after the restore
        assert again.json()["id"] > kept["id"]


def test_restore_refuses_a_file_that_is_no_backup(db_url: str, engine: Engine, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup", encoding="utf-8")
    before = json_dump(engine)
    done = ouen(db_url, "restore", str(junk), "--yes")
    assert done.exit_code == 1 and "not an ouen backup" in done.output and "[file]" in done.output
    assert json_dump(engine) == before


def test_restore_asks_before_replacing(db_url: str, engine: Engine, tmp_path: Path) -> None:
    file = tmp_path / "ouen.backup"
    assert ouen(db_url, "backup", str(file), "--format", "json").exit_code == 0
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli_app, ["restore", str(file)], input="n\n", env={"OUEN_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 1 and "aborted" in done.output
