"""The to-do list: gather items from the providers, order them (live first, urgent, due soonest).

A provider is `provider(session, context) -> list[TodoItem]`; each domain keeps its own (for example
coordinator/dispatches/todo.py) and adds it to PROVIDERS with one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from coordinator.auth.models import User, as_utc
from coordinator.bulletins.todo import proposals_to_decide
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.disasters.todo import cross_block_decisions
from coordinator.dispatches.staff_todo import progress_to_report, proposals_for_our_needs
from coordinator.dispatches.todo import approvals, costs_to_agree, overdue_requests, requests_to_answer
from coordinator.reminders.todo import escalations
from coordinator.todo.models import ActingAs, TodoContext, TodoItem, TodoList

Provider = Callable[[Session, TodoContext], list[TodoItem]]

PROVIDERS: list[Provider] = [
    approvals,
    requests_to_answer,
    overdue_requests,
    costs_to_agree,
    cross_block_decisions,
    escalations,
    proposals_to_decide,
    progress_to_report,
    proposals_for_our_needs,
]

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _order(item: TodoItem) -> tuple[int, int, datetime, datetime]:
    return (1 if item.mode == "drill" else 0, 0 if item.urgent else 1,
            as_utc(item.deadline) if item.deadline else _FAR_FUTURE,
            as_utc(item.since) if item.since else _FAR_FUTURE)


def open_disasters(session: Session) -> list[Disaster]:
    """Open disasters of both modes, newest first."""
    query = select(Disaster).where(Disaster.status == "open")
    return list(session.exec(query.order_by(col(Disaster.declared_at).desc(), col(Disaster.id).desc())))


def todo_for(session: Session, *, actor: User, now: datetime | None = None) -> TodoList:
    """Everything waiting for `actor` now, and the capacities they hold in each open disaster."""
    context = TodoContext(actor=actor, now=now or datetime.now(UTC), disasters=open_disasters(session))
    items: list[TodoItem] = []
    for provider in PROVIDERS:
        items.extend(provider(session, context))
    items.sort(key=_order)
    acting = [ActingAs(**entry) for disaster in context.disasters
              for entry in disaster_policy.acting_as(actor, disaster)]
    return TodoList(count=sum(item.count for item in items), acting_as=acting, items=items)
