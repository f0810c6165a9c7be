"""The event table as the realtime hub's EventStore (reads by seq, in a worker thread)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from coordinator.events.models import Event
from realtime.protocol import Envelope
from realtime.store import StoreFilter


def envelope_of(row: Event) -> Envelope:
    """The realtime envelope of an event row."""
    assert row.seq is not None
    return Envelope(seq=row.seq, disaster_id=row.disaster_id, mode=row.mode, type=row.type, entity=row.entity,
                    entity_id=row.entity_id, associations=tuple(row.associations or ()),
                    payload=row.payload or {}, created_at=row.created_at, acted_as=row.acted_as)


class SqlEventStore:
    """Reads the event table by sequence number; SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def fetch_since_sync(self, seq: int, filter: StoreFilter | None, limit: int) -> list[Envelope]:
        """Events with seq > `seq` passing `filter`, oldest first (blocking)."""
        query = select(Event).where(col(Event.seq) > seq)
        if filter is not None:
            if filter.mode == "live":
                query = query.where(or_(col(Event.mode) == "live", col(Event.mode).is_(None)))
            elif filter.mode is not None:
                query = query.where(col(Event.mode) == filter.mode)
            if filter.disaster_id is not None:
                query = query.where(col(Event.disaster_id) == filter.disaster_id)
            if filter.types is not None:
                query = query.where(col(Event.type).in_(sorted(filter.types)))
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(col(Event.seq)).limit(limit)).all()
            return [envelope_of(row) for row in rows]

    def head_sync(self) -> int:
        """The highest committed seq (blocking)."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.max(col(Event.seq)))) or 0)

    async def fetch_since(self, seq: int, filter: StoreFilter | None, limit: int) -> list[Envelope]:
        """Events with seq > `seq` passing `filter`, oldest first."""
        return await asyncio.to_thread(self.fetch_since_sync, seq, filter, limit)

    async def head(self) -> int:
        """The highest committed seq."""
        return await asyncio.to_thread(self.head_sync)
