"""The pages in a real browser (Playwright + Debian's Chromium) against a real uvicorn server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.web.conftest import REQUESTER, Accounts, PageProblems, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_need_declared_on_the_association_page_appears_on_the_dashboard_without_reload(
    web_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems
) -> None:
    base, accounts = web_server
    disaster_id = accounts.live.id
    _, coordinator = new_context()
    sign_in(coordinator, base, accounts.logins["secretariat"], then="/dashboard")
    assert coordinator.url.endswith(f"/disasters/{disaster_id}")
    coordinator.wait_for_selector("body[data-ready='1']")
    coordinator.wait_for_selector("#live-status[data-state='live']")
    coordinator.evaluate("window.__sameDocument = true")
    assert coordinator.locator("#map-points circle").count() == 63
    assert coordinator.locator("#map-points circle.state-affected").count() >= 1
    assert coordinator.locator("html").get_attribute("lang") == "ja"
    screenshot(coordinator, "dashboard-ja")

    _, staff = new_context(width=375, height=812)
    sign_in(staff, base, accounts.logins[REQUESTER], then=f"/disasters/{disaster_id}/association")
    staff.wait_for_selector("body[data-ready='1']")
    form = staff.locator("#need-form")
    # The API validates; its Japanese message is shown next to the field it names.
    problems.allowed_statuses.add(422)
    form.get_by_label("支援の種類").select_option("centre_staff")
    form.get_by_label("言語", exact=True).select_option("vi")
    form.get_by_label("人数").fill("0")
    form.get_by_label("開始日").fill(date.today().isoformat())
    form.get_by_role("button", name="登録する").click()
    error = staff.locator('#need-form [data-field="headcount"] .field-error')
    error.wait_for(state="visible")
    assert error.inner_text() == "1 から 200 の範囲で指定してください"  # beside its field: no field name needed
    assert form.get_by_label("人数").get_attribute("aria-invalid") == "true"
    screenshot(staff, "association-validation-ja-375px")

    form.get_by_label("人数").fill("3")
    form.get_by_role("button", name="登録する").click()
    staff.wait_for_selector("#my-needs article[data-need-id]")
    need_id = staff.locator("#my-needs article[data-need-id]").first.get_attribute("data-need-id")
    assert error.inner_text() == ""
    # Usable at phone width: nothing wider than the screen but the scrollable tables.
    assert staff.evaluate("document.documentElement.scrollWidth") <= 375

    row = coordinator.locator(f'#needs-table tr[data-need-id="{need_id}"]')
    row.wait_for()
    assert "ベトナム語" in row.inner_text() and "3" in row.inner_text()
    assert coordinator.evaluate("window.__sameDocument") is True  # no reload happened
    coordinator.wait_for_selector(f'#map-points circle[data-id="{REQUESTER}"].state-requesting')
    screenshot(coordinator, "dashboard-after-need-ja")
    assert problems.problems == []


def test_supporter_accepts_a_request_in_a_drill_and_every_page_is_marked(
    web_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems
) -> None:
    base, accounts = web_server
    drill = accounts.drill.disaster
    login, password = accounts.demo_login("pref_fukui")
    _, page = new_context()
    sign_in(page, base, login, password, then=f"/disasters/{drill.id}/association")
    page.wait_for_selector("body[data-ready='1']")
    banner = page.locator("#drill-banner")
    assert banner.is_visible() and "【訓練】" in banner.inner_text()
    assert page.locator(".drill-watermark").count() == 1
    card = page.locator("#incoming article.card[data-state='requested']")
    card.get_by_label("見込み費用（円）").fill("120000")
    card.get_by_role("button", name="受諾する").click()
    page.wait_for_selector("#incoming article.card[data-state='accepted']")
    screenshot(page, "association-drill-accepted-ja")
    # Progress is reported from the same card.
    accepted = page.locator("#incoming article.card[data-state='accepted']")
    accepted.get_by_role("button", name="出発した（移動中）").click()
    accepted.locator(".confirm .confirm-yes").click()  # progress is confirmed before it is sent
    page.wait_for_selector("#incoming article.card[data-state='en_route']")

    for path, name in (
        (f"/disasters/{drill.id}", "dashboard-drill"),
        (f"/disasters/{drill.id}/timeline", "timeline"),
        (f"/disasters/{drill.id}/sitrep", "sitrep"),
        ("/drills", "drills"),
        ("/association", "association-home"),
    ):
        page.goto(base + path)
        page.wait_for_selector("body[data-ready='1']")
        if path.startswith("/disasters/"):
            assert page.locator("#drill-banner").is_visible(), path
            assert page.locator(".drill-watermark").count() == 1, path
        screenshot(page, f"{name}-ja")
    page.goto(f"{base}/disasters/{drill.id}/timeline")
    page.wait_for_selector("#timeline-table tr[data-state='dispatch.accepted']")
    assert "派遣を受諾" in page.locator("#timeline-table").inner_text()

    # English: the same pages with no untranslated string left after the scripts ran.
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang='en']")
    for path in (
        f"/disasters/{drill.id}/association",
        f"/disasters/{drill.id}",
        f"/disasters/{drill.id}/sitrep",
    ):
        page.goto(base + path)
        page.wait_for_selector("body[data-ready='1']")
        text = page.locator("body").inner_text()
        assert "⟦" not in text and not re.search(r"\b(state|panel|col|need|action)\.[a-z_]+\b", text), path
        assert "【訓練】" in page.locator("#drill-banner").inner_text()
    screenshot(page, "sitrep-en")
    assert problems.problems == []
