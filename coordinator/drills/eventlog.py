"""A drill's event log as plain dicts, each with its virtual time (minutes after the scenario start)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from coordinator.disasters.models import Disaster
from coordinator.errors import Conflict, load_or_404
from coordinator.events.models import Event, EventPublic


def load_drill(session: Session, drill_id: int) -> Disaster:
    """The drill's disaster; NotFound, or Conflict when the id names a live disaster."""
    disaster = load_or_404(session, Disaster, drill_id, field="drill_id", what_en="drill", what_ja="訓練")
    if disaster.mode != "drill":
        raise Conflict(f"drill_id: {drill_id} is a live disaster, not a drill",
                       f"drill_id：{drill_id} は本番の災害であり訓練ではありません", field="drill_id",
                       details={"mode": disaster.mode})
    return disaster


def drill_events(session: Session, drill_id: int) -> list[dict[str, Any]]:
    """Every event of the drill, oldest first, with "minute": the virtual time of the last drill stamp."""
    load_drill(session, drill_id)
    rows = session.exec(select(Event).where(Event.disaster_id == drill_id).order_by(col(Event.seq))).all()
    events = [EventPublic.model_validate(row, from_attributes=True).model_dump(mode="json") for row in rows]
    return with_minutes(events)


def with_minutes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each event the virtual minute of the latest drill.* event at or before it (0 before any)."""
    minute = 0.0
    out = []
    for event in sorted(events, key=lambda e: e["seq"]):
        if event["type"].startswith("drill.") and "minute" in (event.get("payload") or {}):
            minute = float(event["payload"]["minute"])
        out.append({**event, "minute": minute})
    return out
