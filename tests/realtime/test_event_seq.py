"""Event seq numbers are never reused on SQLite, even after the newest events are deleted (a purge), so a
client resuming with `since` can never skip new events that took old numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.db import make_engine
from coordinator.events.models import Event
from tests.realtime.harness import file_engine, write_events

NEED = {"type": "need.created", "entity": "need", "entity_id": "1", "disaster_id": 1, "mode": "live",
        "associations": ["pref_ishikawa"]}


def _seqs_after_purging_the_newest(engine: Engine) -> tuple[list[int], list[int]]:
    first = write_events(engine, [NEED, NEED, NEED])
    with Session(engine) as session:
        session.execute(delete(Event).where(Event.seq >= first[1]))  # type: ignore[arg-type]
        session.commit()
    return first, write_events(engine, [NEED])


@pytest.mark.parametrize("built_by", ["migrations", "model"])
def test_seq_keeps_growing_after_the_newest_events_are_deleted(built_by: str, live_db_url: str,
                                                               tmp_path: Path) -> None:
    # The migrated database (0001) and the model's own metadata must agree on AUTOINCREMENT.
    engine = make_engine(live_db_url) if built_by == "migrations" else file_engine(
        f"sqlite:///{tmp_path / 'model.sqlite3'}")
    try:
        with engine.connect() as connection:
            ddl = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'event'")).scalar_one()
        assert "AUTOINCREMENT" in ddl.upper()
        first, after = _seqs_after_purging_the_newest(engine)
        # Without AUTOINCREMENT SQLite would hand out first[1] again (max(rowid) + 1).
        assert after[0] > first[-1], (first, after)
    finally:
        engine.dispose()
