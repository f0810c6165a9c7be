"""The bell and the notifications page in a real browser (Playwright + Debian's Chromium) on a real server:
a request to a supporter appears on its bell without reload, over the live websocket, at phone width."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from coordinator.db import make_engine, unit_of_work
from coordinator.notifications.models import OutboxMessage
from tests.coordinator.disasters_support import need_body, offer_body
from tests.support import create_user_with_token
from tests.web.conftest import REQUESTER, Accounts, PageProblems, screenshot, sign_in

pytestmark = pytest.mark.browser


def _api(base: str, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.post(f"{base}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _bell_count(page: Any) -> int:
    return int(page.locator("#notify-bell").get_attribute("data-unread") or "0")


def test_a_request_rings_the_supporters_bell_without_reload(web_server: tuple[str, Accounts], live_db_url: str,
                                                            new_context: Callable[..., Any],
                                                            problems: PageProblems) -> None:
    base, accounts = web_server
    disaster = accounts.live
    database = make_engine(live_db_url)
    try:
        coordinator_id = disaster.acting_roles["coordinators"]["tokai_hokuriku"]["association_id"]
        _, coordinator = create_user_with_token(database, "staff", coordinator_id)
        _, requester = create_user_with_token(database, "staff", REQUESTER)
        _, supplier = create_user_with_token(database, "staff", "pref_toyama")
    finally:
        database.dispose()

    _, staff = new_context(width=375, height=812)
    sign_in(staff, base, accounts.logins["pref_toyama"], then="/association")
    staff.wait_for_selector("#notify-bell[data-unread]")
    staff.evaluate("window.__sameDocument = true")
    before = _bell_count(staff)
    bell = staff.locator("#bell-button").bounding_box()
    assert bell is not None and bell["height"] >= 44 and bell["width"] >= 44

    need = _api(base, requester, f"/api/v1/disasters/{disaster.id}/needs", need_body(headcount=1))
    _api(base, supplier, f"/api/v1/disasters/{disaster.id}/offers", offer_body(headcount=2))
    dispatch = _api(base, coordinator, f"/api/v1/disasters/{disaster.id}/dispatches",
                    {"need_id": need["id"], "supplier_id": "pref_toyama", "headcount": 1})
    _api(base, coordinator, f"/api/v1/dispatches/{dispatch['id']}/approve")
    _api(base, coordinator, f"/api/v1/dispatches/{dispatch['id']}/request")

    staff.wait_for_selector(f"#notify-bell[data-unread='{before + 1}']")
    assert staff.evaluate("window.__sameDocument") is True  # pushed, not reloaded
    assert staff.locator("#bell-count").inner_text() == str(before + 1)
    staff.locator("#bell-button").click()
    first = staff.locator("#bell-list li").first
    assert first.get_attribute("class").startswith("unread")
    assert first.inner_text().startswith("重要派遣要請：石川県国際交流協会への")
    assert staff.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(staff, "bell-open-ja-375px")
    with staff.expect_navigation():
        first.locator("a").click()
    assert staff.url.endswith(f"/disasters/{disaster.id}/association")
    staff.wait_for_selector("#notify-bell[data-unread]")
    assert _bell_count(staff) == before  # opening it marked it read
    assert problems.problems == []


def test_the_notifications_page_sets_the_address_and_topics_and_shows_dead_letters(
        web_server: tuple[str, Accounts], live_db_url: str, new_context: Callable[..., Any],
        problems: PageProblems) -> None:
    base, accounts = web_server
    _, page = new_context(width=375, height=812)
    sign_in(page, base, accounts.logins[REQUESTER], then="/notifications")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#notify-list li").count() >= 1  # the declaration told the affected association
    assert "災害宣言：能登地方の地震（テスト）" in page.locator("#notify-list").inner_text()
    problems.allowed_statuses.add(422)
    page.get_by_label("通知を受け取るメールアドレス（任意）").fill("not an address")
    page.get_by_role("button", name="保存", exact=True).click()
    error = page.locator('#email-form [data-field="email"] .field-error')
    error.wait_for(state="visible")
    assert "メールアドレスではありません" in error.inner_text()
    page.get_by_label("通知を受け取るメールアドレス（任意）").fill("staff@ifie.example.jp")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("#action-message:text-is('保存しました')")
    page.evaluate("document.getElementById('action-message').textContent = ''")
    page.get_by_label("派遣の進捗・取り消し — メール").uncheck()
    page.get_by_role("button", name="設定を保存").click()
    page.wait_for_selector("#action-message:text-is('保存しました')")
    prefs = httpx.get(f"{base}/api/v1/notifications/preferences", cookies=_cookies(page), timeout=30).json()
    assert prefs["email"] == "staff@ifie.example.jp"
    assert next(t for t in prefs["topics"] if t["topic"] == "progress")["email"] is False
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("#outbox-heading").count() == 0  # staff see no delivery panel
    screenshot(page, "notifications-page-ja-375px")

    database = make_engine(live_db_url)
    try:
        _, clair = create_user_with_token(database, "secretariat", "clair")
        _api(base, clair, f"/api/v1/disasters/{accounts.live.id}/cross-block")  # tells the affected, by e-mail too
        with Session(database) as session, unit_of_work(session):  # the message given up on, for the secretariat
            row = session.exec(select(OutboxMessage).where(OutboxMessage.address == "staff@ifie.example.jp")).one()
            dead_id = row.id
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == dead_id)
                            .values(status="dead", attempts=8, last_error="SMTP 550 no such user"))
    finally:
        database.dispose()
    _, secretariat = new_context()
    sign_in(secretariat, base, accounts.logins["secretariat"], then="/notifications")
    secretariat.wait_for_selector(f"#dead-list li[data-id='{dead_id}']")
    assert "SMTP 550" in secretariat.locator("#dead-list").inner_text()
    secretariat.locator(f"#dead-list li[data-id='{dead_id}'] button").click()
    secretariat.wait_for_selector("#dead-list li.empty")
    assert problems.problems == []


def _cookies(page: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}
