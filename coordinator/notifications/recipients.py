"""From audiences to people and addresses, with the API's reading rules and everyone's preferences.

Nobody is told what they could not read: each user is checked with the rules the API applies to the same
event (the timeline's `can_read_event`, and for a dispatch `dispatches.policy.can_read`); an association's
own address is checked as if one of its staff read it, the secretariat's as the secretariat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.bulletins import policy as bulletin_policy
from coordinator.bulletins.models import Proposal
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.dispatches import policy as dispatch_policy
from coordinator.dispatches.models import Dispatch
from coordinator.events.models import Event
from coordinator.notifications.models import EMAIL, NotificationAddress, Preference
from coordinator.notifications.rules import SECRETARIAT, Audience, topic_of


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person or address to tell, over one channel, and why."""

    channel: str  # in_app | email | webhook
    address: str  # the user id (in_app), the e-mail address, or the webhook URL
    audience: Audience
    user_id: int | None = None
    contact: NotificationAddress | None = None
    association_id: str | None = None


def may_read(user: User, disaster: Disaster, event: Event, dispatch: Dispatch | None) -> bool:
    """The API's rule: the timeline's for the event, and for a dispatch event the dispatch's own."""
    if not user.is_active or not disaster_policy.can_read_event(user, disaster, event.associations):
        return False
    return dispatch is None or dispatch_policy.can_read(user, disaster, dispatch)


def reader_for(association_id: str) -> User:
    """Who an association's own address stands for: one of its staff (the secretariat for "clair")."""
    role = ROLE_SECRETARIAT if association_id == SECRETARIAT_ID else ROLE_STAFF
    return User(login=f"contact:{association_id}", display_name=association_id, role=role,
                association_id=association_id, is_active=True)


def _secretariat_associations(disaster: Disaster) -> list[str]:
    """Whose staff and addresses stand for the acting secretariat: CLAIR, and a fail-over association."""
    secretariat = disaster.acting_roles.get("secretariat") or {}
    acting = [SECRETARIAT_ID]
    if secretariat.get("is_failover") and secretariat.get("id"):
        acting.append(str(secretariat["id"]))
    return acting


def _wants(preference: Preference | None, channel: str, *, essential: bool, live: bool) -> bool:
    if essential and live:
        return True  # nothing essential is muted while a disaster is live (docs/notifications.md)
    if preference is None:
        return True
    return preference.email if channel == EMAIL else preference.in_app


def _address_wants(contact: NotificationAddress, topic: str, *, essential: bool, live: bool) -> bool:
    return (essential and live) or not contact.topics or topic in contact.topics


def recipients(session: Session, *, event: Event, disaster: Disaster, audiences: Iterable[Audience],
               dispatch: Dispatch | None) -> list[Recipient]:
    """Everyone to tell about the event: users in the app and by e-mail, association addresses and webhooks.

    One message per user (in the app) and per address and channel; essential audiences are served first,
    so a person both affected and acting as coordinator gets the more urgent wording. The actor is not
    told what they did themselves.
    """
    return _resolve(session, event=event, audiences=audiences, live=disaster.mode == "live",
                    secretariat=_secretariat_associations(disaster),
                    readable=lambda user: may_read(user, disaster, event, dispatch))


def bulletin_recipients(session: Session, *, event: Event, audiences: Iterable[Audience]) -> list[Recipient]:
    """Who is told of a bulletin's proposal: the acting secretariat, as far as it may read the bulletins API.

    The secretariat is CLAIR and, where the proposal's area would make one act, the fail-over association;
    each person and address is checked with `coordinator.bulletins.policy.can_read` (today: CLAIR's
    secretariat logins and CLAIR's own addresses; the fail-over's staff cannot open /bulletins).
    """
    proposal = session.get(Proposal, int(event.entity_id)) if event.entity == "proposal" else None
    acting = ((proposal.preview if proposal is not None else None) or {}).get("acting_secretariat") or {}
    secretariat = [SECRETARIAT_ID]
    if acting.get("is_failover") and acting.get("id"):
        secretariat.append(str(acting["id"]))
    return _resolve(session, event=event, audiences=audiences, live=event.mode == "live", secretariat=secretariat,
                    readable=bulletin_policy.can_read)


def _resolve(session: Session, *, event: Event, audiences: Iterable[Audience], live: bool, secretariat: list[str],
             readable: Callable[[User], bool]) -> list[Recipient]:
    ordered = sorted(audiences, key=lambda a: (not a.essential, a.kind != "failover"))
    groups = {id(a): (secretariat if a.association_id is SECRETARIAT else [a.association_id]) for a in ordered}
    associations = sorted({x for group in groups.values() for x in group if x})
    users = list(session.exec(select(User).where(col(User.association_id).in_(associations),
                                                 col(User.is_active).is_(True))))
    by_association: dict[str, list[User]] = {}
    for user in users:
        by_association.setdefault(user.association_id or "", []).append(user)
    preferences = {(p.user_id, p.topic): p for p in session.exec(
        select(Preference).where(col(Preference.user_id).in_([u.id for u in users])))} if users else {}
    contacts: dict[str, list[NotificationAddress]] = {}
    query = select(NotificationAddress).where(col(NotificationAddress.association_id).in_(associations),
                                              col(NotificationAddress.active).is_(True))
    for contact in session.exec(query.order_by(col(NotificationAddress.id))):
        contacts.setdefault(contact.association_id, []).append(contact)

    told: dict[tuple[str, str], Recipient] = {}
    for audience in ordered:
        topic = topic_of(event.type, audience.kind)
        for association_id in groups[id(audience)]:
            if association_id == SECRETARIAT_ID:  # CLAIR's logins are the secretariat's
                people = [u for u in by_association.get(SECRETARIAT_ID, []) if u.role == ROLE_SECRETARIAT]
            else:
                people = [u for u in by_association.get(association_id, []) if u.role == ROLE_STAFF]
            for user in people:
                if user.id is None or user.id == event.actor_user_id:
                    continue
                if not readable(user):
                    continue
                preference = preferences.get((user.id, topic))
                if _wants(preference, "in_app", essential=audience.essential, live=live):
                    told.setdefault(("in_app", str(user.id)), Recipient(
                        "in_app", str(user.id), audience, user_id=user.id, association_id=association_id))
                email = getattr(user, "email", None)
                if email and _wants(preference, EMAIL, essential=audience.essential, live=live):
                    told.setdefault((EMAIL, email.lower()), Recipient(
                        EMAIL, email, audience, user_id=user.id, association_id=association_id))
            contacts_here = contacts.get(association_id, [])
            if contacts_here and not readable(reader_for(association_id)):
                continue
            for contact in contacts_here:
                if _address_wants(contact, topic, essential=audience.essential, live=live):
                    told.setdefault((contact.channel, contact.address.lower()), Recipient(
                        contact.channel, contact.address, audience, contact=contact,
                        association_id=association_id))
    return list(told.values())
