"""To-do providers of the dispatch domain: approvals, requests to answer, overdue requests, costs to agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import as_utc
from coordinator.disasters.policy import ACTING_SECRETARIAT, COORDINATOR, SECRETARIAT, Capacity, block_names
from coordinator.dispatches import policy
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import answer_deadline
from coordinator.dispatches.transitions import DispatchState
from coordinator.reference import block_of, current_agreement
from coordinator.todo.models import TodoContext, TodoItem


def _dispatches(session: Session, context: TodoContext, states: Iterable[DispatchState]) -> list[Dispatch]:
    ids = [d.id for d in context.disasters]
    if not ids:
        return []
    query = select(Dispatch).where(col(Dispatch.disaster_id).in_(ids),
                                   col(Dispatch.state).in_([s.value for s in states]))
    return list(session.exec(query.order_by(col(Dispatch.id))))


def _capacity_words(capacity: Capacity) -> tuple[str, str]:
    """(ja, en) of "as <capacity>" for a title."""
    if capacity.role == SECRETARIAT:
        return "事務局として", "as the secretariat"
    if capacity.role == ACTING_SECRETARIAT:
        return "事務局代行として", "as acting secretariat"
    if capacity.role == COORDINATOR:
        ja, en = block_names(capacity.block)
        return f"{ja}ブロックの幹事団体として", f"as coordinator of {en}"
    return "", ""


def _item(context: TodoContext, disaster: Any, *, kind: str, rows: list[Dispatch], title: tuple[str, str],
          detail: tuple[str, str], link: str, since: datetime | None, deadline: datetime | None = None,
          urgent: bool = False) -> TodoItem:
    mark_ja, mark_en = context.drill_mark(disaster)
    return TodoItem(kind=kind, disaster_id=disaster.id, disaster_name=disaster.name, mode=disaster.mode,
                    count=len(rows), title_ja=mark_ja + title[0], title_en=mark_en + title[1],
                    detail_ja=detail[0], detail_en=detail[1], link=link, since=since, deadline=deadline,
                    urgent=urgent, entity="dispatch", entity_ids=[d.id for d in rows if d.id is not None])


def _oldest(moments: Iterable[datetime | None]) -> datetime | None:
    known = [as_utc(m) for m in moments if m is not None]
    return min(known) if known else None


def approvals(session: Session, context: TodoContext) -> list[TodoItem]:
    """Proposals waiting for this person's approval, and approved ones waiting to be sent, per capacity."""
    by_id = {d.id: d for d in context.disasters}
    groups: dict[tuple[int, str, Capacity], list[Dispatch]] = defaultdict(list)
    for dispatch in _dispatches(session, context, (DispatchState.proposed, DispatchState.approved)):
        disaster = by_id[dispatch.disaster_id]
        capacity = policy.approval_capacity(context.actor, disaster, dispatch, block_of(dispatch.requester_id))
        if capacity is not None:
            groups[(dispatch.disaster_id, dispatch.state, capacity)].append(dispatch)
    items = []
    for (disaster_id, state, capacity), rows in groups.items():
        disaster = by_id[disaster_id]
        as_ja, as_en = _capacity_words(capacity)
        n = len(rows)
        stage2 = sum(1 for d in rows if d.stage == 2)
        cross_ja = f"（うちブロック間 {stage2}件）" if stage2 else ""
        cross_en = f" ({stage2} cross-block)" if stage2 else ""
        if state == DispatchState.proposed.value:
            title = (f"承認待ちの提案 {n}件{cross_ja} — {as_ja}",
                     f"{n} proposal{'s' * (n != 1)} to approve{cross_en} — {as_en}")
            kind, since = "approve_dispatches", _oldest(d.proposed_at for d in rows)
        else:
            title = (f"承認済みで未送信の要請 {n}件 — {as_ja}",
                     f"{n} approved dispatch{'es' * (n != 1)} to send as requests — {as_en}")
            kind, since = "send_requests", _oldest(d.approved_at for d in rows)
        items.append(_item(context, disaster, kind=kind, rows=rows, title=title,
                           detail=(capacity.reason_ja, capacity.reason_en), link=f"/disasters/{disaster_id}#dispatches",
                           since=since))
    return items


def requests_to_answer(session: Session, context: TodoContext) -> list[TodoItem]:
    """Requests waiting for this person's association's answer, with the agreement's deadline."""
    actor = context.actor
    if actor.role != "staff" or not actor.association_id:
        return []
    timeout = current_agreement().request_timeout_hours
    by_id = {d.id: d for d in context.disasters}
    groups: dict[int, list[Dispatch]] = defaultdict(list)
    for dispatch in _dispatches(session, context, (DispatchState.requested,)):
        if dispatch.supplier_id == actor.association_id:
            groups[dispatch.disaster_id].append(dispatch)
    items = []
    for disaster_id, rows in groups.items():
        since = _oldest(d.requested_at for d in rows)
        deadline = _oldest(answer_deadline(d, timeout) for d in rows)
        hours = int((as_utc(context.now) - since).total_seconds() // 3600) if since else 0
        n, overdue = len(rows), any(d.overdue for d in rows) or bool(deadline and deadline <= as_utc(context.now))
        title = (f"未回答の応援要請 {n}件（最長 {hours}時間）",
                 f"{n} request{'s' * (n != 1)} unanswered for up to {hours} h")
        detail = (f"協定の回答期限は要請から{timeout}時間です。受諾または辞退してください",
                  f"The agreement asks for an answer within {timeout} h of the request: accept or decline")
        items.append(_item(context, by_id[disaster_id], kind="answer_requests", rows=rows, title=title, detail=detail,
                           link=f"/disasters/{disaster_id}/association#requests", since=since, deadline=deadline,
                           urgent=overdue))
    return items


def overdue_requests(session: Session, context: TodoContext) -> list[TodoItem]:
    """Requests past the answer deadline, for whoever they escalate to (the approver of each dispatch)."""
    by_id = {d.id: d for d in context.disasters}
    groups: dict[int, list[Dispatch]] = defaultdict(list)
    for dispatch in _dispatches(session, context, (DispatchState.requested,)):
        disaster = by_id[dispatch.disaster_id]
        if dispatch.overdue and policy.approval_capacity(context.actor, disaster, dispatch,
                                                         block_of(dispatch.requester_id)) is not None:
            groups[dispatch.disaster_id].append(dispatch)
    items = []
    for disaster_id, rows in groups.items():
        n = len(rows)
        items.append(_item(
            context, by_id[disaster_id], kind="overdue_requests", rows=rows,
            title=(f"回答期限を過ぎた応援要請 {n}件", f"{n} request{'s' * (n != 1)} past the answer deadline"),
            detail=("応援団体に連絡するか、取り消して計画し直してください",
                    "Call the supporting association, or cancel and plan again"),
            link=f"/disasters/{disaster_id}#dispatches", since=_oldest(d.overdue_since for d in rows), urgent=True))
    return items


def costs_to_agree(session: Session, context: TodoContext) -> list[TodoItem]:
    """Costs out of proportion waiting for the requester's agreement (issue 12 item 2)."""
    by_id = {d.id: d for d in context.disasters}
    groups: dict[int, list[Dispatch]] = defaultdict(list)
    for dispatch in _dispatches(session, context, (DispatchState.accepted,)):
        if dispatch.cost_status == policy.COST_AWAITING_REQUESTER and \
                policy.cost_capacity(context.actor, by_id[dispatch.disaster_id], dispatch) is not None:
            groups[dispatch.disaster_id].append(dispatch)
    items = []
    for disaster_id, rows in groups.items():
        n = len(rows)
        items.append(_item(
            context, by_id[disaster_id], kind="agree_costs", rows=rows,
            title=(f"同意が必要な見込み費用 {n}件", f"{n} expected cost{'s' * (n != 1)} to agree to"),
            detail=("通常より大きい見込み費用です。同意するまで費用は確定せず、応援者も出発しません",
                    "The expected cost is out of proportion: it binds you only once you agree; nobody departs before"),
            link=f"/disasters/{disaster_id}/association#requests", since=_oldest(d.answered_at for d in rows),
            urgent=True))
    return items
