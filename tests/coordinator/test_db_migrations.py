"""Migrations on empty SQLite and PostgreSQL databases, schema/model agreement, association loading."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coordinator.associations.models import Association
from coordinator.associations.service import load_associations
from coordinator.db import make_engine, unit_of_work
from coordinator.migrations import UPGRADE_LOCK_KEY, current_revision, head_revision, upgrade_database
from coordinator.models import metadata
from coordinator.settings import get_settings
from tests.conftest import ROOT
from tests.support import sqlite_url

PLATFORM_TABLES = {"event", "association", "app_user", "api_token", "login_session", "login_attempt"}


@pytest.fixture
def empty_db_url(db_url: str, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the test's own (still empty) PostgreSQL schema."""
    return sqlite_url(tmp_path / "empty.sqlite3") if db_url.startswith("sqlite") else db_url


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_on_an_empty_database(empty_db_url: str) -> None:
    assert table_names(empty_db_url) == set()
    assert upgrade_database(empty_db_url) == head_revision()
    tables = table_names(empty_db_url)
    assert tables >= PLATFORM_TABLES
    assert "alembic_version" in tables
    # Every table the models declare exists after the migrations: no model without a migration.
    assert set(metadata.tables) <= tables
    # Running it again is a no-op.
    assert upgrade_database(empty_db_url) == head_revision()


def test_first_revision_is_the_platform(empty_db_url: str) -> None:
    assert upgrade_database(empty_db_url, revision="0001_platform") == "0001_platform"
    assert table_names(empty_db_url) == PLATFORM_TABLES | {"alembic_version"}


def test_platform_tables_match_their_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    def touches_platform(difference: object) -> bool:
        text_form = repr(difference)
        return any(f"'{name}'" in text_form or f"<{name}>" in text_form or f"table={name}" in text_form
                   for name in PLATFORM_TABLES)

    assert [d for d in differences if touches_platform(d)] == []


def test_associations_load_idempotently_with_the_secretariat(engine: Engine) -> None:
    data_dir = get_settings().data_dir
    with Session(engine) as session:
        rows = {row.id: row for row in session.exec(select(Association))}
        assert len(rows) == 64  # the 63 associations and CLAIR
        assert rows["clair"].kind == "secretariat" and rows["clair"].block is None
        assert rows["clair"].prefecture_code == "13"
        ishikawa = rows["pref_ishikawa"]
        assert ishikawa.prefecture_code == "17" and ishikawa.block == "tokai_hokuriku"
        assert ishikawa.lat is not None and ishikawa.municipality_code == "17201"
        assert load_associations(session, data_dir=data_dir) == 0
        with unit_of_work(session):
            ishikawa.name_ja = "changed by hand"
            session.add(ishikawa)
        assert load_associations(session, data_dir=data_dir) == 1
        assert session.get(Association, "pref_ishikawa").name_ja == "石川県国際交流協会"


def test_two_processes_migrating_one_database_at_once_both_succeed(empty_db_url: str) -> None:
    """SQLite: BEGIN IMMEDIATE; PostgreSQL: the upgrade's advisory lock (issue 13, item 6)."""
    url = empty_db_url
    code = f"from coordinator.migrations import upgrade_database; print(upgrade_database({url!r}))"
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == head_revision()
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_an_upgrade_on_postgresql_waits_for_the_advisory_lock(db_url: str) -> None:
    """While another upgrader holds the lock, an upgrade waits (its lock request shows as not granted in
    pg_locks) and writes nothing; once the lock is released it completes."""
    holder = make_engine(db_url)
    done: list[BaseException | str] = []
    try:
        with holder.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            connection.commit()
            worker = threading.Thread(target=lambda: done.append(_upgrade(db_url)), daemon=True)
            worker.start()
            waiting = 0
            for _ in range(600):  # until the upgrade is seen waiting for the lock (or 60 s)
                waiting = connection.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key"),
                    {"key": UPGRADE_LOCK_KEY}).scalar_one()
                connection.commit()
                if waiting:
                    break
                worker.join(0.1)
            assert waiting == 1 and not done, "the upgrade must wait for the advisory lock"
            assert "alembic_version" not in table_names(db_url)
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY})
            connection.commit()
        worker.join(120)
        assert done == [head_revision()]
    finally:
        holder.dispose()


def _upgrade(url: str) -> BaseException | str:
    try:
        return upgrade_database(url)
    except BaseException as error:  # handed to the test thread
        return error
