"""To-do providers for association staff (issue 15 item 5): progress to report on the people they sent,
and proposals of support for their own needs (what is coming, before it is asked)."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.todo import _dispatches, _item, _oldest
from coordinator.dispatches.transitions import DispatchState
from coordinator.todo.models import TodoContext, TodoItem

# What the supporter reports next, by state: (ja, en) of the step.
_NEXT_REPORT = {
    DispatchState.accepted.value: ("出発", "departure"),
    DispatchState.en_route.value: ("到着", "arrival"),
    DispatchState.on_site.value: ("完了", "completion"),
}


def _staff_association(context: TodoContext) -> str | None:
    actor = context.actor
    return actor.association_id if actor.role == "staff" and actor.association_id else None


def progress_to_report(session: Session, context: TodoContext) -> list[TodoItem]:
    """Dispatches this association supplies whose next step (departure, arrival, completion) it reports."""
    mine = _staff_association(context)
    if mine is None:
        return []
    by_id = {d.id: d for d in context.disasters}
    groups: dict[int, list[Dispatch]] = defaultdict(list)
    states = (DispatchState.accepted, DispatchState.en_route, DispatchState.on_site)
    for dispatch in _dispatches(session, context, states):
        if dispatch.supplier_id == mine:
            groups[dispatch.disaster_id].append(dispatch)
    items = []
    for disaster_id, rows in groups.items():
        steps_ja = "・".join(sorted({_NEXT_REPORT[d.state][0] for d in rows}))
        steps_en = ", ".join(sorted({_NEXT_REPORT[d.state][1] for d in rows}))
        n = len(rows)
        title = (f"派遣の進み具合を報告してください {n}件（{steps_ja}）",
                 f"{n} dispatch{'es' * (n != 1)} to report on ({steps_en})")
        detail = ("出発・到着・完了を報告すると、要請団体と幹事団体にすぐ伝わります",
                  "Departure, arrival and completion reach the requester and the coordinators at once")
        since = _oldest(d.answered_at for d in rows)
        items.append(_item(context, by_id[disaster_id], kind="report_progress", rows=rows, title=title,
                           detail=detail, link=f"/disasters/{disaster_id}/association#requests", since=since))
    return items


def proposals_for_our_needs(session: Session, context: TodoContext) -> list[TodoItem]:
    """Support proposed or approved for this association's own needs (not yet asked of the supporter)."""
    mine = _staff_association(context)
    if mine is None:
        return []
    by_id = {d.id: d for d in context.disasters}
    groups: dict[int, list[Dispatch]] = defaultdict(list)
    for dispatch in _dispatches(session, context, (DispatchState.proposed, DispatchState.approved)):
        if dispatch.requester_id == mine:
            groups[dispatch.disaster_id].append(dispatch)
    items = []
    for disaster_id, rows in groups.items():
        people = sum(d.headcount for d in rows)
        title = (f"あなたの要請への応援の提案 {len(rows)}件（{people}人）",
                 f"{len(rows)} proposal{'s' * (len(rows) != 1)} of support for your needs ({people} people)")
        detail = ("幹事団体・事務局が承認すると応援団体に要請が届きます。変更があればニーズを更新してください",
                  "Once approved they are sent to the supporters; amend your needs if anything changed")
        items.append(_item(context, by_id[disaster_id], kind="proposals_for_us", rows=rows, title=title,
                           detail=detail, link=f"/disasters/{disaster_id}/association#outgoing-section",
                           since=_oldest(d.proposed_at for d in rows)))
    return items
