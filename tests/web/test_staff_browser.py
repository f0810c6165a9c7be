"""Association staff on a phone (issue 15), in Debian's Chromium against a real server: Ishikawa (affected),
Toyama and Fukui (supporters), at 375x800 and 1366x900."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from coordinator.db import make_engine
from tests.web.conftest import PageProblems, screenshot, sign_in
from tests.web.staff_world import StaffWorld, staff_world

pytestmark = pytest.mark.browser
PHONE, DESK = (375, 800), (1366, 900)


@pytest.fixture
def staff_server(live_db_url: str, server_factory: Callable[..., Any]) -> tuple[str, StaffWorld, str]:
    """A real server (heartbeat every second, so a silent link is noticed quickly) on staff_world() data."""
    engine = make_engine(live_db_url)
    try:
        world = staff_world(engine)
    finally:
        engine.dispose()
    server = server_factory(live_db_url, env={"OUEN_LIVE_HEARTBEAT_SECONDS": "1"})
    return server.base_url, world, live_db_url


def fits(page: Any, width: int) -> None:
    """No horizontal scroll, header at most 80 px high, every visible button at least 44 px high."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    assert header <= (80 if width <= 600 else 120), header
    small = page.evaluate("""() => Array.from(document.querySelectorAll('main button, header button'))
        .filter(b => b.offsetParent !== null && b.getBoundingClientRect().height < 44)
        .map(b => b.textContent.trim())""")
    assert small == []


def count(db_url: str, sql: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", [PHONE, DESK], ids=["375", "1366"])
def test_toyama_sees_everything_needed_to_decide_and_accepts(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems,
        size: tuple[int, int]) -> None:
    base, world, _ = staff_server
    _, page = new_context(*size)
    sign_in(page, base, world.logins["pref_toyama"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    card = page.locator(f"#incoming article[data-dispatch-id='{world.dispatch_id}']")
    text_ = card.inner_text()
    for expected in ("石川県国際交流協会", "多言語支援センター", "ベトナム語", "3人", "輪島市",
                     "避難所でベトナム語の相談", "回答期限", "JST", "要請団体が負担", "北陸 花子", "076-262-5931",
                     "門前 一郎", "0768-22-2211"):
        assert expected in text_, expected
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text_)
    assert "pref_ishikawa" not in text_ and "17204" not in text_
    # Accepting asks for the cost only; declining opens its own reason field.
    assert card.locator("textarea").count() == 0
    assert page.title().startswith("(1) ")
    fits(page, size[0])
    screenshot(page, f"staff-request-toyama-{size[0]}")
    card.get_by_label("見込み費用（円）").fill("90000")
    card.get_by_role("button", name="受諾する").click()
    page.wait_for_selector(f"#incoming article[data-dispatch-id='{world.dispatch_id}'][data-state='accepted']")
    assert problems.problems == []


def test_ishikawa_declares_with_every_problem_at_once_place_by_name_and_history(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    _, page = new_context(*PHONE)
    sign_in(page, base, world.logins["pref_ishikawa"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    form = page.locator("#need-form")
    assert form.get_by_label("支援の種類").locator("option").first.inner_text() == "選択してください"
    problems.allowed_statuses.add(422)
    form.get_by_label("人数").fill("0")
    form.get_by_role("button", name="登録する").click()
    page.wait_for_selector("#need-form [data-field='kind'] .field-error:not(:empty)")
    errors = page.locator("#need-form .field-error:not(:empty)").all_inner_texts()
    assert len(errors) >= 4  # kind, language, headcount, start: all at once
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(kind|language|headcount|start)\b", body)
    screenshot(page, "staff-need-problems-375")
    fits(page, 375)

    form.get_by_label("支援の種類").select_option("translation")
    form.get_by_label("言語", exact=True).select_option("en")
    form.get_by_label("人数").fill("2")
    page.locator("#need-start").fill(page.evaluate("staff.todayJst()"))
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.locator("#need-start-words").inner_text())
    page.locator("#need-place-search").fill("わじま")
    page.locator("#need-place-options [role=option]", has_text="輪島市").first.click()
    assert "輪島市" in page.locator("#need-place-chosen").inner_text()
    form.get_by_label("担当者").fill("河井 二郎")
    form.get_by_label("電話番号").fill("0768-22-0000")
    form.get_by_role("button", name="登録する").click()
    page.wait_for_selector("#my-needs article[data-need-id]:nth-of-type(2)")
    assert count(db_url, "SELECT COUNT(*) FROM need WHERE place = '17204' AND kind = 'translation'") == 1

    card = page.locator(f"#my-needs article[data-need-id='{world.need_id}']")
    card.get_by_role("button", name="変更履歴").click()
    page.wait_for_selector(".history")
    assert "変更はありません" in card.inner_text()
    # Cancelling asks for a reason.
    card.get_by_role("button", name="取り下げ").first.click()
    confirm = card.locator(".confirm")
    confirm.get_by_role("button", name="取り下げる").click()
    assert "理由を入力してください" in confirm.inner_text()
    confirm.get_by_label("取り下げる理由").fill("市の職員で対応できたため")
    confirm.get_by_role("button", name="取り下げる").click()
    page.wait_for_selector(f"#my-needs article[data-need-id='{world.need_id}'][data-status='cancelled']")
    cancelled = f"SELECT COUNT(*) FROM need WHERE id = {world.need_id} AND cancel_reason LIKE '市の職員%'"
    assert count(db_url, cancelled) == 1
    screenshot(page, "staff-needs-ishikawa-375")
    assert problems.problems == []


def test_a_concurrent_edit_shows_the_other_persons_change(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, _ = staff_server
    _, page = new_context(*DESK)
    sign_in(page, base, world.logins["pref_ishikawa"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    page.locator(f"#my-needs article[data-need-id='{world.need_id}']").get_by_role("button", name="変更").first.click()
    # Meanwhile the secretariat changes the headcount on Ishikawa's behalf.
    _, other = new_context(*DESK)
    sign_in(other, base, world.logins["secretariat"], then="/dashboard")
    answer = other.evaluate(f"""fetch('/api/v1/needs/{world.need_id}', {{method: 'PATCH', credentials: 'same-origin',
        headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{version: 1, headcount: 5}})}})
        .then(r => r.status)""")
    assert answer == 200
    problems.allowed_statuses.add(409)
    page.locator("#need-notes").fill("夜間も対応")
    page.get_by_role("button", name=re.compile("ニーズ .* を変更")).click()
    box = page.locator("#need-conflict")
    box.wait_for(state="visible")
    assert "他の人が先に更新しました" in box.inner_text() and "人数：3 → 5" in box.inner_text()
    screenshot(page, "staff-conflict-1366")
    box.get_by_role("button", name="相手の変更を取り込んで編集し直す").click()
    assert page.locator("#need-headcount").input_value() == "5"
    assert page.locator("#need-notes").input_value() == "夜間も対応"
    assert problems.problems == []


def test_fukui_sees_the_open_need_of_its_block_and_offers_against_it(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    _, page = new_context(*PHONE)
    sign_in(page, base, world.logins["pref_fukui"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    card = page.locator(f"#open-needs article[data-need-id='{world.need_id}']")
    assert "石川県国際交流協会" in card.inner_text() and "ベトナム語" in card.inner_text()
    # Fukui is not asked: no contacts of Ishikawa on its page.
    assert "北陸 花子" not in page.locator("main").inner_text() and "0768" not in page.locator("main").inner_text()
    card.get_by_role("button", name="この要請に応援を申し出る").click()
    assert page.locator("#offer-form input[name=languages][value=vi]").is_checked()
    page.locator("#offer-form").get_by_role("button", name=re.compile("申し出る")).first.click()
    page.wait_for_selector("#my-offers article[data-offer-id]")
    assert count(db_url, f"SELECT COUNT(*) FROM offer WHERE need_id = {world.need_id} "
                         "AND association_id = 'pref_fukui'") == 1
    fits(page, 375)
    screenshot(page, "staff-open-needs-fukui-375")
    # Its dashboard says it is its own view.
    page.goto(f"{base}/disasters/{world.disaster_id}")
    page.wait_for_selector("body[data-ready='1']")
    assert "福井県国際交流協会から見える範囲" in page.locator("#scope-note").inner_text()
    assert problems.problems == []
