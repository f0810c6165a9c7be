"""A live disaster in Ishikawa with password accounts for Ishikawa (affected), Toyama and Fukui (supporters)
and the secretariat, contacts on both sides, and a request waiting for Toyama's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF
from coordinator.auth.service import create_user
from coordinator.contacts.models import ContactInput, ContactsInput, SiteContactInput
from coordinator.contacts.service import replace_association_contacts
from coordinator.disasters.models import AreaInput, DisasterCreate
from coordinator.disasters.service import declare_disaster
from coordinator.dispatches.models import DispatchCreate
from coordinator.dispatches.service import propose_dispatch, transition_dispatch
from coordinator.needs.models import NeedCreate
from coordinator.needs.service import create_need
from coordinator.offers.models import OfferCreate
from coordinator.offers.service import create_offer
from tests.web.conftest import PASSWORD

ISHIKAWA, TOYAMA, FUKUI = "pref_ishikawa", "pref_toyama", "pref_fukui"


@dataclass
class StaffWorld:
    """Ids and logins made by staff_world()."""

    disaster_id: int
    need_id: int
    dispatch_id: int
    logins: dict[str, str] = field(default_factory=dict)


def staff_world(engine: Engine) -> StaffWorld:
    """Declare, register contacts, a need with an on-site contact, Toyama's offer, a request to Toyama."""
    with Session(engine, expire_on_commit=False) as session:
        users: dict[str, Any] = {}
        users["secretariat"] = create_user(session, login="s-secretariat", display_name="事務局 太郎",
                                           role=ROLE_SECRETARIAT, association_id="clair", password=PASSWORD)
        for association_id in (ISHIKAWA, TOYAMA, FUKUI):
            users[association_id] = create_user(session, login=f"s-{association_id.split('_')[1]}",
                                                display_name=f"職員 {association_id}", role=ROLE_STAFF,
                                                association_id=association_id, password=PASSWORD)
        session.commit()
        disaster = declare_disaster(session, actor=users["secretariat"], today=date.today(), data=DisasterCreate(
            name="能登半島の地震（スタッフ画面）", kind="earthquake", mode="live", area=AreaInput(prefectures=["17"])))
        assert disaster.id is not None
        replace_association_contacts(session, association_id=ISHIKAWA, actor=users[ISHIKAWA], data=ContactsInput(
            contacts=[ContactInput(name="北陸 花子", role="事務局長", phone="076-262-5931",
                                   email="hanako@example.jp")]))
        replace_association_contacts(session, association_id=TOYAMA, actor=users[TOYAMA], data=ContactsInput(
            contacts=[ContactInput(name="立山 次郎", role="国際交流課", phone="076-444-2500")]))
        need = create_need(session, disaster_id=disaster.id, actor=users[ISHIKAWA], data=NeedCreate(
            requester_id=ISHIKAWA, kind="centre_staff", language="vi", headcount=3,
            start=date.today() + timedelta(days=1), days=5, place="17204", notes="輪島市の避難所でベトナム語の相談",
            site_contact=SiteContactInput(place="輪島中学校 避難所", name="門前 一郎", phone="0768-22-2211")))
        assert need.id is not None
        create_offer(session, disaster_id=disaster.id, actor=users[TOYAMA], data=OfferCreate(
            languages=["vi"], kinds=["centre_staff"], headcount=5, available_from=date.today(),
            available_until=date.today() + timedelta(days=20)))
        coordinator_id = disaster.acting_roles["coordinators"]["tokai_hokuriku"]["association_id"]
        users["coordinator"] = create_user(session, login="s-coordinator", display_name="幹事 職員", role=ROLE_STAFF,
                                           association_id=coordinator_id, password=PASSWORD)
        session.commit()
        dispatch = propose_dispatch(session, disaster_id=disaster.id, actor=users["coordinator"],
                                    data=DispatchCreate(need_id=need.id, supplier_id=TOYAMA, headcount=3))
        assert dispatch.id is not None
        for action in ("approve", "request"):
            transition_dispatch(session, dispatch_id=dispatch.id, action=action, actor=users["coordinator"])
        logins = {key: user.login for key, user in users.items()}
    return StaffWorld(disaster_id=disaster.id, need_id=need.id, dispatch_id=dispatch.id, logins=logins)


def another_request(engine: Engine, world: StaffWorld) -> int:
    """A second need of Ishikawa, requested from Toyama by the block coordinator; returns the dispatch id."""
    from sqlmodel import select

    from coordinator.auth.models import User

    with Session(engine, expire_on_commit=False) as session:
        users = {u.login: u for u in session.exec(select(User))}
        ishikawa, coordinator = users[world.logins[ISHIKAWA]], users[world.logins["coordinator"]]
        need = create_need(session, disaster_id=world.disaster_id, actor=ishikawa, data=NeedCreate(
            requester_id=ISHIKAWA, kind="centre_staff", language="vi", headcount=1, start=date.today(), days=3))
        assert need.id is not None
        dispatch = propose_dispatch(session, disaster_id=world.disaster_id, actor=coordinator,
                                    data=DispatchCreate(need_id=need.id, supplier_id=TOYAMA, headcount=1))
        assert dispatch.id is not None
        for action in ("approve", "request"):
            transition_dispatch(session, dispatch_id=dispatch.id, action=action, actor=coordinator)
        return dispatch.id
