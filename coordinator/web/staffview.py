"""What association staff need on a request card to decide in ten seconds (issue 15 item 1): the need's
kind, language, people, dates, place and notes, who asks, the answer deadline and the agreement's cost
policy; and whose view a staff member's page shows (item 2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.dispatches.transitions import COMMITTED_STATES, DispatchState
from coordinator.events.models import utcnow
from coordinator.needs.models import Need
from coordinator.reference import current_agreement
from coordinator.web.decisions import iso, place_name

# The supporter's part is open: an answer (requested) or progress (accepted, en route, on site).
WAITING_ON_SUPPLIER = COMMITTED_STATES | {DispatchState.requested}


def request_details(session: Session, dispatch: Any, need: Need | None, *, actor: User | None = None,
                    disaster: Any = None) -> dict[str, Any]:
    """The need behind a dispatch (read for its two parties even when the need list hides it), the
    answer deadline and the cost policy the agreement expects."""
    need = need or session.get(Need, dispatch.need_id)
    agreement = current_agreement()
    deadline = None
    if dispatch.requested_at is not None and dispatch.state == "requested":
        deadline = iso(dispatch.requested_at + timedelta(hours=agreement.request_timeout_hours))
    details: dict[str, Any] = {"answer_deadline": deadline, "cost_policy": dispatch.cost_policy,
                               "cost_default": agreement.cost.default,
                               "undo_until": _undo_until(session, dispatch, actor, disaster)}
    if need is not None:
        end = need.start + timedelta(days=max(need.days, 1) - 1)
        details.update({"need_kind": need.kind, "need_language": need.language, "need_headcount": need.headcount,
                        "need_start": need.start.isoformat(), "need_end": end.isoformat(), "need_days": need.days,
                        "need_place": need.place, "need_place_name": place_name(need.place),
                        "need_remote": need.remote, "need_notes": need.notes})
    return details


def _undo_until(session: Session, dispatch: Any, actor: User | None, disaster: Any) -> str | None:
    """Until when this actor may take back the latest progress report (the dispatches service checks the
    same); None when there is none to take back or the actor may not."""
    from coordinator.dispatches import policy as dispatch_policy
    from coordinator.dispatches.service import undo_deadline
    from coordinator.dispatches.transitions import UNDONE_ACTION, DispatchAction, DispatchState
    from coordinator.events.models import Event
    from coordinator.reference import block_of

    if DispatchState(dispatch.state) not in UNDONE_ACTION or actor is None or disaster is None:
        return None
    if dispatch_policy.may_act(actor, disaster, dispatch, DispatchAction.undo,
                               requester_block=block_of(dispatch.requester_id),
                               supplier_block=block_of(dispatch.supplier_id)) is None:
        return None
    reported = session.exec(select(Event.created_at).where(
        Event.entity == "dispatch", Event.entity_id == str(dispatch.id), Event.type == f"dispatch.{dispatch.state}")
        .order_by(col(Event.seq).desc()).limit(1)).first()
    deadline = undo_deadline(dispatch, reported)
    return iso(deadline) if deadline is not None and deadline > utcnow() else None


def scope_of(user: User, disaster: Any) -> dict[str, Any]:
    """Whose picture this is: the whole disaster (secretariat, coordinators, observers) or one
    association's own view (staff), so that a page never shows a staff view as a national one."""
    if user.role != ROLE_STAFF or disaster_policy.sees_whole_disaster(user, disaster):
        return {"kind": "national", "association_id": None}
    return {"kind": "association", "association_id": user.association_id}
