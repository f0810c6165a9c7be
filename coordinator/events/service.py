"""Recording events inside the caller's transaction and handing them on after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from coordinator.events.models import Event
from coordinator.notifications.outbox import forget, write_outbox

Publisher = Callable[[list[Event]], None]
_publishers: list[Publisher] = []


def add_publisher(publisher: Publisher) -> None:
    """Register a callable that receives events after their transaction commits."""
    _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    """Unregister a publisher added with add_publisher."""
    if publisher in _publishers:
        _publishers.remove(publisher)


def record_event(session: Session, *, type: str, entity: str, entity_id: str | int,
                 disaster_id: int | None = None, mode: str | None = None,
                 actor_user_id: int | None = None, actor_association_id: str | None = None,
                 associations: list[str] | None = None, payload: dict[str, Any] | None = None,
                 acted_as: Any = None) -> Event:
    """Add an event to the session's transaction; it is published only if the transaction commits.

    `acted_as` is the capacity the act was done in (a dict, or anything with `as_dict()`); when a writer
    gives none, an event with an actor is labelled with the actor's first capacity in its disaster
    (coordinator.disasters.policy.acted_as), so that every act says in which capacity it was done.

    Just before that commit, the notifications it causes are written in the same transaction (the
    outbox, coordinator/notifications/outbox.py): nobody else writes them.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and not session.info.get("event_lock"):
        # Serialise event writers so that sequence order equals commit order: a reader replaying
        # "seq > n" can then never skip a row that commits later with a smaller seq.
        session.execute(text("LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE"))
        session.info["event_lock"] = True
    if acted_as is None and actor_user_id is not None:
        acted_as = _capacity_of(session, actor_user_id, disaster_id)
    row = Event(type=type, entity=entity, entity_id=str(entity_id), disaster_id=disaster_id, mode=mode,
                actor_user_id=actor_user_id, actor_association_id=actor_association_id,
                associations=sorted(set(associations or [])), payload=payload or {},
                acted_as=acted_as.as_dict() if hasattr(acted_as, "as_dict") else acted_as)
    session.add(row)
    session.info.setdefault("pending_events", []).append(row)
    return row


def event_head(session: Session) -> int:
    """The newest event's sequence number (0 when there is none): a page that read its data after this
    subscribes with `since` and misses nothing, without reading everything again when the socket opens."""
    return int(session.scalar(select(func.max(col(Event.seq)))) or 0)


def _capacity_of(session: Session, user_id: int, disaster_id: int | None) -> Any:
    # Imported here: the domains import this module, and these are domain models.
    from coordinator.auth.models import User
    from coordinator.disasters.models import Disaster
    from coordinator.disasters.policy import acted_as

    user = session.get(User, user_id)
    disaster = session.get(Disaster, disaster_id) if disaster_id is not None else None
    return acted_as(user, disaster) if user is not None else None


def events_since(session: Session, *, since: int = 0, disaster_id: int | None = None,
                 limit: int = 1000) -> list[Event]:
    """Events with seq greater than `since`, oldest first."""
    query = select(Event).where(col(Event.seq) > since)
    if disaster_id is not None:
        query = query.where(Event.disaster_id == disaster_id)
    return list(session.exec(query.order_by(col(Event.seq)).limit(limit)))


@sa_event.listens_for(Session, "before_commit")
def _write_outbox_before_commit(session: Session) -> None:
    pending = session.info.get("pending_events")
    if pending:
        write_outbox(session, pending)


@sa_event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop("pending_events", [])
    session.info.pop("event_lock", None)
    forget(session, committed=True)
    if pending and _publishers:
        for publisher in list(_publishers):
            publisher(pending)


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("pending_events", None)
    session.info.pop("event_lock", None)
    forget(session, committed=False)
