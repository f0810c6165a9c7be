"""HTTP: the caller's notifications and preferences, association addresses, the outbox (thin)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coordinator.auth.deps import CurrentUser, settings_of
from coordinator.db import SessionDep, SessionRoute
from coordinator.notifications import service
from coordinator.notifications.models import (
    AddressCreate,
    AddressPublic,
    MarkRead,
    NotificationList,
    OutboxPublic,
    OutboxStatus,
    PreferencesPublic,
    PreferencesUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["notifications"], route_class=SessionRoute)


@router.get("/notifications", response_model=NotificationList)
def list_mine(session: SessionDep, user: CurrentUser, limit: int = 30, unread: bool = False) -> NotificationList:
    """The caller's in-app notifications, newest first, with the unread count (the bell)."""
    return service.list_notifications(session, actor=user, limit=limit, unread_only=unread)


@router.post("/notifications/read")
def mark_read(data: MarkRead, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Mark the caller's notifications read (ids, or all: true); returns the unread count left."""
    return {"unread": service.mark_read(session, actor=user, ids=data.ids, all_=data.all)}


@router.get("/notifications/preferences", response_model=PreferencesPublic)
def read_preferences(session: SessionDep, user: CurrentUser) -> PreferencesPublic:
    """The caller's e-mail address and channels per topic."""
    return service.preferences(session, actor=user)


@router.put("/notifications/preferences", response_model=PreferencesPublic)
def change_preferences(data: PreferencesUpdate, session: SessionDep, user: CurrentUser) -> PreferencesPublic:
    """Change the caller's e-mail address (set_email) and channels per topic."""
    return service.update_preferences(session, actor=user, data=data)


@router.get("/associations/{association_id}/notification-addresses", response_model=list[AddressPublic])
def list_addresses(association_id: str, session: SessionDep, user: CurrentUser) -> list[AddressPublic]:
    """An association's own notification addresses and webhooks (its staff, the secretariat)."""
    return service.list_addresses(session, actor=user, association_id=association_id)


@router.post("/associations/{association_id}/notification-addresses", response_model=AddressPublic, status_code=201)
def add_address(association_id: str, data: AddressCreate, request: Request, session: SessionDep,
                user: CurrentUser) -> AddressPublic:
    """Add an address or webhook; a webhook's signing secret is shown in this answer only."""
    return service.add_address(session, actor=user, association_id=association_id, data=data,
                               settings=settings_of(request))


@router.delete("/notifications/addresses/{address_id}", status_code=204)
def remove_address(address_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Stop sending to an address or webhook."""
    service.remove_address(session, actor=user, address_id=address_id)
    return Response(status_code=204)


@router.get("/notifications/status", response_model=OutboxStatus)
def status(request: Request, session: SessionDep, user: CurrentUser) -> OutboxStatus:
    """Outbox counts by status and channel, recent dead letters, configuration (the secretariat)."""
    return service.status_for(session, actor=user, settings=settings_of(request))


@router.get("/notifications/outbox", response_model=list[OutboxPublic])
def list_outbox(session: SessionDep, user: CurrentUser, status: str | None = "dead",
                limit: int = 100) -> list[OutboxPublic]:
    """Outgoing messages by status (default: dead letters), newest first (the secretariat)."""
    return service.list_outbox(session, actor=user, status=status or None, limit=limit)


@router.post("/notifications/outbox/{outbox_id}/retry")
def retry_one(outbox_id: int, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Send a dead letter again (the secretariat)."""
    return {"retried": service.retry_dead(session, actor=user, ids=[outbox_id])}


@router.post("/notifications/outbox/retry")
def retry_all(session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Send every dead letter again (the secretariat)."""
    return {"retried": service.retry_dead(session, actor=user)}
