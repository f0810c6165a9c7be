"""The national picture of one disaster as the dashboard and the situation report draw it.

One function reads what the user may see (through the domains' services, so the same permission rules
apply as in the JSON API) and derives the association states, dispatch arrows, unmet needs first,
language coverage and overdue requests. The dashboard fetches it as JSON; the sitrep renders it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlmodel import Session

from coordinator.auth.models import User
from coordinator.disasters.actions import disaster_actions
from coordinator.disasters.policy import acting_as, acting_roles_named
from coordinator.disasters.service import get_disaster
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import list_dispatches
from coordinator.dispatches.service import public as dispatch_public
from coordinator.dispatches.transitions import ACCEPTED_STATES, OPEN_STATES, PENDING_STATES
from coordinator.events.service import event_head
from coordinator.needs.policy import may_help
from coordinator.needs.service import visible_needs
from coordinator.offers.service import disaster_offers
from coordinator.readmodel.people import needs_people
from coordinator.readmodel.summary import summarise
from coordinator.web.decisions import compact_awaiting, dispatch_extras, iso, need_extras, roles_view
from coordinator.web.staffview import request_details, scope_of

# Arrows: dispatches still asked for (PENDING_STATES, drawn dashed) and those accepted (ACCEPTED_STATES,
# solid, completed ones included); withdrawn ones are not drawn.
ARROW_STATES = PENDING_STATES | ACCEPTED_STATES
ASSOCIATION_STATES = ("requesting", "affected", "supporting", "idle")


def _arrows(dispatches: list[Dispatch]) -> list[dict[str, Any]]:
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for d in dispatches:
        if d.state not in ARROW_STATES:
            continue
        arrow = pairs.setdefault(
            (d.supplier_id, d.requester_id),
            {
                "supplier_id": d.supplier_id,
                "requester_id": d.requester_id,
                "headcount": 0,
                "committed": 0,
                "stage": d.stage,
            },
        )
        arrow["headcount"] += d.headcount
        if d.state in ACCEPTED_STATES:
            arrow["committed"] += d.headcount
        arrow["stage"] = max(arrow["stage"], d.stage)
    return sorted(pairs.values(), key=lambda a: (a["supplier_id"], a["requester_id"]))


def _states(disaster: Any, needs: list[Any], dispatches: list[Dispatch]) -> dict[str, str]:
    states = {a: "affected" for a in disaster.affected_associations}
    for d in dispatches:
        if d.state in OPEN_STATES:
            states.setdefault(d.supplier_id, "supporting")
    for need in needs:
        if need.status == "open":
            states[need.requester_id] = "requesting"
    return states


def disaster_picture(session: Session, *, disaster_id: int, actor: User) -> dict[str, Any]:
    """Everything the dashboard shows for one disaster, limited to what `actor` may read."""
    dispatches = list_dispatches(session, disaster_id=disaster_id, actor=actor)
    seq = event_head(session)  # read first: whatever happens after it is replayed to a page following `since`
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    needs = visible_needs(session, disaster=disaster, actor=actor)
    offers = disaster_offers(session, disaster=disaster, status="active", actor=actor)
    people = needs_people(session, needs)
    summary = summarise(disaster, needs, people, offers)
    allowed = disaster_actions(actor, disaster)
    need_rows = []
    coverage: dict[str, dict[str, int]] = defaultdict(lambda: {"requested": 0, "accepted": 0, "needs": 0})
    for need in needs:
        counts = people[need.id or 0].model_dump(exclude={"requested"})
        unmet = max(0, need.headcount - counts["accepted"]) if need.status == "open" else 0
        need_rows.append(
            {
                "id": need.id,
                "requester_id": need.requester_id,
                "kind": need.kind,
                "language": need.language,
                "headcount": need.headcount,
                "start": need.start.isoformat(),
                "days": need.days,
                "place": need.place,
                "remote": need.remote,
                "status": need.status,
                "version": need.version,
                "notes": need.notes,
                "unmet": unmet,
                **counts,
                **need_extras(need),
            }
        )
        if need.status != "cancelled":
            bucket = coverage[need.language]
            bucket["needs"] += 1
            bucket["requested"] += need.headcount
            bucket["accepted"] += min(need.headcount, counts["accepted"])
    # Unmet needs first (most people missing first), then open before fulfilled and cancelled.
    status_order = {"open": 0, "fulfilled": 1, "cancelled": 2}
    need_rows.sort(key=lambda n: (-n["unmet"], status_order.get(n["status"], 3), n["id"]))
    need_by_id = {need.id: need for need in needs}
    dispatch_rows = [
        {
            "id": d.id,
            "need_id": d.need_id,
            "requester_id": d.requester_id,
            "supplier_id": d.supplier_id,
            "headcount": d.headcount,
            "stage": d.stage,
            "state": d.state,
            "overdue": d.overdue,
            "distance_km": d.distance_km,
            "expected_cost_yen": d.expected_cost_yen,
            "decline_reason": d.decline_reason,
            **dispatch_extras(disaster, d, need_by_id.get(d.need_id)),
            # What staff need on a request card: only for the dispatch's own two parties (the national
            # view of 400 dispatches would carry it 400 times unused).
            **(request_details(session, d, need_by_id.get(d.need_id), actor=actor, disaster=disaster)
               if actor.association_id in (d.supplier_id, d.requester_id) else {}),
            # Exactly what the API allows this user, and who must act next and why (dispatches/policy.py).
            "actions": view.allowed_actions,
            "awaiting": view.awaiting,
        }
        for d, view in ((d, dispatch_public(d, actor=actor, disaster=disaster)) for d in dispatches)
    ]
    awaiting = compact_awaiting(dispatch_rows)
    return {
        "seq": seq,
        "awaiting": awaiting,
        "disaster": {
            "id": disaster.id,
            "name": disaster.name,
            "kind": disaster.kind,
            "mode": disaster.mode,
            "status": disaster.status,
            "cross_block_open": disaster.cross_block_open,
            "affected_prefectures": list(disaster.affected_prefectures),
            "affected_associations": list(disaster.affected_associations),
            "declared_at": disaster.declared_at.isoformat(),
            "declared_at_utc": iso(disaster.declared_at),
            "closed_at_utc": iso(disaster.closed_at),
            "acting_roles": acting_roles_named(disaster),
        },
        "roles": roles_view(disaster),
        "scope": scope_of(actor, disaster),
        # Open needs the caller's association may offer against now (a coordinator reads every need, but
        # helps another block's only once cross-block support is open: issue 15 item 2).
        "may_offer_for": [n.id for n in needs if n.status == "open" and actor.association_id is not None
                          and may_help(disaster, supporter_id=actor.association_id, requester_id=n.requester_id)],
        "allowed_actions": allowed,
        "acting_as": acting_as(actor, disaster),
        "figures": {
            "needs_open": summary.needs_open,
            "needs_fulfilled": summary.needs_fulfilled,
            "needs_cancelled": summary.needs_cancelled,
            "offers_active": summary.offers_active,
            "offered_people": summary.offered_people,
            **summary.people.model_dump(),
        },
        "needs_by_status": dict(Counter(n.status for n in needs)),
        "coverage": {lang: coverage[lang] for lang in sorted(coverage)},
        "needs": need_rows,
        "dispatches": dispatch_rows,
        "overdue": [d for d in dispatch_rows if d["overdue"] and d["state"] == "requested"],
        "offers": [
            {
                "id": o.id,
                "association_id": o.association_id,
                "headcount": o.headcount,
                "languages": list(o.languages),
                "kinds": list(o.kinds),
            }
            for o in offers
        ],
        "states": _states(disaster, needs, dispatches),
        "arrows": _arrows(dispatches),
        "may": {action: action in allowed for action in (
            "open_cross_block", "plan", "export", "rename", "change_area", "close", "reopen")},
    }
