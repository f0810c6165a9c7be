"""How drill data is marked, and the drill's own events (written in the caller's transaction)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from coordinator.events.models import Event
from coordinator.events.service import record_event
from coordinator.reference import all_association_ids

DRILL_MARK = "【訓練】"
DRILL_MARK_EN = "DRILL"


def marked(name: str) -> str:
    """A name with the drill mark in front (never twice)."""
    return name if name.startswith(DRILL_MARK) else f"{DRILL_MARK}{name}"


def drill_payload(minute: float, **fields: Any) -> dict[str, Any]:
    """A drill event's payload: the flag, the mark and the virtual time (minutes after the start)."""
    return {"drill": True, "label": DRILL_MARK, "minute": round(float(minute), 3), **fields}


def record_drill_event(session: Session, *, disaster_id: int, type: str, minute: float,
                       actor_user_id: int | None = None, **fields: Any) -> Event:
    """Add a drill.* event (mode drill, readable by every association's staff) to the transaction."""
    return record_event(session, type=type, entity="drill", entity_id=disaster_id, disaster_id=disaster_id,
                        mode="drill", actor_user_id=actor_user_id, associations=all_association_ids(),
                        payload=drill_payload(minute, **fields))
