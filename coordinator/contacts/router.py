"""HTTP: association contacts, the people a dispatch sends, and a disaster's visible contacts (thin)."""

from __future__ import annotations

from fastapi import APIRouter

from coordinator.auth.deps import CurrentUser
from coordinator.contacts import service
from coordinator.contacts.models import ContactPublic, ContactsInput, DisasterContacts, PeopleInput, PersonPublic
from coordinator.db import SessionDep, SessionRoute

router = APIRouter(prefix="/api/v1", tags=["contacts"], route_class=SessionRoute)


def _contacts(rows: list) -> list[ContactPublic]:  # type: ignore[type-arg]
    return [ContactPublic(name=r.name, role=r.role, phone=r.phone, email=r.email) for r in rows]


@router.get("/associations/{association_id}/contacts", response_model=list[ContactPublic])
def read_contacts(association_id: str, session: SessionDep, user: CurrentUser) -> list[ContactPublic]:
    """An association's disaster contacts in order (its own staff and the secretariat)."""
    return _contacts(service.read_association_contacts(session, association_id=association_id, actor=user))


@router.put("/associations/{association_id}/contacts", response_model=list[ContactPublic])
def replace_contacts(association_id: str, data: ContactsInput, session: SessionDep,
                     user: CurrentUser) -> list[ContactPublic]:
    """Replace the association's ordered contact list (its own staff; kept in peacetime)."""
    rows = service.replace_association_contacts(session, association_id=association_id, data=data, actor=user)
    return _contacts(rows)


@router.put("/dispatches/{dispatch_id}/people", response_model=list[PersonPublic])
def replace_people(dispatch_id: int, data: PeopleInput, session: SessionDep, user: CurrentUser) -> list[PersonPublic]:
    """Name the people the supporting association sends, with their phones (its staff)."""
    rows = service.replace_dispatch_people(session, dispatch_id=dispatch_id, data=data, actor=user)
    return [PersonPublic(name=r.name, phone=r.phone) for r in rows]


@router.get("/disasters/{disaster_id}/contacts", response_model=DisasterContacts)
def disaster_contacts(disaster_id: int, session: SessionDep, user: CurrentUser) -> DisasterContacts:
    """The contacts of a disaster the caller may see (the two associations of a dispatch, coordinators and
    the secretariat; observers none)."""
    return service.disaster_contacts(session, disaster_id=disaster_id, actor=user)
