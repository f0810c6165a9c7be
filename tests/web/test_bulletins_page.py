"""The proposals page (/bulletins) in Debian's Chromium against a real server: a bulletin handed in while
the page is open shows up without reload; confirm, edit link and dismiss; 375 and 1366 px without
horizontal scroll, 44 px buttons, no console errors; ja and en; the drill view is marked 【訓練】."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from coordinator.db import make_engine
from tests.support import create_user_with_token
from tests.web.conftest import Accounts, PageProblems, screenshot, sign_in

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent.parent / "data" / "jma"
QUAKE = "三陸沖を震源とする地震（最大震度7）"
TSUNAMI = "三陸沖を震源とする地震による津波（大津波警報）"


def hand_in(base_url: str, token: str, name: str, *, drill: bool = False) -> dict:
    """POST one test bulletin as the secretariat (bearer token)."""
    response = httpx.post(f"{base_url}/api/v1/bulletins", content=(DATA / name).read_bytes(), timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
    assert response.status_code == 201, response.text
    return response.json()


def no_horizontal_scroll(page: Any) -> bool:
    """scrollWidth <= innerWidth."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def small_controls(page: Any) -> list[str]:
    """Visible buttons and button-like links of the proposals smaller than 44 px high."""
    return page.evaluate("""() => [...document.querySelectorAll('.proposal button, .proposal a.button, .mode-switch a')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.textContent)""")


@pytest.fixture
def token(live_db_url: str, web_server: tuple[str, Accounts]) -> str:
    """A bearer token of a secretariat user on the server's database."""
    engine = make_engine(live_db_url)
    try:
        return create_user_with_token(engine, "secretariat", "clair")[1]
    finally:
        engine.dispose()


def test_a_proposal_appears_live_and_is_confirmed_or_dismissed(web_server: tuple[str, Accounts], token: str,
                                                               new_context: Callable[..., Any],
                                                               problems: PageProblems) -> None:
    base_url, accounts = web_server
    _, page = new_context(1366, 900)
    sign_in(page, base_url, accounts.logins["secretariat"], then="/bulletins")
    page.goto(f"{base_url}/bulletins")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#live-status[data-state='live']")
    assert page.locator("#proposals-empty").is_visible()

    quake = hand_in(base_url, token, "32-39_11_05_240613_VXSE53.xml")
    card = page.locator(f"#proposal-{quake['proposal']['id']}")
    card.wait_for()  # no reload: the bulletin.proposed event made the page read again
    assert QUAKE in card.inner_text()
    text = card.inner_text()
    card.locator("details.associations summary").click()
    text = card.inner_text()
    assert "宮城県国際化協会" in text and "仙台観光国際協会" in text
    assert "最大震度 7" in text and "日本時間" in page.inner_text("main")
    assert re.search(r"\d+ 市町村", text)
    edit = card.locator("a.edit")
    assert f"bulletin={quake['bulletin']['id']}" in edit.get_attribute("href")
    assert "/disasters/new?" in edit.get_attribute("href")

    tsunami = hand_in(base_url, token, "32-39_11_02_250206_VTSE41.xml")
    tsunami_card = page.locator(f"#proposal-{tsunami['proposal']['id']}")
    tsunami_card.wait_for()
    assert no_horizontal_scroll(page)
    assert small_controls(page) == []
    screenshot(page, "bulletins-1366")

    tsunami_card.locator("button.dismiss").click()
    tsunami_card.get_by_role("button", name="却下する").click()
    assert tsunami_card.locator(".field-error").inner_text() == "理由を入力してください。"
    tsunami_card.get_by_label("却下する理由（必須）").fill("地震として宣言するため")
    tsunami_card.get_by_role("button", name="却下する").click()
    page.locator("#recent li[data-status='dismissed']").wait_for()
    assert "地震として宣言するため" in page.locator("#recent").inner_text()

    card.locator("button.confirm").click()
    page.locator("#action-message a").wait_for()
    assert f"宣言しました：{QUAKE}" in page.locator("#action-message").inner_text()
    page.locator("#recent li[data-status='confirmed']").wait_for()
    assert page.locator("#proposals-empty").is_visible()
    disaster_link = page.locator("#action-message a").get_attribute("href")
    assert re.fullmatch(r"/disasters/\d+", disaster_link or "")
    assert problems.problems == []


def test_phone_width_english_and_the_drill_view(web_server: tuple[str, Accounts], token: str,
                                                new_context: Callable[..., Any], problems: PageProblems) -> None:
    base_url, accounts = web_server
    hand_in(base_url, token, "32-39_11_05_240613_VXSE53.xml")
    _, page = new_context(375, 800)
    sign_in(page, base_url, accounts.logins["secretariat"], then="/bulletins")
    page.goto(f"{base_url}/bulletins")
    page.wait_for_selector(".proposal")
    assert no_horizontal_scroll(page)
    assert small_controls(page) == []
    screenshot(page, "bulletins-375")

    page.goto(f"{base_url}/lang/en?next=/bulletins")
    page.wait_for_selector(".proposal")
    assert page.locator("h1").inner_text() == "Declarations proposed from JMA bulletins"
    assert page.locator(".proposal button.confirm").inner_text() == "Declare as shown"
    assert "⟦" not in page.inner_text("body")  # every string came from the catalogue
    assert no_horizontal_scroll(page)

    page.goto(f"{base_url}/lang/ja?next=/bulletins?mode=drill")
    page.goto(f"{base_url}/bulletins?mode=drill")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator(".drill-banner").inner_text().startswith("【訓練】")
    assert page.locator(".proposal").count() == 0  # the live proposal is not shown among drills
    assert problems.problems == []
