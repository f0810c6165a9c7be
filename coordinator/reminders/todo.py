"""To-do provider of reminders: dispatches escalated to this person that they would not see as approvers.

The approver of a dispatch already has it on the list (coordinator/dispatches/todo.py: approvals, overdue
requests); an escalation reaches others (the supporter block's coordinator, the secretariat), and this is
their item, until the dispatch is answered, sent or cancelled.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from coordinator.auth.models import ROLE_STAFF, as_utc
from coordinator.disasters import policy as disaster_policy
from coordinator.dispatches import policy
from coordinator.dispatches.models import Dispatch
from coordinator.reference import block_of
from coordinator.reminders.models import ReminderSent
from coordinator.todo.models import TodoContext, TodoItem


def escalations(session: Session, context: TodoContext) -> list[TodoItem]:
    """Requests unanswered, or approvals not sent, escalated to this person's association or the secretariat."""
    actor = context.actor
    by_id = {d.id: d for d in context.disasters}
    if not by_id:
        return []
    rows = session.exec(
        select(ReminderSent, Dispatch).join(Dispatch, col(Dispatch.id) == col(ReminderSent.dispatch_id))
        .where(col(ReminderSent.disaster_id).in_(list(by_id)), col(ReminderSent.to) != "approver",
               col(Dispatch.state) == col(ReminderSent.waiting))
        .order_by(col(ReminderSent.id)))
    groups: dict[int, dict[int, tuple[Dispatch, ReminderSent]]] = defaultdict(dict)
    for sent, dispatch in rows:
        disaster = by_id[dispatch.disaster_id]
        if sent.association_id is None:
            told = disaster_policy.is_acting_secretariat(actor, disaster)
        else:
            told = actor.role == ROLE_STAFF and actor.is_active and actor.association_id == sent.association_id
        if told and policy.approval_capacity(actor, disaster, dispatch, block_of(dispatch.requester_id)) is None:
            groups[dispatch.disaster_id][dispatch.id or 0] = (dispatch, sent)  # the latest stage wins
    items = []
    for disaster_id, found in groups.items():
        disaster = by_id[disaster_id]
        mark_ja, mark_en = context.drill_mark(disaster)
        requests = sum(1 for dispatch, _ in found.values() if dispatch.state == "requested")
        n = len(found)
        since = min(as_utc(sent.sent_at) for _, sent in found.values())
        title = (f"{mark_ja}エスカレーションされた派遣 {n}件（未回答の要請 {requests}件）",
                 f"{mark_en}{n} dispatch{'es' * (n != 1)} escalated to you ({requests} unanswered)")
        items.append(TodoItem(
            kind="escalated_dispatches", disaster_id=disaster_id, disaster_name=disaster.name, mode=disaster.mode,
            count=n, title_ja=title[0], title_en=title[1],
            detail_ja="応援団体または承認者に連絡して、回答・要請を促してください（自動で受諾されることはありません）",
            detail_en="Contact the supporter or the approver to get an answer or the request sent (nothing is ever "
                      "accepted automatically)",
            link=f"/disasters/{disaster_id}#dispatches", since=since, urgent=True, entity="dispatch",
            entity_ids=sorted(found)))
    return items
