"""In Chromium: the secretariat's users and accounts page (issue 14 item 8) and the sign-in redirect that
stays on this site (issue 12 item 6). A real uvicorn server; 1366 and 375 px; no console errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from coordinator.db import make_engine
from tests.support import create_user_with_token
from tests.web.conftest import PASSWORD, PageProblems, screenshot, sign_in


def no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def tall_enough(page: Any, selector: str) -> None:
    for height in page.eval_on_selector_all(selector, "els => els.filter(e => e.offsetParent)"
                                                      ".map(e => e.getBoundingClientRect().height)"):
        assert height >= 44, (selector, height)


@pytest.mark.parametrize("width", [1366, 375])
def test_the_secretariat_adds_a_user_resets_disables_and_signs_out_in_the_browser(
        web_server: tuple[str, Any], new_context: Any, problems: PageProblems, width: int) -> None:
    base, accounts = web_server
    _, page = new_context(width=width, height=900)
    sign_in(page, base, accounts.logins["secretariat"], then="/admin/users")
    page.wait_for_selector("body[data-ready='1']")
    assert page.title().startswith("利用者とアカウント")
    assert page.get_by_role("link", name="アカウント").count() == 1
    # Add a staff user of Toyama, password generated and shown once.
    page.get_by_text("利用者を追加する").click()
    page.get_by_label("表示名（氏名と所属など）").fill("富山 花子")
    page.get_by_label("ログイン名", exact=True).fill(f"hanako-{width}")
    page.get_by_label("役割", exact=True).select_option("staff")
    page.get_by_label("所属する協会").select_option("pref_toyama")
    page.get_by_role("button", name="追加する").click()
    secret = page.locator("#secret-value")
    secret.wait_for()
    password = secret.text_content() or ""
    assert len(password) >= 16 and "富山 花子" in (page.locator("#secret-text").text_content() or "")
    card = page.locator(f"li[data-login='hanako-{width}']")
    card.wait_for()
    assert "協会職員" in card.inner_text() and "有効" in card.inner_text()
    signed = httpx.post(f"{base}/api/v1/auth/login", json={"login": f"hanako-{width}", "password": password})
    assert signed.status_code == 200
    cookie = signed.cookies["ouen_session"]
    # Her session shows up; sign it out from the page.
    page.get_by_role("button", name="閉じる").click()
    page.get_by_label("名前・ログイン名・協会で探す").fill(f"hanako-{width}")
    assert page.locator("#accounts > li").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="セッションとトークン").click()
    card.locator(".sessions li[data-session-id]").wait_for()
    assert "testclient" not in card.inner_text()
    card.get_by_role("button", name="サインアウトさせる").click()
    page.wait_for_selector(f"li[data-login='hanako-{width}'] >> text=サインイン中 0")
    assert httpx.get(f"{base}/api/v1/auth/me", cookies={"ouen_session": cookie}).status_code == 401
    # Reset her password (confirmed), then disable her: the old password and then any sign-in stop.
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="パスワードを再設定").click()
    page.locator("#secret-box").wait_for(state="visible")
    new_password = page.locator("#secret-value").text_content() or ""
    assert new_password and new_password != password
    page.get_by_role("button", name="閉じる").click()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="無効にする").click()
    page.wait_for_selector(f"li[data-login='hanako-{width}'].is-disabled")
    assert httpx.post(f"{base}/api/v1/auth/login", json={"login": f"hanako-{width}", "password": new_password}
                      ).status_code == 401
    # Change her role to observer.
    card.get_by_role("button", name="役割を変更").click()
    card.locator("select[name=role]").select_option("observer")
    card.get_by_role("button", name="役割を変更する").click()
    page.wait_for_selector(f"li[data-login='hanako-{width}'] >> text=オブザーバー")
    no_horizontal_scroll(page)
    tall_enough(page, "#main button")
    screenshot(page, f"accounts-{width}")
    assert problems.problems == []


def test_staff_cannot_open_the_accounts_page(web_server: tuple[str, Any], new_context: Any,
                                            problems: PageProblems) -> None:
    base, accounts = web_server
    problems.allowed_statuses.add(403)
    _, page = new_context()
    sign_in(page, base, accounts.logins["pref_toyama"], then="/association")
    response = page.goto(f"{base}/admin/users")
    assert response is not None and response.status == 403
    assert "事務局のみ" in page.inner_text("main")
    assert page.get_by_role("link", name="アカウント").count() == 0


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "/%0A/evil.example/x", "/%0D%0A/evil.example/x",
                                    "//evil.example/x", "/%5Cevil.example/x", "https://evil.example/x",
                                    "%20/%09/evil.example", "javascript:alert(1)"])
def test_signing_in_never_leaves_this_site(web_server: tuple[str, Any], new_context: Any,
                                          problems: PageProblems, target: str) -> None:
    base, accounts = web_server
    _, page = new_context()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.goto(f"{base}/login?next={target}")
    page.get_by_label(re.compile("ログイン名|Login")).fill(accounts.logins["secretariat"])
    page.get_by_label(re.compile("パスワード|Password")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("サインイン|Sign in")).click()
    page.wait_for_load_state("load")
    assert page.url.startswith(base + "/"), page.url
    assert not [url for url in visited if "evil.example" in url.split("?")[0].split("#")[0]]
    # The language switch follows the same rule.
    page.goto(f"{base}/lang/en?next={quote(target, safe='%')}")
    assert page.url.startswith(base + "/"), page.url
    assert problems.problems == []


def test_a_same_site_next_is_still_followed(web_server: tuple[str, Any], new_context: Any) -> None:
    base, accounts = web_server
    _, page = new_context()
    sign_in(page, base, accounts.logins["secretariat"], then=quote("/drills?x=1", safe=""))
    assert page.url == f"{base}/drills?x=1"


def test_the_dashboard_says_who_must_approve_a_coordinators_own_dispatch_and_why(
        web_server: tuple[str, Any], live_db_url: str, new_context: Any, problems: PageProblems) -> None:
    """Aichi coordinates Tokai-Hokuriku and supplies Ishikawa: the dispatch row names its deputy (Shizuoka)
    or the secretariat as approvers, and why, before anyone tries (issue 12 item 2)."""
    base, accounts = web_server
    engine = make_engine(live_db_url)
    try:
        _, aichi = create_user_with_token(engine, "staff", "pref_aichi")
        _, ishikawa = create_user_with_token(engine, "staff", "pref_ishikawa")
    finally:
        engine.dispose()
    disaster = accounts.live.id
    today = date.today().isoformat()
    need = httpx.post(f"{base}/api/v1/disasters/{disaster}/needs", headers={"Authorization": f"Bearer {ishikawa}"},
                      json={"requester_id": "pref_ishikawa", "kind": "centre_staff", "language": "vi",
                            "headcount": 2, "start": today, "days": 3, "place": "17204"}).json()
    proposed = httpx.post(f"{base}/api/v1/disasters/{disaster}/dispatches",
                          headers={"Authorization": f"Bearer {aichi}"},
                          json={"need_id": need["id"], "supplier_id": "pref_aichi", "headcount": 1})
    assert proposed.status_code == 201, proposed.text
    _, page = new_context(width=1366)
    sign_in(page, base, accounts.logins["secretariat"], then=f"/disasters/{disaster}")
    row = page.locator(f"#dispatch-table tr[data-dispatch-id='{proposed.json()['id']}']")
    row.wait_for()
    who = row.locator("td", has_text="静岡").first
    assert "静岡" in who.inner_text()
    assert "自らの協会の派遣は承認できません" in (who.locator("span[title]").get_attribute("title") or "")
    assert problems.problems == []
