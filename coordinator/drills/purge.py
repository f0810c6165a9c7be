"""Remove every trace of one drill: its disaster, needs and their revisions and on-site contacts, the JMA
bulletins it injected and their proposals, offers, dispatches and the people named for them, situation reports,
events, the stored answers of its idempotent requests, and its notifications (outbox messages and their
attempts, in-app notifications, reminder stages). The runner's simulated actors are never stored, so there
are no accounts to remove. Refuses a live disaster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from coordinator.bulletins.models import Bulletin, Proposal
from coordinator.contacts.models import DispatchPerson, NeedSiteContact
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.drills.eventlog import load_drill
from coordinator.events.models import Event
from coordinator.idempotency.models import IdempotencyRecord
from coordinator.needs.models import Need, NeedRevision
from coordinator.notifications.models import DeliveryAttempt, InAppNotification, OutboxMessage
from coordinator.offers.models import Offer
from coordinator.reminders.models import ReminderSent
from coordinator.sitreps.models import SituationReport, SituationReportRevision


@writes
def purge_drill(session: Session, *, drill_id: int) -> dict[str, int]:
    """Delete the drill's rows in one transaction; returns how many rows of each kind went."""
    disaster = session.get(Disaster, drill_id, with_for_update=True)
    load_drill(session, drill_id)  # NotFound, or Conflict for a live disaster: nothing is deleted then
    assert disaster is not None and disaster.mode == "drill"
    need_ids = select(Need.id).where(Need.disaster_id == drill_id)
    counts: dict[str, Any] = {}

    def run(name: str, statement: Any) -> None:
        counts[name] = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    dispatch_ids = select(Dispatch.id).where(Dispatch.disaster_id == drill_id)
    # The drill's contacts: the people named for its dispatches and its needs' on-site contacts.
    run("dispatch_people", delete(DispatchPerson).where(col(DispatchPerson.dispatch_id).in_(dispatch_ids)))
    run("need_site_contacts", delete(NeedSiteContact).where(col(NeedSiteContact.need_id).in_(need_ids)))
    run("dispatches", delete(Dispatch).where(col(Dispatch.disaster_id) == drill_id))
    run("need_revisions", delete(NeedRevision).where(col(NeedRevision.need_id).in_(need_ids)))
    run("offers", delete(Offer).where(col(Offer.disaster_id) == drill_id))  # before needs: offers may name one
    run("needs", delete(Need).where(col(Need.disaster_id) == drill_id))
    # Stored answers of the drill's requests (they may hold its contacts).
    run("idempotency_keys", delete(IdempotencyRecord).where(col(IdempotencyRecord.disaster_id) == drill_id))
    # JMA bulletins the run injected and the proposals they made (their events carry the drill's id).
    run("bulletins", delete(Bulletin).where(col(Bulletin.drill_id) == drill_id))
    run("proposals", delete(Proposal).where(col(Proposal.drill_id) == drill_id))
    report_ids = select(SituationReport.id).where(SituationReport.disaster_id == drill_id)
    run("situation_report_revisions", delete(SituationReportRevision).where(
        col(SituationReportRevision.report_id).in_(report_ids)))
    run("situation_reports", delete(SituationReport).where(col(SituationReport.disaster_id) == drill_id))
    # Its notifications: a drill's messages must not be sent once the drill is gone (issue 16 item 5).
    outbox_ids = select(OutboxMessage.id).where(OutboxMessage.disaster_id == drill_id)
    run("notification_attempts", delete(DeliveryAttempt).where(col(DeliveryAttempt.outbox_id).in_(outbox_ids)))
    run("outbox", delete(OutboxMessage).where(col(OutboxMessage.disaster_id) == drill_id))
    run("notifications", delete(InAppNotification).where(col(InAppNotification.disaster_id) == drill_id))
    run("reminder_stages", delete(ReminderSent).where(col(ReminderSent.disaster_id) == drill_id))
    run("events", delete(Event).where(col(Event.disaster_id) == drill_id))
    run("disasters", delete(Disaster).where(col(Disaster.id) == drill_id, col(Disaster.mode) == "drill"))
    return counts
