"""Remove every trace of one drill: its disaster, needs and their revisions, offers, dispatches, events,
and the simulated accounts it created. Refuses to touch a live disaster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from coordinator.auth.models import ApiToken, LoginSession, User
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.drills.eventlog import load_drill
from coordinator.events.models import Event
from coordinator.needs.models import Need, NeedRevision
from coordinator.offers.models import Offer


def _drill_user_ids(session: Session, drill_id: int) -> list[int]:
    rows = session.exec(select(Event).where(Event.disaster_id == drill_id, Event.entity == "drill")).all()
    ids = {int(i) for row in rows for i in (row.payload or {}).get("user_ids", []) if i is not None}
    # Only accounts the runner made for drills (their login says so), never a person's account.
    users = session.exec(select(User).where(col(User.id).in_(sorted(ids)))).all() if ids else []
    return sorted(u.id for u in users if u.id is not None and u.login.startswith("drill-"))


def purge_drill(session: Session, *, drill_id: int) -> dict[str, int]:
    """Delete the drill's rows in one transaction; returns how many rows of each kind went."""
    disaster = session.get(Disaster, drill_id, with_for_update=True)
    load_drill(session, drill_id)  # NotFound, or Conflict for a live disaster: nothing is deleted then
    assert disaster is not None and disaster.mode == "drill"
    users = _drill_user_ids(session, drill_id)
    need_ids = select(Need.id).where(Need.disaster_id == drill_id)
    counts: dict[str, Any] = {}

    def run(name: str, statement: Any) -> None:
        counts[name] = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    run("dispatches", delete(Dispatch).where(col(Dispatch.disaster_id) == drill_id))
    run("need_revisions", delete(NeedRevision).where(col(NeedRevision.need_id).in_(need_ids)))
    run("needs", delete(Need).where(col(Need.disaster_id) == drill_id))
    run("offers", delete(Offer).where(col(Offer.disaster_id) == drill_id))
    run("events", delete(Event).where(col(Event.disaster_id) == drill_id))
    if users:
        run("account_events", delete(Event).where(col(Event.disaster_id).is_(None), col(Event.entity) == "user",
                                                  col(Event.entity_id).in_([str(u) for u in users])))
        run("tokens", delete(ApiToken).where(col(ApiToken.user_id).in_(users)))
        run("sessions", delete(LoginSession).where(col(LoginSession.user_id).in_(users)))
        run("accounts", delete(User).where(col(User.id).in_(users)))
    run("disasters", delete(Disaster).where(col(Disaster.id) == drill_id, col(Disaster.mode) == "drill"))
    session.commit()
    return counts
