"""Contact use cases: keep an association's list, a need's on-site contact, a dispatch's people; read them
as far as the caller may (policy.py). Events carry no names or numbers: observers read events."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from coordinator.auth.models import User
from coordinator.contacts import policy
from coordinator.contacts.models import (
    AssociationContact,
    ContactInput,
    ContactPublic,
    ContactsInput,
    DisasterContacts,
    DispatchPerson,
    NeedSiteContact,
    PeopleInput,
    PersonPublic,
    SiteContactInput,
    SiteContactPublic,
)
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import WITHDRAWN_STATES
from coordinator.errors import Conflict, NotFound, invalid_fields, problem
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.needs.models import Need
from coordinator.reference import association_or_none

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Problems = list[dict[str, str]]


def _clean(text: str) -> str:
    """NFKC (full-width digits and hyphens typed on a phone become ASCII) and trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _phone(value: str, field: str, problems: Problems, *, required: bool) -> str:
    phone = _clean(value).replace("ー", "-").replace("−", "-")
    if not phone:
        if required:
            problems.append(problem(field, "a phone number is required", "電話番号を入力してください"))
        return ""
    digits = sum(ch.isdigit() for ch in phone)
    if not _PHONE.match(phone) or not 6 <= digits <= 15 or len(phone) > 40:
        problems.append(problem(field, "write a phone number with digits and hyphens, e.g. 0768-22-2211",
                                "電話番号は数字とハイフンで入力してください（例：0768-22-2211）"))
    return phone


def _text(value: str, field: str, problems: Problems, *, limit: int, required: bool = False) -> str:
    text = _clean(value)
    if required and not text:
        problems.append(problem(field, "required", "入力してください"))
    if len(text) > limit:
        problems.append(problem(field, f"at most {limit} characters", f"{limit} 文字以内で入力してください"))
    return text


def contact_problems(contact: ContactInput, prefix: str) -> tuple[dict[str, str], Problems]:
    """One association contact, cleaned, and its problems (name and phone required)."""
    problems: Problems = []
    email = _clean(contact.email)
    if email and (not _EMAIL.match(email) or len(email) > 254):
        problems.append(problem(f"{prefix}.email", "not an e-mail address", "メールアドレスの形式が正しくありません"))
    cleaned = {"name": _text(contact.name, f"{prefix}.name", problems, limit=100, required=True),
               "role": _text(contact.role, f"{prefix}.role", problems, limit=100),
               "phone": _phone(contact.phone, f"{prefix}.phone", problems, required=True), "email": email}
    return cleaned, problems


def site_contact_problems(site: SiteContactInput | None) -> tuple[dict[str, str] | None, Problems]:
    """A need's on-site contact, cleaned, and its problems (everything optional)."""
    if site is None:
        return None, []
    problems: Problems = []
    cleaned = {"place": _text(site.place, "site_contact.place", problems, limit=200),
               "name": _text(site.name, "site_contact.name", problems, limit=100),
               "phone": _phone(site.phone, "site_contact.phone", problems, required=False)}
    return cleaned, problems


# ---------------------------------------------------------------------------------------------------
# Association contacts (peacetime)
# ---------------------------------------------------------------------------------------------------

def association_contacts(session: Session, association_id: str) -> list[AssociationContact]:
    """An association's contacts in their order (no permission check: callers check)."""
    query = select(AssociationContact).where(AssociationContact.association_id == association_id)
    return list(session.exec(query.order_by(col(AssociationContact.position))))


def _known_association(association_id: str) -> None:
    if association_or_none(association_id) is None:
        raise NotFound(f"No association with id {association_id!r}", "その協会は見つかりません",
                       field="association_id")


def read_association_contacts(session: Session, *, association_id: str, actor: User) -> list[AssociationContact]:
    """An association's contacts, for its own staff and the secretariat."""
    _known_association(association_id)
    policy.ensure_can_read_association_contacts(actor, association_id)
    return association_contacts(session, association_id)


@writes
def replace_association_contacts(session: Session, *, association_id: str, data: ContactsInput,
                                 actor: User) -> list[AssociationContact]:
    """Replace the association's ordered contact list (its staff); every problem is reported at once."""
    _known_association(association_id)
    policy.ensure_can_edit_association_contacts(actor, association_id)
    cleaned, problems = [], []
    for index, contact in enumerate(data.contacts):
        row, found = contact_problems(contact, f"contacts.{index}")
        cleaned.append(row)
        problems.extend(found)
    if problems:
        raise invalid_fields(problems)
    session.execute(delete(AssociationContact).where(col(AssociationContact.association_id) == association_id))
    session.flush()
    now = utcnow()
    for position, row in enumerate(cleaned):
        session.add(AssociationContact(association_id=association_id, position=position, updated_at=now,
                                       updated_by_user_id=actor.id, **row))
    record_event(session, type="contacts.updated", entity="association", entity_id=association_id,
                 actor_user_id=actor.id, actor_association_id=actor.association_id,
                 associations=[association_id], payload={"count": len(cleaned)})
    session.commit()
    return association_contacts(session, association_id)


# ---------------------------------------------------------------------------------------------------
# A need's on-site contact (written by the needs service inside its own transaction)
# ---------------------------------------------------------------------------------------------------

def site_contact_of(session: Session, need_id: int) -> NeedSiteContact | None:
    """The need's on-site contact, if one was given."""
    return session.get(NeedSiteContact, need_id)


def set_site_contact(session: Session, need_id: int, cleaned: dict[str, str]) -> bool:
    """Store a need's on-site contact in the caller's transaction (no commit); True when it changed."""
    row = session.get(NeedSiteContact, need_id)
    if row is not None and all(getattr(row, k) == v for k, v in cleaned.items()):
        return False
    if not any(cleaned.values()):
        if row is None:
            return False
        session.delete(row)
        return True
    row = row or NeedSiteContact(need_id=need_id)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    return True


# ---------------------------------------------------------------------------------------------------
# The people a dispatch sends
# ---------------------------------------------------------------------------------------------------

def dispatch_people(session: Session, dispatch_id: int) -> list[DispatchPerson]:
    """The people named for a dispatch, in order."""
    query = select(DispatchPerson).where(DispatchPerson.dispatch_id == dispatch_id)
    return list(session.exec(query.order_by(col(DispatchPerson.position))))


@writes
def replace_dispatch_people(session: Session, *, dispatch_id: int, data: PeopleInput,
                            actor: User) -> list[DispatchPerson]:
    """Name the people a supporter sends (its staff), at most the dispatch's headcount; all problems at once."""
    dispatch = session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise NotFound(f"No dispatch {dispatch_id}", "その派遣は見つかりません", field="dispatch_id")
    policy.ensure_can_set_people(actor, dispatch.supplier_id)
    if dispatch.state in WITHDRAWN_STATES:
        raise Conflict(f"The dispatch is {dispatch.state}: nobody is sent",
                       "この派遣は辞退または取り消されたため、派遣する人は登録できません", field="state",
                       details={"current_state": dispatch.state})
    problems: Problems = []
    if len(data.people) > dispatch.headcount:
        problems.append(problem("people", f"at most {dispatch.headcount} people on this dispatch",
                                f"この派遣の人数（{dispatch.headcount}人）までです"))
    cleaned = [{"name": _text(p.name, f"people.{i}.name", problems, limit=100, required=True),
                "phone": _phone(p.phone, f"people.{i}.phone", problems, required=False)}
               for i, p in enumerate(data.people)]
    if problems:
        raise invalid_fields(problems)
    disaster = session.get(Disaster, dispatch.disaster_id)
    assert disaster is not None
    session.execute(delete(DispatchPerson).where(col(DispatchPerson.dispatch_id) == dispatch_id))
    session.flush()
    for position, row in enumerate(cleaned):
        session.add(DispatchPerson(dispatch_id=dispatch_id, position=position, **row))
    record_event(session, type="dispatch.people_named", entity="dispatch", entity_id=dispatch_id,
                 disaster_id=disaster.id, mode=disaster.mode, actor_user_id=actor.id,
                 actor_association_id=actor.association_id,
                 associations=sorted({dispatch.requester_id, dispatch.supplier_id}),
                 payload={"count": len(cleaned), "headcount": dispatch.headcount})
    session.commit()
    return dispatch_people(session, dispatch_id)


# ---------------------------------------------------------------------------------------------------
# Everything a caller may see for one disaster (pages, sitrep, exports)
# ---------------------------------------------------------------------------------------------------

def _site_public(row: NeedSiteContact) -> SiteContactPublic:
    return SiteContactPublic(place=row.place, name=row.name, phone=row.phone)


def visible_contacts(session: Session, *, disaster: Disaster, actor: User) -> DisasterContacts:
    """The disaster's contacts the actor may see: for each dispatch both associations' lists, the need's
    on-site contact and the people sent; and the on-site contacts of the actor's own needs."""
    out = DisasterContacts()
    if not policy.exports_contacts(actor):
        return out  # observers see none
    dispatches = list(session.exec(select(Dispatch).where(Dispatch.disaster_id == disaster.id,
                                                          Dispatch.mode == disaster.mode)))
    needs = {n.id: n for n in session.exec(select(Need).where(Need.disaster_id == disaster.id,
                                                              Need.mode == disaster.mode))}
    asked: dict[int, set[str]] = {}
    associations: set[str] = set()
    dispatch_ids: list[int] = []
    for d in dispatches:
        if d.state in policy.ASKED_STATES:
            asked.setdefault(d.need_id, set()).add(d.supplier_id)
        if d.id is not None and policy.may_see_dispatch_contacts(actor, disaster, requester_id=d.requester_id,
                                                                 supplier_id=d.supplier_id, state=d.state):
            dispatch_ids.append(d.id)
            associations |= {d.requester_id, d.supplier_id}
    if actor.association_id and policy.is_staff_of(actor, actor.association_id):
        associations.add(actor.association_id)
    for association_id in sorted(associations):
        out.associations[association_id] = [_contact_public(c) for c in association_contacts(session, association_id)]
    sites = session.exec(select(NeedSiteContact).where(col(NeedSiteContact.need_id).in_(list(needs))))
    for site in sites:
        need = needs[site.need_id]
        if policy.may_see_need_contact(actor, disaster, requester_id=need.requester_id,
                                       asked_suppliers=asked.get(site.need_id, set())):
            out.needs[site.need_id] = _site_public(site)
    if dispatch_ids:
        people = session.exec(select(DispatchPerson).where(col(DispatchPerson.dispatch_id).in_(dispatch_ids))
                              .order_by(col(DispatchPerson.dispatch_id), col(DispatchPerson.position)))
        for person in people:
            out.dispatches.setdefault(person.dispatch_id, []).append(PersonPublic(name=person.name,
                                                                                  phone=person.phone))
    return out


def disaster_contacts(session: Session, *, disaster_id: int, actor: User) -> DisasterContacts:
    """visible_contacts for a disaster the actor may read."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    return visible_contacts(session, disaster=disaster, actor=actor)


def _contact_public(row: AssociationContact) -> ContactPublic:
    return ContactPublic(name=row.name, role=row.role, phone=row.phone, email=row.email)


def contact_line(contacts: list[ContactPublic] | list[Any]) -> str:
    """Contacts on one line for a CSV cell: 「名前（役割）電話 メール」 joined by " / "."""
    parts = []
    for c in contacts:
        role = f"（{c.role}）" if c.role else ""
        parts.append(" ".join(x for x in (f"{c.name}{role}", c.phone, getattr(c, "email", "")) if x))
    return " / ".join(parts)
