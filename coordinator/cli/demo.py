"""`ouen demo`: a drill in one command, so that a newcomer who signs in sees something meaningful.

Against the configured database (OUEN_DATABASE_URL): migrates it, declares a DRILL disaster for
prefecture 17 (Noto-like), creates staff accounts for Ishikawa (requester), Toyama and Fukui (supporters)
and the acting block coordinator, and walks two needs, two offers and two dispatches through the real
services: one dispatch reaches on_site, the other waits for Fukui's answer. Every run makes a new drill
with new accounts; it never declares a live disaster.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agreements import acting_roles
from coordinator.auth.credentials import new_password
from coordinator.auth.models import ROLE_STAFF, User
from coordinator.auth.service import create_user
from coordinator.cli import app
from coordinator.cli.db import fail_with, prepare_database
from coordinator.db import make_engine
from coordinator.disasters.models import AreaInput, Disaster, DisasterCreate
from coordinator.disasters.service import declare_disaster
from coordinator.dispatches.models import Dispatch, DispatchCreate
from coordinator.dispatches.service import propose_dispatch, transition_dispatch
from coordinator.errors import DomainError
from coordinator.live.publisher import enable_pg_notify
from coordinator.needs.models import NeedCreate
from coordinator.needs.service import create_need
from coordinator.offers.models import OfferCreate
from coordinator.offers.service import create_offer
from coordinator.reference import current_agreement, resolve_area
from coordinator.settings import get_settings

REQUESTER, SUPPORTERS = "pref_ishikawa", ("pref_toyama", "pref_fukui")
PREFECTURE = "17"  # Ishikawa: the Noto Peninsula earthquake of 2024 (DOMAIN.md, Ishikawa 2024)
BLOCK = "tokai_hokuriku"


@dataclass
class DemoAccount:
    """A demo account and its password, printed once."""

    user: User
    password: str
    what: str


@dataclass
class DemoResult:
    """What `ouen demo` created."""

    disaster: Disaster
    accounts: dict[str, DemoAccount]
    dispatches: list[Dispatch]


def _account(session: Session, suffix: str, association_id: str, what: str) -> DemoAccount:
    password = new_password()
    login = f"demo-{suffix}-{association_id.replace('_', '-')}"
    user = create_user(session, login=login, display_name=f"【訓練】{what}（{association_id}）", role=ROLE_STAFF,
                       association_id=association_id, password=password)
    return DemoAccount(user, password, what)


def _acting_coordinator(today: date) -> str:
    area = resolve_area(prefectures=[PREFECTURE])
    roles = acting_roles(current_agreement(), affected=area.association_ids, on=today,
                         affected_prefectures=area.prefecture_codes)
    return roles.coordinators[BLOCK].association_id


def run_demo(engine: Engine, *, today: date | None = None) -> DemoResult:
    """Create one demo drill on this (migrated) database and return what was made."""
    today = today or date.today()
    suffix = secrets.token_hex(3)
    coordinator_id = _acting_coordinator(today)
    with Session(engine, expire_on_commit=False) as session:
        accounts: dict[str, DemoAccount] = {}
        for association_id, what in ((REQUESTER, "要請団体 / requester"),
                                     (SUPPORTERS[0], "応援団体 / supporter"),
                                     (SUPPORTERS[1], "応援団体 / supporter"),
                                     (coordinator_id, "ブロック幹事団体 / block coordinator")):
            if association_id in accounts:  # the coordinator may itself be one of the supporters
                accounts[association_id].what += " + ブロック幹事団体 / block coordinator"
                continue
            accounts[association_id] = _account(session, suffix, association_id, what)
        session.commit()
        coordinator = accounts[coordinator_id].user
        requester = accounts[REQUESTER].user
        toyama, fukui = (accounts[s].user for s in SUPPORTERS)

        disaster = declare_disaster(session, actor=coordinator, today=today, data=DisasterCreate(
            name=f"【訓練】能登半島地震 デモ {suffix} / DRILL Noto earthquake demo", kind="earthquake",
            mode="drill", area=AreaInput(prefectures=[PREFECTURE])))
        assert disaster.id is not None and disaster.mode == "drill"
        centre = create_need(session, disaster_id=disaster.id, actor=requester, data=NeedCreate(
            requester_id=REQUESTER, kind="centre_staff", language="vi", headcount=2, start=today, days=5,
            place="17204", notes="【訓練】輪島市の災害多言語支援センター / DRILL: Wajima support centre"))
        interpreting = create_need(session, disaster_id=disaster.id, actor=requester, data=NeedCreate(
            requester_id=REQUESTER, kind="onsite_interpretation", language="en", headcount=1, start=today,
            days=3, place="17205", notes="【訓練】珠洲市の避難所巡回 / DRILL: shelter rounds in Suzu"))
        offer_toyama = create_offer(session, disaster_id=disaster.id, actor=toyama, data=OfferCreate(
            languages=["vi", "en"], kinds=["centre_staff", "translation"], headcount=3, available_from=today,
            available_until=today.fromordinal(today.toordinal() + 14)))
        offer_fukui = create_offer(session, disaster_id=disaster.id, actor=fukui, data=OfferCreate(
            languages=["en", "zh-Hans"], kinds=["onsite_interpretation", "shelter_rounds"], headcount=2,
            available_from=today, available_until=today.fromordinal(today.toordinal() + 10)))

        first = propose_dispatch(session, disaster_id=disaster.id, actor=coordinator, data=DispatchCreate(
            need_id=centre.id or 0, supplier_id=SUPPORTERS[0], headcount=2, offer_id=offer_toyama.id))
        for action, actor in (("approve", coordinator), ("request", coordinator), ("accept", toyama),
                              ("depart", toyama), ("arrive", requester)):
            first = transition_dispatch(session, dispatch_id=first.id or 0, action=action, actor=actor,
                                        expected_cost_yen=180000 if action == "accept" else None)
        second = propose_dispatch(session, disaster_id=disaster.id, actor=coordinator, data=DispatchCreate(
            need_id=interpreting.id or 0, supplier_id=SUPPORTERS[1], headcount=1, offer_id=offer_fukui.id))
        for action in ("approve", "request"):
            second = transition_dispatch(session, dispatch_id=second.id or 0, action=action, actor=coordinator)
    return DemoResult(disaster=disaster, accounts=accounts, dispatches=[first, second])


def _print(result: DemoResult, url: str) -> None:
    disaster = result.disaster
    lines = [
        "",
        f"訓練を作成しました / created a DRILL: 「{disaster.name}」 (disaster id {disaster.id}, mode drill)",
        "  被災 / affected: " + ", ".join(disaster.affected_associations),
        "  派遣 / dispatches: " + ", ".join(f"#{d.id} {d.supplier_id} → {d.requester_id}: {d.state}"
                                           for d in result.dispatches),
        "",
        "デモ用アカウント（パスワードはこの一度だけ表示）/ demo accounts (passwords shown only now):",
    ]
    for association_id, account in result.accounts.items():
        lines.append(f"  {account.user.login:<40} {account.password}   {association_id}: {account.what}")
    lines += ["",
              f"サインイン / sign in: {url} — 訓練は `?mode=drill` で表示 / drills are listed with ?mode=drill",
              ""]
    typer.echo("\n".join(lines))


@app.command("demo")
def demo() -> None:
    """Create a demo DRILL (prefecture 17) with accounts, needs, offers and dispatches; never a live one."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    enable_pg_notify(engine, settings.live_channel)  # a server watching sees the demo at once
    try:
        prepare_database(engine)
        result = run_demo(engine)
    except DomainError as error:
        fail_with(error)
        return
    finally:
        engine.dispose()
    _print(result, f"http://{settings.host}:{settings.port}/")
