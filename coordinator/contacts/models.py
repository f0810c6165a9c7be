"""The association_contact, need_site_contact and dispatch_person tables and their API shapes.

Kept out of the needs' and dispatches' own rows on purpose: those rows go into events, which observers
read; contacts are seen only by the two associations, the coordinators and the secretariat (policy.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow

MAX_CONTACTS = 10
MAX_PEOPLE = 200


class AssociationContact(SQLModel, table=True):
    """One of an association's disaster contacts, kept in peacetime (ordered by position)."""

    __tablename__ = "association_contact"
    __table_args__ = (UniqueConstraint("association_id", "position", name="uq_association_contact_position"),)

    id: int | None = Field(default=None, primary_key=True)
    association_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    position: int
    name: str = Field(max_length=100)
    role: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = None


class NeedSiteContact(SQLModel, table=True):
    """Whom supporters meet on site for one need (e.g. an evacuation centre and its phone)."""

    __tablename__ = "need_site_contact"

    need_id: int = Field(foreign_key="need.id", primary_key=True)
    place: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    updated_at: datetime = Field(default_factory=utcnow)


class DispatchPerson(SQLModel, table=True):
    """One person a supporter sends on a dispatch, with a phone to reach them (ordered by position)."""

    __tablename__ = "dispatch_person"
    __table_args__ = (UniqueConstraint("dispatch_id", "position", name="uq_dispatch_person_position"),)

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True)
    position: int
    name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=40)


class ContactInput(BaseModel):
    """One association contact as sent by its staff (checked in service.py, all problems at once)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    role: str = ""
    phone: str = ""
    email: str = ""


class ContactsInput(BaseModel):
    """The whole ordered list of an association's contacts (replaces the stored list)."""

    model_config = ConfigDict(extra="forbid")

    contacts: list[ContactInput] = Field(default_factory=list, max_length=MAX_CONTACTS)


class SiteContactInput(BaseModel):
    """A need's on-site contact: the place (e.g. a shelter), a person, a phone; all optional."""

    model_config = ConfigDict(extra="forbid")

    place: str = ""
    name: str = ""
    phone: str = ""


class PersonInput(BaseModel):
    """One person sent on a dispatch."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    phone: str = ""


class PeopleInput(BaseModel):
    """The people a supporter sends on a dispatch (replaces the stored list)."""

    model_config = ConfigDict(extra="forbid")

    people: list[PersonInput] = Field(default_factory=list, max_length=MAX_PEOPLE)


class ContactPublic(BaseModel):
    """An association contact as shown to those who may see it."""

    name: str
    role: str
    phone: str
    email: str


class SiteContactPublic(BaseModel):
    """A need's on-site contact as shown to those who may see it."""

    place: str
    name: str
    phone: str


class PersonPublic(BaseModel):
    """A person sent on a dispatch."""

    name: str
    phone: str


class DisasterContacts(BaseModel):
    """Every contact of a disaster that the caller may see, keyed by association, need and dispatch."""

    associations: dict[str, list[ContactPublic]] = Field(default_factory=dict)
    needs: dict[int, SiteContactPublic] = Field(default_factory=dict)
    dispatches: dict[int, list[PersonPublic]] = Field(default_factory=dict)
