"""A JMA bulletin's proposed declaration tells the secretariat (issue 17 item 4): once in the bell and once by
e-mail, with the suggested name and a link to /bulletins; nobody else; nothing below the threshold; a later
serial is an update (told once, when it changes the name or who is affected), not a new proposal; a drill's
proposal is marked 【訓練】, sent only to the drill allow-list and purged with the drill. Real bulletins
(tests/data/jma/), the real SMTP receiver; SQLite and PostgreSQL."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from sqlmodel import Session, col, select

from coordinator.bulletins.service import ingest
from coordinator.drills.loader import load_scenario
from coordinator.drills.purge import purge_drill
from coordinator.drills.runner import run_scenario
from coordinator.events.models import Event
from coordinator.notifications.models import InAppNotification, OutboxMessage, Preference
from coordinator.notifications.sender import Sender
from tests.conftest import ROOT
from tests.coordinator.test_bulletins_api import IWATE, IWATE_CANCEL, SHINDO_5_LOWER, TOHOKU_51, TOHOKU_53, read
from tests.notifications.conftest import NotifyWorld, notify_settings
from tests.notifications.receivers import SmtpReceiver

NAME = "三陸沖を震源とする地震（最大震度7）"
SUBJECT = f"【提案】{NAME}の災害宣言"
SECRETARIAT = ("secretariat", "secretariat2")
TOKYO_RAIN = "15_14_01_170216_VPWW54.xml"  # 大雨特別警報 for Tokyo
NOBODY_ELSE = ("coordinator", "requester", "toyama", "fukui", "outsider", "observer")


def take_in(world: NotifyWorld, name: str, *, source: str = "folder") -> str:
    """Hand one test bulletin to the service as the watched folder does (no user); its outcome."""
    with Session(world.engine, expire_on_commit=False) as session:
        return ingest(session, data=read(name), source=source, actor=None).bulletin.outcome


def bulletin_rows(world: NotifyWorld) -> tuple[list[InAppNotification], list[OutboxMessage]]:
    """In-app notifications and outbox messages of bulletin events."""
    with Session(world.engine) as session:
        bell = list(session.exec(select(InAppNotification).where(col(InAppNotification.event_type).like("bulletin.%"))
                                 .order_by(col(InAppNotification.id))))
        mail = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.event_type).like("bulletin.%"))
                                 .order_by(col(OutboxMessage.id))))
    return bell, mail


def subject_of(received) -> str:
    """A received message's decoded subject."""
    return str(make_header(decode_header(received.message["Subject"])))


def bulletin_mail(smtp: SmtpReceiver) -> list:
    """Received messages about bulletin proposals."""
    return [m for m in smtp.messages if "提案" in subject_of(m) or "気象庁" in subject_of(m)]


def test_a_shindo_7_proposal_tells_the_secretariat_once_in_the_bell_and_by_email(
        world: NotifyWorld, smtp: SmtpReceiver, db_url: str) -> None:
    assert take_in(world, TOHOKU_53) == "proposed"
    bell, mail = bulletin_rows(world)
    secretariat_ids = {world.user(k).id for k in SECRETARIAT}
    assert sorted(r.user_id for r in bell) == sorted(secretariat_ids)
    assert {(r.event_type, r.audience, r.essential, r.mode, r.disaster_id) for r in bell} == {
        ("bulletin.proposed", "secretariat", True, "live", None)}
    assert sorted(r.address for r in mail) == ["secretariat2@clair.example.jp", "secretariat@clair.example.jp"]
    assert all(r.link.startswith("/bulletins#proposal-") for r in bell + mail)
    assert len({r.key for r in mail}) == 2  # one idempotency key per (event, recipient, channel)

    report = Sender(world.engine, notify_settings(db_url, smtp)).run_once()
    assert report.sent >= 2
    received = bulletin_mail(smtp)
    assert sorted(m.rcpt_tos[0] for m in received) == ["secretariat2@clair.example.jp", "secretariat@clair.example.jp"]
    for message in received:
        assert subject_of(message) == SUBJECT
        body = message.message.get_content()
        assert body.startswith(SUBJECT) and "https://ouen.example.jp/bulletins#proposal-" in body
        assert "宮城県" in body and "事務局が確定するまで宣言はされません" in body
    for key in SECRETARIAT:
        listed = world.client.get("/api/v1/notifications", headers=world.headers(key)).json()
        proposals = [i for i in listed["items"] if i["event_type"] == "bulletin.proposed"]
        assert len(proposals) == 1 and proposals[0]["title_ja"] == SUBJECT
        assert proposals[0]["link"].startswith("/bulletins#proposal-") and proposals[0]["disaster_id"] is None
        assert proposals[0]["title_en"] == f"Proposed: declare {NAME}"
    for key in NOBODY_ELSE:
        assert [n for n in world.in_app(key) if n.event_type.startswith("bulletin.")] == []
        listed = world.client.get("/api/v1/notifications", headers=world.headers(key)).json()
        assert not [i for i in listed["items"] if i["event_type"].startswith("bulletin.")]


def test_a_proposal_cannot_be_muted_while_live(world: NotifyWorld) -> None:
    user = world.user("secretariat")
    with Session(world.engine) as session:
        session.add(Preference(user_id=user.id or 0, topic="bulletins", email=False, in_app=False))
        session.commit()
    prefs = world.client.get("/api/v1/notifications/preferences", headers=world.headers("secretariat")).json()
    topic = next(t for t in prefs["topics"] if t["topic"] == "bulletins")
    assert "bulletin.proposed" in topic["essential_types"]
    take_in(world, TOHOKU_53)
    bell, mail = bulletin_rows(world)
    assert user.id in {r.user_id for r in bell} and "secretariat@clair.example.jp" in {r.address for r in mail}
    # A withdrawal is not essential: the muted topic is respected (the other secretariat login is told).
    take_in(world, IWATE[0])
    take_in(world, IWATE_CANCEL)
    bell, mail = bulletin_rows(world)
    assert [r.user_id for r in bell if r.event_type == "bulletin.withdrawn"] == [world.user("secretariat2").id]
    assert [r.address for r in mail if r.event_type == "bulletin.withdrawn"] == ["secretariat2@clair.example.jp"]


def test_below_the_threshold_nobody_is_told(world: NotifyWorld) -> None:
    assert take_in(world, SHINDO_5_LOWER) == "below_threshold"
    assert bulletin_rows(world) == ([], [])


def test_a_later_serial_updates_and_a_cancellation_withdraws_without_a_second_proposal(world: NotifyWorld) -> None:
    assert take_in(world, TOHOKU_51) == "proposed"
    assert take_in(world, TOHOKU_53) == "updated"  # same EventID: the name now has the epicentre and 震度7
    assert take_in(world, TOHOKU_53) == "updated"  # the same bytes again: stored once, nothing new
    with Session(world.engine) as session:
        update = session.exec(select(Event).where(Event.type == "bulletin.updated")).one()
    assert update.payload["changes"] == ["name", "area"]
    bell, mail = bulletin_rows(world)
    mine = [r for r in bell if r.user_id == world.user("secretariat").id]
    assert [r.event_type for r in mine] == ["bulletin.proposed", "bulletin.updated"]
    assert [r.event_type for r in mail if r.address == "secretariat@clair.example.jp"] == [
        "bulletin.proposed", "bulletin.updated"]
    listed = world.client.get("/api/v1/notifications", headers=world.headers("secretariat")).json()
    titles = [i["title_ja"] for i in listed["items"] if i["event_type"].startswith("bulletin.")]
    assert titles == [f"【提案の更新】{NAME}の災害宣言", "【提案】宮城県北部で最大震度6強を観測した地震の災害宣言"]


def test_serials_that_change_nothing_the_secretariat_decides_on_are_not_told(world: NotifyWorld) -> None:
    outcomes = [take_in(world, name) for name in IWATE]
    assert outcomes == ["proposed", "updated", "updated"]
    with Session(world.engine) as session:
        updates = session.exec(select(Event).where(Event.type == "bulletin.updated").order_by(col(Event.seq))).all()
    assert [u.payload["changes"] for u in updates] == [[], []]  # serials 2 and 3: same name, same associations
    bell, mail = bulletin_rows(world)
    assert not [r for r in bell + mail if r.event_type == "bulletin.updated"]
    assert take_in(world, IWATE_CANCEL) == "withdrawn"
    bell, mail = bulletin_rows(world)
    withdrawn = [r for r in bell if r.event_type == "bulletin.withdrawn"]
    assert sorted(r.user_id for r in withdrawn) == sorted(world.user(k).id for k in SECRETARIAT)
    assert [r.essential for r in withdrawn] == [False, False]
    assert len([r for r in bell if r.event_type == "bulletin.proposed"]) == 2  # one per secretariat login
    listed = world.client.get("/api/v1/notifications", headers=world.headers("secretariat2")).json()
    item = next(i for i in listed["items"] if i["event_type"] == "bulletin.withdrawn")
    assert item["title_ja"].startswith("【提案の取り下げ】") and "取消" in item["body_ja"]


def test_a_cancellation_after_the_declaration_asks_the_secretariat_to_review_the_disaster(
        world: NotifyWorld) -> None:
    with Session(world.engine, expire_on_commit=False) as session:
        bulletin_id = ingest(session, data=read(IWATE[0]), source="folder", actor=None).bulletin.id
    disaster = world.post(f"/api/v1/bulletins/{bulletin_id}/confirm", "secretariat", {}, 201)
    assert take_in(world, IWATE_CANCEL) == "jma_cancelled"
    bell, mail = bulletin_rows(world)
    cancelled = [r for r in bell + mail if r.event_type == "bulletin.jma_cancelled"]
    assert len(cancelled) == 4  # two secretariat logins, in the bell and by e-mail
    assert {(r.link, r.disaster_id, r.mode) for r in cancelled} == {(f"/disasters/{disaster['id']}", disaster["id"],
                                                                     "live")}
    assert all(r.essential for r in cancelled if isinstance(r, InAppNotification))
    for key in NOBODY_ELSE:
        assert not [n for n in world.in_app(key) if n.event_type.startswith("bulletin.")]
    listed = world.client.get("/api/v1/notifications", headers=world.headers("secretariat")).json()
    item = next(i for i in listed["items"] if i["event_type"] == "bulletin.jma_cancelled")
    assert item["title_ja"] == "【要確認】気象庁が電文を取り消しました：岩手県内陸南部を震源とする地震（最大震度6強）"


def test_the_fail_over_secretariat_is_not_told_what_it_may_not_read(world: NotifyWorld, make_user, auth) -> None:
    # A Tokyo bulletin: CLAIR is affected, the secretariat would fail over to the Kinki coordinator (OFIX). Its
    # staff may declare but not read /api/v1/bulletins (coordinator.bulletins.policy), so only CLAIR is told.
    user, token = make_user("staff", "pref_osaka")
    world.set_email(user.id, "staff@pref-osaka.example.jp")
    response = world.client.post("/api/v1/associations/pref_osaka/notification-addresses", headers=auth(token),
                                 json={"channel": "email", "address": "office@pref-osaka.example.jp"})
    assert response.status_code == 201, response.text
    with Session(world.engine, expire_on_commit=False) as session:
        result = ingest(session, data=read(TOKYO_RAIN), source="folder", actor=None)
    assert result.proposal is not None and result.proposal.preview["acting_secretariat"]["id"] == "pref_osaka"
    assert result.proposal.preview["acting_secretariat"]["is_failover"] is True
    bell, mail = bulletin_rows(world)
    assert sorted(r.user_id for r in bell) == sorted(world.user(k).id for k in SECRETARIAT)
    assert sorted(r.address for r in mail) == ["secretariat2@clair.example.jp", "secretariat@clair.example.jp"]


def test_the_secretariat_handing_in_a_bulletin_is_not_told_what_it_did(world: NotifyWorld) -> None:
    response = world.client.post("/api/v1/bulletins", content=read(TOHOKU_53),
                                 headers={**world.headers("secretariat"), "Content-Type": "application/xml"})
    assert response.status_code in (200, 201), response.text
    bell, mail = bulletin_rows(world)
    assert [r.user_id for r in bell] == [world.user("secretariat2").id]
    assert [r.address for r in mail] == ["secretariat2@clair.example.jp"]


@pytest.fixture
def bulletin_drill(world: NotifyWorld) -> int:
    """A run of the tohoku-bulletin drill scenario (its bulletins propose drill declarations); its id."""
    run = run_scenario(world.engine, load_scenario(ROOT / "scenarios" / "tohoku_bulletin.yaml"), speed=None)
    assert run.failures == []
    return run.drill_id


def test_a_drill_proposal_is_marked_allow_listed_and_purged(world: NotifyWorld, bulletin_drill: int,
                                                            smtp: SmtpReceiver, db_url: str) -> None:
    bell, mail = bulletin_rows(world)
    proposed = [r for r in bell if r.event_type == "bulletin.proposed"]
    assert len(proposed) == 4  # two proposals (震度速報, 大津波警報) for two secretariat logins
    assert {(r.mode, r.disaster_id) for r in proposed + mail} == {("drill", bulletin_drill)}
    assert all(r.link.startswith("/bulletins?mode=drill#proposal-") for r in proposed)
    assert {r.user_id for r in proposed} == {world.user(k).id for k in SECRETARIAT}

    allowed = notify_settings(db_url, smtp, notify_drill_recipients=["secretariat2@clair.example.jp"])
    Sender(world.engine, allowed).run_once()
    received = bulletin_mail(smtp)
    assert sorted(m.rcpt_tos[0] for m in received) == ["secretariat2@clair.example.jp"] * 2
    for message in received:
        subject = subject_of(message)
        assert subject.startswith("【訓練】【提案】") and subject.count("【訓練】") == 1, subject
        assert message.message.get_content().startswith("【訓練】")
    with Session(world.engine) as session:
        statuses = {r.address: r.status for r in session.exec(select(OutboxMessage).where(
            OutboxMessage.disaster_id == bulletin_drill, col(OutboxMessage.event_type).like("bulletin.%")))}
    assert statuses == {"secretariat2@clair.example.jp": "sent", "secretariat@clair.example.jp": "suppressed"}
    listed = world.client.get("/api/v1/notifications", headers=world.headers("secretariat")).json()
    drills = [i for i in listed["items"] if i["event_type"] == "bulletin.proposed"]
    assert len(drills) == 2 and all(i["title_ja"].startswith("【訓練】【提案】") for i in drills)
    assert "【訓練】【提案】宮城県北部で最大震度6強を観測した地震の災害宣言" in {i["title_ja"] for i in drills}

    with Session(world.engine) as session:
        purge_drill(session, drill_id=bulletin_drill)
    assert bulletin_rows(world) == ([], [])


def test_a_drill_proposal_leaves_live_secretariat_rows_alone(world: NotifyWorld, bulletin_drill: int) -> None:
    take_in(world, TOHOKU_53)
    with Session(world.engine) as session:
        purge_drill(session, drill_id=bulletin_drill)
    bell, mail = bulletin_rows(world)
    assert {(r.mode, r.disaster_id) for r in bell + mail} == {("live", None)} and len(bell) == 2 == len(mail)
