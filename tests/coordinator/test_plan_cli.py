"""`ouen plan DISASTER_ID [--commit] [--json]` on a configured SQLite database (the demo drill's state),
and the service's mapping of solver input errors to the API's Invalid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from coordinator.cli import app
from coordinator.cli.demo import run_demo
from coordinator.cli.plan import system_secretariat
from coordinator.db import make_engine
from coordinator.errors import Invalid
from coordinator.matching.service import PlanInputs, _solve
from coordinator.matching.types import NeedInput
from coordinator.migrations import upgrade_engine
from coordinator.needs.models import NeedCreate
from coordinator.needs.service import create_need
from coordinator.settings import get_settings


@pytest.fixture
def demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """A configured SQLite database (OUEN_DATABASE_URL) holding the demo drill; yields (url, disaster id)."""
    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    monkeypatch.setenv("OUEN_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade_engine(engine)
    from coordinator.associations.service import load_associations

    with Session(engine) as session:
        load_associations(session, data_dir=get_settings().data_dir)
    result = run_demo(engine)
    with Session(engine, expire_on_commit=False) as session:  # one more need, for Toyama's last free person
        create_need(session, disaster_id=result.disaster.id or 0, actor=result.accounts["pref_ishikawa"].user,
                    data=NeedCreate(requester_id="pref_ishikawa", kind="translation", language="vi", headcount=2,
                                    start=date.today(), days=3))
    engine.dispose()
    yield url, result.disaster.id or 0
    get_settings.cache_clear()


def dispatch_states(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        states = [row[0] for row in connection.execute(text("SELECT state FROM dispatch ORDER BY id"))]
    engine.dispose()
    return states


def test_plan_prints_a_table_and_writes_nothing(demo_database: tuple[str, int]) -> None:
    url, disaster_id = demo_database
    before = dispatch_states(url)
    result = CliRunner().invoke(app, ["plan", str(disaster_id)])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "(drill)" in result.output
    assert "supporter" in result.output and "people" in result.output and "km" in result.output
    assert "pref_toyama" in result.output and "covered 1 / 2 people to plan" in result.output
    assert "capacity_exhausted" in result.output
    assert dispatch_states(url) == before


def test_plan_commit_as_the_secretariat_and_json(demo_database: tuple[str, int]) -> None:
    url, disaster_id = demo_database
    before = dispatch_states(url)
    result = CliRunner().invoke(app, ["plan", str(disaster_id), "--commit", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["committed"] is True and plan["mode"] == "drill"
    created = [p["dispatch_id"] for p in plan["proposals"]]
    assert len(created) == 1 and all(created)
    (proposal,) = plan["proposals"]
    assert (proposal["supplier_id"], proposal["headcount"], proposal["committable"]) == ("pref_toyama", 1, True)
    after = dispatch_states(url)
    assert after[: len(before)] == before and after[len(before):] == ["proposed"] * len(created)
    engine = make_engine(url)
    with engine.connect() as connection:
        payload = connection.execute(text("SELECT payload FROM event WHERE type = 'plan.committed'")).scalar_one()
        actor = connection.execute(text("SELECT actor_user_id FROM event WHERE type = 'plan.committed'")).scalar_one()
    engine.dispose()
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["via"] == "cli" and payload["dispatch_ids"] == created and actor is None


def test_unknown_disaster_is_a_bilingual_error(demo_database: tuple[str, int]) -> None:
    result = CliRunner().invoke(app, ["plan", "999999"])
    assert result.exit_code == 1
    assert "error:" in result.output and "エラー" in result.output


def test_the_system_actor_is_the_secretariat_and_never_stored() -> None:
    actor = system_secretariat()
    assert actor.role == "secretariat" and actor.id is None and actor.association_id is None


def test_solver_input_errors_become_invalid_with_field_in_both_languages() -> None:
    from agreements import load_agreement
    from coordinator.disasters.models import Disaster

    need = NeedInput("need:1", "pref_ishikawa", "centre_staff", "vi", 1, date(2026, 1, 1), 3, None, False)
    inputs = PlanInputs(needs=[need, need])
    disaster = Disaster(id=1, name="x", kind="earthquake", mode="live", affected_associations=["pref_ishikawa"])
    with pytest.raises(Invalid) as caught:
        _solve(inputs, agreement=load_agreement(), disaster=disaster)
    assert caught.value.field == "needs.id"
    assert caught.value.message_en != caught.value.message_ja and caught.value.message_ja


def test_release_puts_a_declined_pair_back_as_the_secretariat(demo_database: tuple[str, int]) -> None:
    from sqlmodel import select

    from coordinator.auth.models import User
    from coordinator.dispatches.models import Dispatch
    from coordinator.dispatches.service import transition_dispatch

    url, disaster_id = demo_database
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        dispatch = session.exec(select(Dispatch).where(Dispatch.state == "requested")).first()
        assert dispatch is not None, "the demo has a request waiting for an answer"
        supplier = session.exec(select(User).where(User.association_id == dispatch.supplier_id)).first()
        assert supplier is not None
    with Session(engine, expire_on_commit=False) as session:
        transition_dispatch(session, dispatch_id=dispatch.id or 0, action="decline", actor=supplier,
                            reason="通訳者が体調不良 / interpreters ill")
    engine.dispose()
    shown = CliRunner().invoke(app, ["plan", str(disaster_id)])
    assert f"dispatch {dispatch.id}: need {dispatch.need_id}" in shown.output and "interpreters ill" in shown.output

    refused = CliRunner().invoke(app, ["plan", str(disaster_id), "--release", str(dispatch.id)])
    assert refused.exit_code == 2 and "--reason" in refused.output
    result = CliRunner().invoke(app, ["plan", str(disaster_id), "--release", str(dispatch.id), "--reason", "回復"])
    assert result.exit_code == 0, result.output
    assert "back in plans" in result.output
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT capacity, reason, released_by_user_id FROM declined_pair_release")).one()
        payload = connection.execute(text("SELECT payload FROM event WHERE type = 'plan.pair_released'")).scalar_one()
    engine.dispose()
    assert tuple(row) == ("secretariat", "回復", None)
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["via"] == "cli" and payload["dispatch_id"] == dispatch.id
    assert f"dispatch {dispatch.id}:" not in CliRunner().invoke(app, ["plan", str(disaster_id)]).output
