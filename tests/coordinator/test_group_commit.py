"""SQLite group commit (coordinator.db.GroupSync): a write is on disk (its write-ahead log synced) before it
is published or answered, a read syncs nothing, and one fsync serves every commit that finished before it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from coordinator.db import GroupSync, make_engine, unit_of_work
from coordinator.events.service import add_publisher, record_event, remove_publisher
from tests.support import prepare_database, sqlite_url


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync of this process, by the path of the file (the OS boundary, recorded and still done)."""
    calls: list[str] = []
    real = os.fsync

    def fsync(descriptor: int) -> None:
        calls.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_one_fsync_serves_every_commit_finished_before_it(tmp_path: Path, synced: list[str]) -> None:
    log = tmp_path / "db.sqlite3-wal"
    log.write_bytes(b"frames")
    group = GroupSync()
    assert group.attach(str(log)) and not group.attach(str(tmp_path / "other-wal"))
    first, second = group.committed(), group.committed()
    group.wait(first)
    assert synced == [str(log), str(tmp_path)]  # the log, and once its directory entry
    group.wait(second)  # finished before that fsync: already on disk
    assert synced == [str(log), str(tmp_path)]
    group.wait(group.committed())
    assert synced == [str(log), str(tmp_path), str(log)]


def test_a_write_is_synced_before_it_is_published_and_a_read_syncs_nothing(tmp_path: Path,
                                                                          synced: list[str]) -> None:
    engine = make_engine(sqlite_url(tmp_path / "ouen.sqlite3"))
    prepare_database(engine)
    log = str(tmp_path / "ouen.sqlite3-wal")
    seen: list[tuple[str, bool]] = []  # (event type, was its log synced when it was published?)
    marks: list[int] = []

    def publisher(events: list) -> None:  # type: ignore[type-arg]
        seen.extend((e.type, synced[marks[-1]:].count(log) > 0) for e in events)

    add_publisher(publisher)
    try:
        with Session(engine) as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: GroupSync syncs
            marks.append(len(synced))
            session.execute(text("SELECT count(*) FROM event")).scalar()
            session.commit()
        assert log not in synced[marks[-1]:]  # a read syncs nothing
        for n in range(3):
            with Session(engine) as session, unit_of_work(session):
                record_event(session, type=f"test.synced.{n}", entity="test", entity_id=n)
                session.flush()
                marks.append(len(synced))  # after the INSERT, before the COMMIT
        assert seen == [(f"test.synced.{n}", True) for n in range(3)]
    finally:
        remove_publisher(publisher)
        engine.dispose()


def test_a_database_in_memory_keeps_synchronous_full() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL: no log file to sync
    engine.dispose()
