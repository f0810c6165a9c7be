"""One unit of work (issue 13, item 4): on SQLite reads are deferred and never queue behind a write that is
held open; writes take the lock up front, inside coordinator.db.unit_of_work; a write in a read
transaction is refused before it can fail under load; a failed use case leaves nothing behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.associations.models import Association
from coordinator.db import WriteOutsideUnitOfWork, unit_of_work
from coordinator.events.models import Event
from coordinator.events.service import record_event
from tests.coordinator.disasters_support import World


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:  # type: ignore[no-untyped-def]
    return World(client, make_user, auth)


@contextmanager
def held_write(engine: Engine) -> Iterator[None]:
    """A write transaction open in another thread for as long as the block runs."""
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with Session(engine) as session, unit_of_work(session):
                session.execute(update(Association).where(col(Association.id) == "pref_toyama")
                                .values(name_en=Association.name_en))
                started.set()
                release.wait(120)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
            started.set()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert started.wait(60) and not errors, errors
    try:
        yield
        assert holder.is_alive(), "the write was held open for the whole block"
    finally:
        release.set()
        holder.join(60)
    assert not errors, errors


def test_a_read_does_not_queue_behind_a_held_write(world: World, engine: Engine) -> None:
    need = world.need()
    # The writer holds the database's write lock (SQLite: BEGIN IMMEDIATE and the writer queue) until the
    # block ends: a read that queued behind it would time out (30 s) with a 503 instead.
    with held_write(engine):
        listed = world.client.get(f"/api/v1/disasters/{world.id}/needs", headers=world.secretariat)
        one = world.client.get(f"/api/v1/needs/{need['id']}", headers=world.secretariat)
        picture = world.client.get(f"/web/picture/{world.id}", headers=world.secretariat)
    assert listed.status_code == 200 and [n["id"] for n in listed.json()] == [need["id"]]
    assert one.status_code == 200 and picture.status_code == 200, (one.text, picture.text)


def test_a_write_in_a_read_transaction_is_refused_on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL has no lock upgrade to fail: its transactions need no such guard
    with Session(engine) as session:
        toyama = session.get(Association, "pref_toyama")
        assert toyama is not None
        toyama.name_en = "changed outside a unit of work"
        session.add(toyama)
        with pytest.raises(WriteOutsideUnitOfWork):
            session.commit()
    with Session(engine) as session:
        assert session.get(Association, "pref_toyama").name_en != "changed outside a unit of work"  # type: ignore[union-attr]


def test_a_unit_of_work_that_fails_leaves_nothing_and_publishes_nothing(engine: Engine) -> None:
    published: list[Any] = []
    with Session(engine) as session:
        before = session.exec(select(Event)).all()
    with Session(engine) as session, pytest.raises(RuntimeError), unit_of_work(session):
        record_event(session, type="test.never", entity="test", entity_id=1)
        session.flush()
        published.extend(session.info.get("pending_events", []))
        raise RuntimeError("the use case failed after writing")
    with Session(engine) as session:
        assert session.exec(select(Event)).all() == before
        assert "pending_events" not in session.info
    assert len(published) == 1  # it was written, then rolled back


def test_a_unit_of_work_ends_a_read_begun_earlier_and_keeps_what_it_loaded(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        toyama = session.get(Association, "pref_toyama")  # a read transaction, as authentication opens one
        assert toyama is not None and session.in_transaction()
        with unit_of_work(session):
            session.execute(text("UPDATE association SET name_en = name_en WHERE id = 'pref_toyama'"))
        assert toyama.name_ja  # still loaded, no query needed
        assert not session.in_transaction()
