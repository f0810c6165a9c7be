"""`ouen demo`: a drill with accounts, needs, offers and dispatches; never a live disaster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from coordinator.auth.credentials import verify_password
from coordinator.auth.models import User
from coordinator.cli import app
from coordinator.cli.demo import run_demo
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.events.models import Event
from coordinator.settings import get_settings


def test_run_demo_twice_makes_two_drills_and_nothing_live(engine: Engine) -> None:
    first = run_demo(engine)
    second = run_demo(engine)
    assert first.disaster.id != second.disaster.id
    with Session(engine) as session:
        disasters = list(session.exec(select(Disaster)))
        assert {d.mode for d in disasters} == {"drill"} and len(disasters) == 2
        assert all(d.name.startswith("【訓練】") for d in disasters)
        assert {d.affected_prefectures[0] for d in disasters} == {"17"}
        for result in (first, second):
            states = sorted(session.exec(select(Dispatch.state).where(
                Dispatch.disaster_id == result.disaster.id)))
            assert states == ["on_site", "requested"]
        assert {e.mode for e in session.exec(select(Event).where(Event.disaster_id.is_not(None)))} == {"drill"}
        for association_id in ("pref_ishikawa", "pref_toyama", "pref_fukui"):
            account = first.accounts[association_id]
            stored = session.get(User, account.user.id)
            assert stored is not None and stored.association_id == association_id and stored.role == "staff"
            assert verify_password(stored.password_hash, account.password)
    first_logins = {a.user.login for a in first.accounts.values()}
    assert first_logins.isdisjoint({a.user.login for a in second.accounts.values()})


@pytest.fixture
def configured_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty SQLite file as the configured database (OUEN_DATABASE_URL) for the command."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("OUEN_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_ouen_demo_prints_logins_and_passwords_once(configured_database: str) -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "【訓練】" in result.output and "mode drill" in result.output
    for association in ("pref-ishikawa", "pref-toyama", "pref-fukui"):
        assert association in result.output
    assert "on_site" in result.output and "requested" in result.output
