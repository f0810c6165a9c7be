"""Reminders and escalation of dispatches that wait too long; nothing is ever answered automatically.

Stages come from the agreement ([requests] answer_timeout_hours and [reminders], agreements/default.toml):
a request unanswered past the timeout is flagged overdue and reminded to the supporter
(dispatches.service.mark_overdue, event "dispatch.overdue"), then escalated along
`reminders.request_escalations`; an approved proposal not sent as a request is reminded along
`reminders.approved_reminders`. Each stage is recorded once per dispatch (reminder_stage) with an event
("dispatch.reminded" to the approver, "dispatch.escalated" to anyone else), which notifies its target and
shows on the timeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.models import as_utc
from coordinator.db import unit_of_work
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.policy import approvers
from coordinator.dispatches.service import mark_overdue, record_dispatch_event
from coordinator.events.models import utcnow
from coordinator.notifications.rules import coordinator_of
from coordinator.reference import block_of, current_agreement
from coordinator.reminders.models import APPROVED, REQUESTED, ReminderSent

log = logging.getLogger("ouen.reminders")


@dataclass
class ReminderReport:
    """What one pass did: requests flagged overdue, and the stages sent (dispatch id, event type, stage)."""

    overdue: list[int] = field(default_factory=list)
    stages: list[tuple[int, str, int]] = field(default_factory=list)


def target_of(disaster: Disaster, dispatch: Dispatch, to: str) -> str | None:
    """The association a stage is told to; None means the acting secretariat.

    supplier: the supporter asked; approver: the requester block's acting coordinator (stage 1) or the
    secretariat (stage 2), as dispatches.policy.approvers decides; block_coordinator: the supporter block's
    acting coordinator (who can phone a member of its own block); secretariat: the acting secretariat.
    Without a coordinator: the secretariat.
    """
    if to == "supplier":
        return dispatch.supplier_id
    if to == "approver":
        allowed = sorted(approvers(disaster, dispatch, block_of(dispatch.requester_id)).by_association)
        return None if not allowed or SECRETARIAT_ID in allowed else allowed[0]
    if to == "block_coordinator":
        return coordinator_of(disaster, block_of(dispatch.supplier_id))
    return None


def _due_stages(session: Session, *, now: datetime, waiting: str, stages: tuple[Any, ...],
                first: int) -> list[tuple[Dispatch, Disaster, int, Any]]:
    stamp = "requested_at" if waiting == REQUESTED else "approved_at"
    rows = list(session.exec(
        select(Dispatch, Disaster).join(Disaster, col(Disaster.id) == col(Dispatch.disaster_id))
        .where(Dispatch.state == waiting, Disaster.status == "open").order_by(col(Dispatch.id))))
    if not rows or not stages:
        return []
    sent = {(r.dispatch_id, r.stage) for r in session.exec(
        select(ReminderSent).where(ReminderSent.waiting == waiting,
                                   col(ReminderSent.dispatch_id).in_([d.id for d, _ in rows])))}
    due = []
    for dispatch, disaster in rows:
        since = getattr(dispatch, stamp)
        if since is None:
            continue
        hours = (now - as_utc(since)).total_seconds() / 3600
        for number, stage in enumerate(stages, start=first):
            if hours >= stage.after_hours and (dispatch.id, number) not in sent:
                due.append((dispatch, disaster, number, stage))
    return due


def run_reminders(session: Session, *, now: datetime | None = None) -> ReminderReport:
    """One pass: flag overdue requests, then send every reminder or escalation stage that is due."""
    now = as_utc(now or utcnow())
    report = ReminderReport(overdue=[d.id or 0 for d in mark_overdue(session, now)])  # committed on its own
    with unit_of_work(session):
        _send_due_stages(session, now=now, report=report)
    return report


def _send_due_stages(session: Session, *, now: datetime, report: ReminderReport) -> None:
    rule = current_agreement().reminders
    due = [*[(REQUESTED, *item) for item in _due_stages(
               session, now=now, waiting=REQUESTED, stages=rule.request_escalations, first=2)],
           *[(APPROVED, *item) for item in _due_stages(
               session, now=now, waiting=APPROVED, stages=rule.approved_reminders, first=1)]]
    if not due:
        return
    for waiting, dispatch, disaster, number, stage in due:
        told = target_of(disaster, dispatch, stage.to)
        since = dispatch.requested_at if waiting == REQUESTED else dispatch.approved_at
        event_type = "dispatch.reminded" if stage.to == "approver" else "dispatch.escalated"
        session.add(ReminderSent(dispatch_id=dispatch.id or 0, disaster_id=disaster.id or 0, waiting=waiting,
                                 stage=number, to=stage.to, association_id=told, sent_at=now))
        record_dispatch_event(session, dispatch=dispatch, type=event_type, extra={
            "waiting": waiting, "stage": number, "to": stage.to, "told_association_id": told,
            "after_hours": stage.after_hours, "since": as_utc(since).isoformat() if since else None,
            "source": stage.source})
        report.stages.append((dispatch.id or 0, event_type, number))
    try:
        session.commit()
    except IntegrityError:
        # Another instance sent the same stage meanwhile (unique per dispatch, state and stage): theirs stands.
        session.rollback()
        log.info("reminder stages already sent by another instance; this pass sent none")
        report.stages = []
