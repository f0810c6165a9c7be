"""Association staff on a phone (issue 15), in Debian's Chromium against a real server: Ishikawa (affected),
Toyama and Fukui (supporters), at 375x800 and 1366x900; every page a staff member reaches is checked for
scroll, header and button sizes and raw keys (screenshots in tests/artifacts/)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from coordinator.db import make_engine
from tests.conftest import ROOT
from tests.support import ServerProcess
from tests.web.conftest import PageProblems, screenshot, sign_in
from tests.web.staff_world import StaffWorld, another_request, staff_world

pytestmark = pytest.mark.browser
PHONE, DESK = (375, 800), (1366, 900)


staff_server_processes: list[ServerProcess] = []


@pytest.fixture
def staff_server(live_db_url: str, server_factory: Callable[..., Any]) -> tuple[str, StaffWorld, str]:
    """A real server (heartbeat every second, so a silent link is noticed quickly) on staff_world() data."""
    engine = make_engine(live_db_url)
    try:
        world = staff_world(engine)
    finally:
        engine.dispose()
    server = server_factory(live_db_url, env={"OUEN_LIVE_HEARTBEAT_SECONDS": "1"})
    staff_server_processes.append(server)
    return server.base_url, world, live_db_url


def doc_shot(target: Any, name: str) -> None:
    """The small pictures docs/web.md shows (an element, or the visible screen), written only when
    OUEN_DOC_SCREENSHOTS=1 so that ordinary runs leave the tree as it was."""
    if os.environ.get("OUEN_DOC_SCREENSHOTS") == "1":
        (ROOT / "docs" / "screenshots").mkdir(exist_ok=True)
        target.screenshot(path=str(ROOT / "docs" / "screenshots" / f"{name}.png"))


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
                     "門前 一郎", "0768-22-2211", "輪島中学校 避難所", "5日間"):
        assert expected in text_, expected
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text_)
    assert "pref_ishikawa" not in text_ and "17204" not in text_
    # Accepting asks for the cost only; declining opens its own reason field.
    assert card.locator("textarea").count() == 0
    assert page.title().startswith("(1) ")
    fits(page, size[0])
    screenshot(page, f"staff-request-toyama-{size[0]}")
    if size == PHONE:
        doc_shot(card, "staff-request-375")
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
    doc_shot(form, "staff-need-problems-375")
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
    # The amendment history says the same in words: who, when, what from what.
    page.locator(f"#my-needs article[data-need-id='{world.need_id}']").get_by_role("button", name="変更履歴").click()
    history = page.locator(f"#my-needs article[data-need-id='{world.need_id}'] .history")
    history.wait_for()
    assert "人数：3 → 5" in history.inner_text() and "JST" in history.inner_text()
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
    # Withdrawing the offer asks why (the API keeps the reason).
    offer = page.locator("#my-offers article[data-offer-id]").first
    offer.get_by_role("button", name="取り下げ", exact=True).click()
    confirm = offer.locator(".confirm")
    confirm.get_by_role("button", name="取り下げる").click()
    assert "理由を入力してください" in confirm.inner_text()
    confirm.get_by_label("取り下げる理由").fill("職員の派遣先が決まったため")
    confirm.get_by_role("button", name="取り下げる").click()
    page.wait_for_selector("#action-message:has-text('申し出を取り下げました')")
    assert count(db_url, "SELECT COUNT(*) FROM offer WHERE association_id = 'pref_fukui' AND status = 'withdrawn'") == 1
    # Its dashboard says it is its own view.
    page.goto(f"{base}/disasters/{world.disaster_id}")
    page.wait_for_selector("body[data-ready='1']")
    assert "福井県国際交流協会から見える範囲" in page.locator("#scope-note").inner_text()
    assert problems.problems == []


def _need_form(page: Any, kind: str = "translation") -> None:
    form = page.locator("#need-form")
    form.get_by_label("支援の種類").select_option(kind)
    form.get_by_label("言語", exact=True).select_option("en")
    form.get_by_label("人数").fill("2")
    page.locator("#need-start").fill(page.evaluate("staff.todayJst()"))


def test_a_need_typed_offline_is_kept_and_sent_once_when_the_connection_returns(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    server = next(s for s in staff_server_processes if s.base_url == base)
    context, page = new_context(*PHONE)
    sign_in(page, base, world.logins["pref_ishikawa"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker's control: this visit is kept for opening offline
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    before = count(db_url, "SELECT COUNT(*) FROM need")

    # No connection at all: the phone is offline and the server cannot be reached either.
    server.stop()
    context.set_offline(True)
    _need_form(page)
    page.locator("#need-form").get_by_role("button", name="登録する").click()
    page.wait_for_selector("#outbox-state:not([hidden])")
    assert "送信待ち 1 件" in page.locator("#outbox-state").inner_text()
    assert "送信待ち" in page.locator("#action-message").inner_text()
    screenshot(page, "staff-offline-waiting-375")
    page.evaluate("window.scrollTo(0, 0)")
    doc_shot(page, "staff-offline-375")
    # The page opens without a connection (service worker), still holding what waits to be sent.
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#outbox-state").inner_text().startswith("送信待ち 1 件")
    assert page.locator(f"#my-needs article[data-need-id='{world.need_id}']").count() == 1  # the last copy
    assert count(db_url, "SELECT COUNT(*) FROM need") == before

    server.restart()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("body[data-outbox='0']")
    page.evaluate("staff.flush(); window.dispatchEvent(new Event('online'))")  # a second nudge sends nothing more
    assert count(db_url, "SELECT COUNT(*) FROM need") == before + 1
    assert count(db_url, "SELECT COUNT(*) FROM idempotency_key") == 1


def test_an_answer_lost_on_the_way_back_is_not_repeated(
        staff_server: tuple[str, StaffWorld, str], browser: Any, problems: PageProblems) -> None:
    base, world, db_url = staff_server
    # Requests a service worker handles are out of page.route's reach: this context has none.
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="ja-JP",
                                  service_workers="block")
    context.set_default_timeout(15_000)
    page = problems.watch(context.new_page())
    sign_in(page, base, world.logins["pref_ishikawa"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    before = count(db_url, "SELECT COUNT(*) FROM need")
    lost = []

    def lose_the_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server gets the request and commits it ...
            lost.append(route.request.headers["idempotency-key"])
            route.abort("connectionreset")  # ... but the answer never reaches the phone
        else:
            route.continue_()

    page.route(f"**/api/v1/disasters/{world.disaster_id}/needs", lose_the_answer)
    _need_form(page)
    page.locator("#need-form").get_by_role("button", name="登録する").click()
    page.wait_for_selector("#action-message:has-text('送信待ち')")  # the try failed: it waits in the outbox
    assert lost and count(db_url, "SELECT COUNT(*) FROM need") == before + 1
    page.evaluate("staff.flush()")  # the repeat carries the same key: answered from the first request
    page.wait_for_selector("body[data-outbox='0']")
    assert count(db_url, "SELECT COUNT(*) FROM need") == before + 1
    context.close()
    assert [p for p in problems.problems if "ERR_CONNECTION_RESET" not in p and "connectionreset" not in p] == []


def test_a_silent_live_link_is_called_stale_not_only_a_dead_one(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, _ = staff_server
    _, page = new_context(*PHONE)
    silent = {"on": False}

    def relay(ws: Any) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if silent["on"] else ws.send(message))
        ws.on_message(lambda message: server.send(message))

    page.route_web_socket("**/api/v1/live", relay)
    sign_in(page, base, world.logins["pref_toyama"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("#live-status[data-state='live']")
    assert page.locator("#stale-warning").is_hidden()
    silent["on"] = True  # the socket stays open, but nothing comes through (a weak link, not a closed one)
    page.wait_for_selector("#stale-warning:not([hidden])")
    assert page.locator("#live-status").get_attribute("data-state") == "stale"
    screenshot(page, "staff-stale-375")
    silent["on"] = False
    page.wait_for_selector("#stale-warning[hidden]", state="attached")
    assert problems.problems == []


def test_toyama_home_says_what_to_do_and_keeps_its_contacts(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    context, page = new_context(*PHONE)
    context.grant_permissions(["notifications"])
    # Chromium's own Notification API, permission granted by Playwright; a subclass only records the titles
    # the page shows (the permission and the notification itself stay the browser's).
    page.add_init_script("""window.__notified = [];
      window.Notification = class extends window.Notification { constructor(title, options) {
          super(title, options); window.__notified.push(title);
          document.documentElement.dataset.notified = title; } };""")
    sign_in(page, base, world.logins["pref_toyama"], then="/association")
    page.wait_for_selector("body[data-ready='1']")
    assert page.title().startswith("(1) ")
    # What to do, at the top: the to-do list (contract 1) with the request to answer and its deadline.
    page.wait_for_selector("#todo-list li[data-kind='answer_requests']")
    todo = page.locator("#todo-list").inner_text()
    assert "未回答の応援要請 1件" in todo and "期限" in todo
    assert page.evaluate("Notification.permission") == "granted"
    page.get_by_role("button", name="音・通知をオンにする").click()
    assert page.locator("#notify-toggle").get_attribute("aria-pressed") == "true"
    assert "音と通知でお知らせします" in page.locator("#notify-state").inner_text()
    # Contacts: the list from peacetime, edited and reordered, every problem beside its field.
    rows = page.locator("#contacts-list > li")
    assert rows.first.locator("input[name=name]").input_value() == "立山 次郎"
    page.get_by_role("button", name="連絡先を追加").click()
    rows.nth(1).locator("input[name=name]").fill("呉羽 三郎")
    rows.nth(1).locator("input[name=phone]").fill("でんわ")
    problems.allowed_statuses.add(422)
    page.get_by_role("button", name="連絡先を保存").click()
    page.wait_for_selector("#contacts-list [data-field='contacts.1.phone'] .field-error:not(:empty)")
    rows.nth(1).locator("input[name=phone]").fill("０９０－１１１１－２２２２")
    rows.nth(1).get_by_role("button", name="上へ").click()
    page.get_by_role("button", name="連絡先を保存").click()
    page.wait_for_selector("#action-message:has-text('連絡先を保存しました')")
    assert count(db_url, "SELECT COUNT(*) FROM association_contact WHERE association_id = 'pref_toyama' "
                         "AND position = 0 AND name = '呉羽 三郎' AND phone = '090-1111-2222'") == 1
    fits(page, 375)
    screenshot(page, "staff-home-toyama-375")
    page.evaluate("window.scrollTo(0, 0)")
    doc_shot(page, "staff-home-375")
    # A new request while the association page is open: a sound and a notification.
    page.goto(f"{base}/disasters/{world.disaster_id}/association")
    page.wait_for_selector("#live-status[data-state='live']")
    page.wait_for_selector("#incoming article[data-state='requested']")  # the page has counted one request
    engine = make_engine(db_url)
    try:
        another_request(engine, world)
    finally:
        engine.dispose()
    page.wait_for_selector("html[data-notified]", state="attached", timeout=20_000)
    assert page.evaluate("window.__notified")[0] == "新しい応援要請が届きました"
    assert page.title().startswith("(2) ")
    assert problems.problems == []


@pytest.mark.parametrize("who", ["pref_ishikawa", "pref_toyama", "pref_fukui"])
def test_every_staff_page_in_english_has_no_raw_key_and_fits(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems,
        who: str) -> None:
    base, world, _ = staff_server
    _, page = new_context(*PHONE)
    sign_in(page, base, world.logins[who], then="/association")
    page.goto(f"{base}/lang/en?next=/association")
    for path in ("/association", f"/disasters/{world.disaster_id}/association"):
        page.goto(base + path)
        page.wait_for_selector("body[data-ready='1']")
        body = page.locator("body").inner_text()
        assert "⟦" not in body and not re.search(r"\bstaff\.[a-z_]+\b", body), path
        fits(page, 375)
        screenshot(page, f"staff-en-{who}-{path.strip('/').replace('/', '-')}")
    assert problems.problems == []


def test_toyama_accepts_two_of_three_reports_departure_late_and_takes_it_back(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    _, page = new_context(*PHONE)
    sign_in(page, base, world.logins["pref_toyama"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    card = page.locator(f"#incoming article[data-dispatch-id='{world.dispatch_id}']")
    card.get_by_label("受諾する人数").fill("2")
    card.get_by_label("見込み費用（円）").fill("60000")
    card.get_by_role("button", name="受諾する").click()
    page.wait_for_selector(f"#incoming article[data-dispatch-id='{world.dispatch_id}'][data-state='accepted']")
    assert "残りの1人は次の計画に回ります" in page.locator("#action-message").inner_text()
    assert count(db_url, f"SELECT headcount FROM dispatch WHERE id = {world.dispatch_id}") == 2
    # Departure reported late, with the actual time (Japan time), after a confirmation.
    card.get_by_role("button", name="出発した（移動中）").click()
    confirm = card.locator(".confirm")
    actual = page.evaluate("""() => new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 16)""")  # JST, minutes
    confirm.get_by_label("実際の時刻（任意・日本時間）").fill(actual)
    confirm.get_by_role("button", name="出発した（移動中）").click()
    page.wait_for_selector(f"#incoming article[data-dispatch-id='{world.dispatch_id}'][data-state='en_route']")
    stamp = count(db_url, f"SELECT COUNT(*) FROM dispatch WHERE id = {world.dispatch_id} AND en_route_at IS NOT NULL")
    assert stamp == 1
    # The report can be taken back for a few minutes.
    undo = card.get_by_role("button", name=re.compile("「移動中」の報告を取り消す"))
    screenshot(page, "staff-progress-undo-375")
    fits(page, 375)
    undo.click()
    card.locator(".confirm").get_by_role("button", name="取り消す").click()
    page.wait_for_selector(f"#incoming article[data-dispatch-id='{world.dispatch_id}'][data-state='accepted']")
    assert count(db_url, f"SELECT COUNT(*) FROM event WHERE type = 'dispatch.undone' "
                         f"AND entity_id = '{world.dispatch_id}'") == 1
    page.goto(f"{base}/disasters/{world.disaster_id}/timeline")
    page.wait_for_selector("#timeline-table tr[data-state='dispatch.undone']")
    assert "報告を取り消し" in page.locator("#timeline-table").inner_text()
    assert problems.problems == []


def test_an_answer_typed_offline_is_sent_once_and_static_assets_are_cached(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, world, db_url = staff_server
    server = next(s for s in staff_server_processes if s.base_url == base)
    context, page = new_context(*PHONE)
    sign_in(page, base, world.logins["pref_toyama"], then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    # Every script and style sheet this page loaded is in the service worker's cache.
    missing = page.evaluate("""async () => {
        const used = performance.getEntriesByType('resource').map(e => new URL(e.name))
            .filter(u => u.origin === location.origin && (u.pathname.startsWith('/static/')
                                                          || u.pathname === '/web/live-client.js'));
        const cache = await caches.open('ouen-static-v1');
        const out = [];
        for (const u of used) { if (!(await cache.match(u.href))) out.push(u.pathname); }
        return used.length ? out : ['nothing loaded'];
    }""")
    assert missing == []

    server.stop()
    context.set_offline(True)
    card = page.locator(f"#incoming article[data-dispatch-id='{world.dispatch_id}']")
    card.get_by_label("見込み費用（円）").fill("90000")
    card.get_by_role("button", name="受諾する").click()
    page.wait_for_selector("#outbox-state:not([hidden])")
    assert "送信待ち 1 件" in page.locator("#outbox-state").inner_text()
    assert count(db_url, f"SELECT COUNT(*) FROM dispatch WHERE id = {world.dispatch_id} AND state = 'requested'") == 1

    server.restart()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("body[data-outbox='0']")
    page.evaluate("staff.flush(); window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(f"#incoming article[data-dispatch-id='{world.dispatch_id}'][data-state='accepted']")
    assert count(db_url, f"SELECT COUNT(*) FROM event WHERE type = 'dispatch.accepted' "
                         f"AND entity_id = '{world.dispatch_id}'") == 1
    assert count(db_url, "SELECT COUNT(*) FROM idempotency_key") == 1
    screenshot(page, "staff-offline-answer-sent-375")


def staff_pages(disaster_id: int) -> list[str]:
    """What the navigation offers a staff member, with the disaster's own pages."""
    return ["/association", "/home", "/dashboard", "/drills", "/notifications",
            f"/disasters/{disaster_id}", f"/disasters/{disaster_id}/association",
            f"/disasters/{disaster_id}/timeline", f"/disasters/{disaster_id}/sitrep"]


@pytest.mark.parametrize("size", [PHONE, DESK], ids=["375", "1366"])
@pytest.mark.parametrize("who", ["pref_ishikawa", "pref_toyama", "pref_fukui"])
def test_every_staff_page_fits_for_every_role(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any],
        problems: PageProblems, who: str, size: tuple[int, int]) -> None:
    base, world, _ = staff_server
    _, page = new_context(*size)
    sign_in(page, base, world.logins[who], then="/association")
    nav = set(page.locator("header nav a[href^='/']").evaluate_all("links => links.map(a => a.pathname)"))
    pages = staff_pages(world.disaster_id)
    assert nav <= set(pages) | {"/"}, nav - set(pages)  # a page the navigation offers is checked here
    for path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_selector("body[data-ready='1']")
        body = page.locator("body").inner_text()
        assert "⟦" not in body and not re.search(r"\b[a-z]+\.[a-z_]+_[a-z_]+\b", body), path
        fits(page, size[0])
        screenshot(page, f"staff-{who.split('_')[1]}-{size[0]}-{path.strip('/').replace('/', '-')}")
    assert problems.problems == []


def test_another_blocks_supporter_sees_the_need_once_cross_block_support_is_open(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any], problems: PageProblems) -> None:
    from sqlmodel import Session

    from coordinator.auth.models import ROLE_STAFF
    from coordinator.auth.service import create_user
    from tests.web.conftest import PASSWORD

    base, world, db_url = staff_server
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            for login, association_id in (("s-saga", "pref_saga"), ("s-osaka", "pref_osaka")):
                create_user(session, login=login, display_name=f"職員 {login}", role=ROLE_STAFF,
                            association_id=association_id, password=PASSWORD)
            session.commit()
    finally:
        engine.dispose()
    _, page = new_context(*PHONE)
    sign_in(page, base, "s-saga", then=f"/disasters/{world.disaster_id}/association")
    page.wait_for_selector("body[data-ready='1']")
    # Saga (Kyushu block) may not help Ishikawa (Tokai-Hokuriku) before cross-block support is open.
    assert page.locator("#open-needs article[data-need-id]").count() == 0
    assert "いま応援を申し出られる要請はありません" in page.locator("#open-needs").inner_text()
    # Osaka coordinates the Kinki block and reads every need, yet is offered none of another block's yet.
    _, osaka = new_context(*PHONE)
    sign_in(osaka, base, "s-osaka", then=f"/disasters/{world.disaster_id}/association")
    osaka.wait_for_selector("body[data-ready='1']")
    assert osaka.locator("#open-needs article[data-need-id]").count() == 0
    _, secretariat = new_context(*DESK)
    sign_in(secretariat, base, world.logins["secretariat"], then="/dashboard")
    opened = secretariat.evaluate(f"""fetch('/api/v1/disasters/{world.disaster_id}/cross-block',
        {{method: 'POST', credentials: 'same-origin'}}).then(r => r.status)""")
    assert opened == 200
    page.reload()
    page.wait_for_selector(f"#open-needs article[data-need-id='{world.need_id}']")
    assert "石川県国際交流協会" in page.locator(f"#open-needs article[data-need-id='{world.need_id}']").inner_text()
    fits(page, 375)
    screenshot(page, "staff-open-needs-saga-cross-block-375")
    assert problems.problems == []
