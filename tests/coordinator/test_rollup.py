"""The one roll-up (issue 13, item 2): people by state per need from one GROUP BY, the same figures in the
needs API, the summary, the dashboard picture and the CSV export, and a number of queries that does not
grow with the number of needs (SQLite and PostgreSQL)."""

from __future__ import annotations

import ast
import csv
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.auth.models import User
from coordinator.exports.service import needs_csv, needs_geojson
from coordinator.needs import service as needs_service
from coordinator.needs.models import Need
from coordinator.readmodel.people import need_people, people_by_state
from coordinator.readmodel.summary import disaster_summary
from coordinator.web.picture import disaster_picture
from tests.conftest import ROOT
from tests.coordinator.dispatch_support import TOYAMA, DispatchWorld


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:  # type: ignore[no-untyped-def]
    return DispatchWorld(client, make_user, auth)


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements this thread runs on the engine inside the block (not the server's background
    tasks, such as the live poll)."""
    statements: list[str] = []
    me = threading.get_ident()

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_people_by_state_sums_headcounts_per_need_in_one_query(world: DispatchWorld, engine: Engine) -> None:
    first, second = world.need(headcount=6), world.need(headcount=4)
    world.dispatch_in("accepted", need_id=first["id"], headcount=2)
    world.dispatch_in("proposed", need_id=first["id"], headcount=3)
    world.dispatch_in("completed", need_id=second["id"], headcount=1)
    with Session(engine) as session, counted(engine) as statements:
        by_need = people_by_state(session, disaster_id=world.id)
    (query,) = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert "GROUP BY" in query.upper()
    assert by_need[first["id"]]["accepted"] == 2 and by_need[first["id"]]["proposed"] == 3
    assert by_need[second["id"]]["completed"] == 1 and by_need[second["id"]]["accepted"] == 0
    assert set(by_need[first["id"]]) == {"proposed", "approved", "requested", "accepted", "declined",
                                         "en_route", "on_site", "completed", "cancelled"}
    with Session(engine) as session:
        need = session.get(Need, second["id"])
        assert need is not None
        assert need_people(session, need).model_dump() == {
            "requested": 4, "proposed": 1, "accepted": 1, "on_site": 1, "fulfilled": 1}


def test_every_reader_shows_the_same_people(world: DispatchWorld) -> None:
    need = world.need(headcount=5)
    for state in ("proposed", "requested", "accepted", "on_site", "completed", "declined", "cancelled"):
        world.dispatch_in(state, need_id=need["id"])
    expected = {"requested": 5, "proposed": 5, "accepted": 3, "on_site": 2, "fulfilled": 1}
    listed = world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.secretariat).json()
    assert [n["people"] for n in listed if n["id"] == need["id"]] == [expected]
    summary = world.client.get(f"/api/v1/disasters/{world.id}/summary", headers=world.secretariat).json()
    assert summary["by_requester"][need["requester_id"]]["accepted"] == 3
    picture = world.client.get(f"/web/picture/{world.id}", headers=world.secretariat).json()
    (row,) = [n for n in picture["needs"] if n["id"] == need["id"]]
    assert {k: row[k] for k in expected if k != "requested"} == {k: v for k, v in expected.items() if k != "requested"}
    exported = world.client.get(f"/api/v1/disasters/{world.id}/export/needs.csv", headers=world.secretariat)
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header = [h.split(" / ")[-1] for h in rows[0]]
    (line,) = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == str(need["id"])]
    assert {k: int(line[k]) for k in expected} == expected


READERS: dict[str, Callable[[Session, int, User], Any]] = {
    "needs API": lambda s, d, u: needs_service.publics(s, needs_service.list_needs(s, disaster_id=d, actor=u)),
    "summary": lambda s, d, u: disaster_summary(s, disaster_id=d, actor=u),
    "picture": lambda s, d, u: disaster_picture(s, disaster_id=d, actor=u),
    "needs.csv": lambda s, d, u: needs_csv(s, disaster_id=d, actor=u),
    "needs.geojson": lambda s, d, u: needs_geojson(s, disaster_id=d, actor=u),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_reading_many_needs_costs_no_more_queries_than_reading_two(world: DispatchWorld, engine: Engine,
                                                                   make_user, reader: str) -> None:  # type: ignore[no-untyped-def]
    secretariat, _ = make_user("secretariat")

    def statements() -> int:
        with Session(engine) as session, counted(engine) as seen:
            READERS[reader](session, world.id, secretariat)
        return len(seen)

    for _ in range(2):
        world.dispatch_in("accepted", need_id=world.need(headcount=2)["id"])
    few = statements()
    for _ in range(8):
        world.dispatch_in("proposed", need_id=world.need(headcount=2)["id"], supplier_id=TOYAMA)
    assert statements() == few


def test_needs_and_dispatches_import_each_other_only_one_way() -> None:
    """No lazy import holds a cycle apart: the needs service does not import the dispatches service, and
    nothing in coordinator/ swallows an ImportError."""
    needs = ast.parse((ROOT / "coordinator" / "needs" / "service.py").read_text())
    imported = {n.module for n in ast.walk(needs) if isinstance(n, ast.ImportFrom)}
    assert "coordinator.dispatches.service" not in imported
    swallowing = [str(p.relative_to(ROOT)) for p in (ROOT / "coordinator").rglob("*.py")
                  for h in ast.walk(ast.parse(p.read_text())) if isinstance(h, ast.ExceptHandler)
                  and isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")]
    assert swallowing == []
