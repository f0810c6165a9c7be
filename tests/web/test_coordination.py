"""The secretariat's and coordinators' pages in Chromium against one real uvicorn server for the module.

Each test makes the disasters it needs; the server, its database and the browser are shared (fast).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import PASSWORD, REQUESTER, Accounts, PageProblems, screenshot, settle, sign_in

pytestmark = pytest.mark.browser
WIDTHS = (1366, 375)


def api(base: str, login: str) -> httpx.Client:
    """An API client signed in with a password account (cookie session)."""
    client = httpx.Client(base_url=base, timeout=30)
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def no_overflow(page: Any) -> None:
    """Nothing wider than the screen (the phone test of every page)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def shots(page: Any, name: str) -> None:
    """A screenshot at each width (1366 and 375 px), with the overflow check at each."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        settle(page)
        no_overflow(page)
        screenshot(page, f"{name}-{width}")


def test_declare_a_drill_by_municipality_search_with_preview(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, accounts = coord_server
    _, page = new_context()
    sign_in(page, base, accounts.logins["secretariat"], then="/disasters/new")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#declare-submit").is_disabled()  # nothing to declare before the area is given
    page.get_by_label("市区町村", exact=True).check()
    page.get_by_label("市区町村を名前か読みで検索").fill("わじま")
    page.locator('.place-option[data-code="17204"]').click()
    page.locator('#picked-municipalities li[data-code="17204"]').wait_for()
    page.locator("#preview-coordinators").wait_for()
    preview = page.locator("#declare-preview").inner_text()
    assert "石川県国際交流協会" in preview and "東海・北陸" in preview and "一般財団法人自治体国際化協会" in preview
    assert "pref_" not in preview  # names, never ids
    assert "実災害か訓練かを選んでください" in page.locator("#preview-mode").inner_text()
    page.get_by_label("名称").fill("輪島市の地震（訓練）")
    page.get_by_label("災害の種類").select_option("earthquake")
    # Live or drill must be chosen explicitly: the form says so next to the choice.
    page.locator("#declare-submit").click()
    assert "実災害か訓練か" in page.locator('[data-field="mode"] .field-error').inner_text()
    page.locator('input[name="mode"][value="drill"]').check()
    assert "【訓練】" in page.locator("#declare-submit").inner_text()
    assert "【訓練】" in page.locator("#preview-mode").inner_text()
    shots(page, "declare-drill")
    page.set_viewport_size({"width": 1366, "height": 900})
    # Someone watching another drill's dashboard hears of the new one without reloading.
    _, watcher = new_context()
    sign_in(watcher, base, accounts.logins["coordinator"], then=f"/disasters/{accounts.drill.disaster.id}")
    watcher.wait_for_selector("body[data-watch='live']")
    page.locator("#declare-submit").click()
    page.wait_for_url(re.compile(r"/disasters/\d+$"))
    page.wait_for_selector("#drill-banner")
    disaster_id = int(page.url.rsplit("/", 1)[1])
    stored = api(base, accounts.logins["secretariat"]).get(f"/api/v1/disasters/{disaster_id}").json()
    assert stored["mode"] == "drill" and stored["area_input"] == {"municipalities": ["17204"]}
    assert stored["name"] == "輪島市の地震（訓練）" and stored["affected_associations"] == ["pref_ishikawa"]
    expect(watcher.locator("#new-disaster")).to_contain_text("輪島市の地震（訓練）")
    assert watcher.locator(f'#disaster-picker option[value="{disaster_id}"]').count() == 1
    assert problems.problems == []


def test_prefilled_form_by_map_and_epicentre(coord_server: tuple[str, Accounts], new_context: Callable[..., Any],
                                            problems: PageProblems) -> None:
    base, accounts = coord_server
    _, page = new_context()
    sign_in(page, base, accounts.logins["secretariat"], then="/drills")
    page.goto(f"{base}/disasters/new?name=%E8%B1%AA%E9%9B%A8&kind=flood&mode=live&prefectures=17,18")
    page.locator("#preview-coordinators").wait_for()
    assert page.get_by_label("名称").input_value() == "豪雨"
    assert page.get_by_label("災害の種類").input_value() == "flood"
    assert page.locator('input[name="mode"][value="live"]').is_checked()
    assert "実災害として宣言" in page.locator("#declare-submit").inner_text()
    assert "石川県" in page.locator("#picked-prefectures").inner_text()
    # A click on the map removes Fukui; the preview follows.
    page.locator('#picker-prefectures path[data-code="18"]').click(force=True)
    expect(page.locator("#picked-prefectures")).not_to_contain_text("福井県")
    expect(page.locator("#preview-counts")).to_contain_text("被災都道府県 1・")
    shots(page, "declare-live-map")
    # Epicentre and radius: a municipality search fills the coordinates.
    page.goto(f"{base}/disasters/new?mode=drill&epicentre=130.76,32.75&radius_km=30&kind=earthquake&name=x")
    page.locator("#preview-coordinators").wait_for()
    assert page.locator('input[name="method"][value="epicentre"]').is_checked()
    assert "熊本県" in page.locator("#declare-preview").inner_text()
    page.get_by_label("震央に近い市区町村（検索すると緯度経度が入ります）").fill("輪島")
    page.locator('#epicentre-results .place-option[data-code="17204"]').click()
    expect(page.locator("#declare-preview")).to_contain_text("石川県国際交流協会")
    assert float(page.get_by_label("緯度（北緯）").input_value()) == pytest.approx(37.39, abs=0.01)
    assert problems.problems == []


def report_progress(page: Any, before: str, button: str, after: str) -> None:
    """Press a progress button on the supporter's request card and confirm it. The association page redraws
    its cards on every live event, which closes an open confirmation: then press again (at most 3 times)."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):
        card = page.locator(f"#incoming article.card[data-state='{before}']")
        card.get_by_role("button", name=button).click()
        try:
            card.locator(".confirm .confirm-yes").click(timeout=5000)
        except PlaywrightError:
            continue
        page.wait_for_selector(f"#incoming article.card[data-state='{after}']")
        return
    raise AssertionError(f"could not report {after}")


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF (NFKC: Chromium's CJK glyphs come out as compatibility forms)."""
    import io
    import unicodedata

    from pypdf import PdfReader

    return [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_situation_report_is_written_kept_and_prints_on_a4(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    base, accounts = coord_server
    _, page = new_context()
    sign_in(page, base, accounts.logins["secretariat"], then=f"/disasters/{accounts.live.id}/sitrep")
    assert page.locator("#summary-none").is_visible()
    page.get_by_role("textbox", name="概要（事務局記入）").fill("輪島市で避難所を開設。\nベトナム語の通訳を要請中。")
    page.locator("#sitrep-issue").click()
    page.wait_for_url(re.compile(r"report=1$"))
    assert "発行：一般財団法人自治体国際化協会（クレア）" in page.locator("#sitrep-issuer").inner_text()
    assert page.locator("#summary-text").inner_text() == "輪島市で避難所を開設。\nベトナム語の通訳を要請中。"
    page.get_by_role("textbox", name="概要（事務局記入）").fill("訂正：輪島市で避難所 12 か所を開設。")
    page.locator("#sitrep-amend").click()
    page.wait_for_function("() => document.querySelector('#sitrep-issuer').textContent.includes('第2版')")
    shots(page, "sitrep")
    pages = pdf_pages(page.pdf(format="A4", print_background=True))
    assert len(pages) >= 2
    first = pages[0]
    for text in ("状況報告 第1報", "一般財団法人自治体国際化協会", "JST", "訂正:輪島市で避難所 12 か所を開設。",
                 "地図", "概況"):
        assert text in first, (text, first[:400])
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in text  # page numbers in the margin of every page
        assert "第1報" in text  # the issuer and report in the footer of every page
    stored = api(base, accounts.logins["secretariat"]).get(f"/api/v1/disasters/{accounts.live.id}/sitreps").json()
    assert [(r["number"], r["version"]) for r in stored] == [(1, 2)]
    # A drill's report carries the drill mark on every page.
    page.goto(f"{base}/disasters/{accounts.drill.disaster.id}/sitrep")
    for text in pdf_pages(page.pdf(format="A4")):
        assert "【訓練】" in text
    assert problems.problems == []


def test_a_whole_drill_in_the_browser_from_declaration_to_completion(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    """The secretariat declares, the coordinator plans and approves, two associations ask and help, and each
    sees the others' steps without reloading. Association pages are webstaff's; every step here uses them."""
    base, accounts = coord_server
    today = date.today()
    _, secretariat = new_context()
    _, coordinator = new_context()
    _, requester = new_context(width=375, height=812)
    _, supplier = new_context(width=375, height=812)

    # The coordinator keeps the national overview open; the secretariat declares the drill.
    sign_in(coordinator, base, accounts.logins["coordinator"], then="/home")
    coordinator.wait_for_selector("body[data-watch='live']")
    shots(coordinator, "home")
    coordinator.set_viewport_size({"width": 1366, "height": 900})
    sign_in(secretariat, base, accounts.logins["secretariat"], then="/home")
    secretariat.locator("#declare-link").click()
    secretariat.wait_for_selector("body[data-ready='1']")
    secretariat.locator('#picker-prefectures path[data-code="17"]').click(force=True)
    secretariat.locator('input[name="mode"][value="drill"]').check()
    secretariat.get_by_label("名称").fill("能登半島地震 全体訓練")
    secretariat.get_by_label("災害の種類").select_option("earthquake")
    secretariat.locator("#preview-coordinators").wait_for()
    preview = secretariat.locator("#declare-preview").inner_text()
    assert "【訓練】として開始します" in preview and "石川県国際交流協会" in preview
    secretariat.locator("#declare-submit").click()
    secretariat.wait_for_url(re.compile(r"/disasters/\d+$"))
    drill_id = int(secretariat.url.rsplit("/", 1)[1])
    secretariat.wait_for_selector("body[data-ready='1']")
    assert secretariat.locator("#drill-banner").is_visible()
    assert "石川県国際交流協会" in secretariat.locator("#affected-list").inner_text()

    # The coordinator opens the drill's dashboard (drills are listed apart from the live overview).
    coordinator.goto(f"{base}/disasters/{drill_id}")
    coordinator.wait_for_selector("body[data-ready='1']")
    coordinator.wait_for_selector("#live-status[data-state='live']")
    coordinator.evaluate("window.__sameDocument = true")
    roles = coordinator.locator("#coordinator-list li[data-block='tokai_hokuriku']").inner_text()
    assert "東海・北陸" in roles

    # The requester asks on its phone; the supporter offers on its own.
    sign_in(requester, base, accounts.logins[REQUESTER], then=f"/disasters/{drill_id}/association")
    requester.wait_for_selector("body[data-ready='1']")
    form = requester.locator("#need-form")
    form.locator("#need-kind").select_option("centre_staff")
    form.locator("#need-language").select_option("vi")
    form.locator("#need-headcount").fill("2")
    form.locator("#need-start").fill(today.isoformat())
    form.locator("#need-days").fill("5")
    form.locator("#need-notes").fill("輪島市の避難所で通訳")
    form.locator("#need-submit").click()
    requester.wait_for_selector("#my-needs [data-need-id]")
    no_overflow(requester)
    sign_in(supplier, base, accounts.logins["pref_toyama"], then=f"/disasters/{drill_id}/association")
    supplier.wait_for_selector("body[data-ready='1']")
    offer = supplier.locator("#offer-form")
    offer.locator('input[name="languages"][value="vi"]').check()
    offer.locator('input[name="kinds"][value="centre_staff"]').check()
    offer.locator("#offer-headcount").fill("3")
    offer.locator("#offer-from").fill(today.isoformat())
    offer.locator("#offer-until").fill((today + timedelta(days=20)).isoformat())
    offer.get_by_role("button", name="申し出る", exact=True).click()
    supplier.wait_for_selector("#my-offers .card")

    # The coordinator sees the need arrive without reloading, with its place, period and notes.
    row = coordinator.locator("#needs-table tbody tr[data-need-id]").first
    row.wait_for()
    assert "輪島市の避難所で通訳" in row.inner_text() and "ベトナム語" in row.inner_text()
    assert coordinator.evaluate("window.__sameDocument") is True

    # Plan: the preview first, then commit every proposal.
    coordinator.locator("#plan-button").click()
    coordinator.wait_for_selector("body[data-plan-version='1']")
    plan_row = coordinator.locator("#plan-table tbody tr[data-key]").first
    assert "とやま国際センター → 石川県国際交流協会" in plan_row.inner_text()
    shots(coordinator, "plan")
    coordinator.set_viewport_size({"width": 1366, "height": 900})
    coordinator.once("dialog", lambda dialog: dialog.accept())
    coordinator.locator("#commit-all").click()
    coordinator.wait_for_selector("body[data-committed='1']")

    # Back on the dashboard: the to-do says what waits, with the count in the tab title; approve and request.
    coordinator.goto(f"{base}/disasters/{drill_id}")
    coordinator.wait_for_selector("body[data-ready='1']")
    coordinator.wait_for_selector("#todo:not([hidden]) .todo-item")
    coordinator.evaluate("window.__sameDocument = true")
    assert re.match(r"^\(\d+\) ", coordinator.title()), coordinator.title()
    dispatch = coordinator.locator("#dispatch-table tbody tr[data-dispatch-id]").first
    assert "愛知県国際交流協会" in dispatch.inner_text() or "幹事" in dispatch.inner_text()  # who approves
    dispatch.locator("input.bulk-select").check()
    coordinator.locator("#bulk-approve-request").click()
    coordinator.wait_for_selector("#dispatch-table tbody tr[data-state='requested']")

    # The supporter answers on its phone and reports progress; everyone else follows live.
    card = supplier.locator("#incoming article.card[data-state='requested']")
    card.wait_for()
    card.get_by_label("見込み費用（円）").fill("60000")
    card.get_by_role("button", name="受諾する").click()
    steps = (("accepted", "出発した（移動中）", "en_route"), ("en_route", "現地に到着した", "on_site"),
             ("on_site", "派遣を完了した", "completed"))
    for before, button, after in steps:
        report_progress(supplier, before, button, after)
    no_overflow(supplier)
    secretariat.wait_for_selector("#dispatch-table tbody tr[data-state='completed']")
    coordinator.wait_for_selector("#dispatch-table tbody tr[data-state='completed']")
    requester.goto(f"{base}/disasters/{drill_id}/association")
    requester.wait_for_selector("body[data-ready='1']")
    shots(secretariat, "dashboard-drill")

    # The timeline says who did what, as what, and why.
    secretariat.goto(f"{base}/disasters/{drill_id}/timeline")
    secretariat.wait_for_selector("#timeline-table tr[data-state='dispatch.completed']")
    accepted = secretariat.locator("#timeline-table tr[data-state='dispatch.accepted']").inner_text()
    assert "派遣を受諾" in accepted and "とやま国際センター" in accepted
    committed = secretariat.locator("#timeline-table tr[data-state='plan.committed']").inner_text()
    assert "支援計画を確定" in committed and "plan.committed" not in committed
    secretariat.locator("#timeline-type").select_option("dispatch.accepted")
    assert secretariat.locator("#timeline-table tbody tr:not([hidden])").count() == 1
    shots(secretariat, "timeline")

    # Exports open in Excel: names and Japanese labels, JST, no Python values.
    client = api(base, accounts.logins["secretariat"])
    text = client.get(f"/api/v1/disasters/{drill_id}/export/dispatches.csv").content.decode("utf-8-sig")
    assert "とやま国際センター" in text and "完了" in text and "{'" not in text and "True" not in text

    # Close the drill from the dashboard; the coordinator sees it without reloading.
    secretariat.goto(f"{base}/disasters/{drill_id}")
    secretariat.wait_for_selector("body[data-ready='1']")
    secretariat.once("dialog", lambda dialog: dialog.accept())
    secretariat.locator("#close-button").click()
    expect(secretariat.locator("#disaster-status")).to_have_text("終了")
    expect(coordinator.locator("#disaster-status")).to_have_text("終了")
    assert coordinator.evaluate("window.__sameDocument") is True
    assert problems.problems == []


def test_pages_read_their_data_once_and_then_per_event(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    """The association page reads the picture once, the dashboard not at all (it is in the page): both
    follow the live channel from the seq their data was read at, so opening the socket reads nothing again."""
    base, accounts = coord_server
    pages = ((accounts.logins[REQUESTER], f"/disasters/{accounts.live.id}/association", 1, "#my-needs"),
             (accounts.logins["secretariat"], f"/disasters/{accounts.live.id}", 0, "#needs-table"))
    for login, path, expected, needs in pages:
        _, page = new_context()
        reads: list[str] = []
        page.on("request", lambda request, reads=reads: reads.append(request.url)
                if "/web/picture/" in request.url else None)
        sign_in(page, base, login, then=path)
        page.wait_for_selector("#live-status[data-state='live']")
        page.wait_for_timeout(500)
        assert len(reads) == expected, (path, reads)
        # An event after that is read once (the need of another user appears without reload).
        client = api(base, accounts.logins[REQUESTER])
        made = client.post(f"/api/v1/disasters/{accounts.live.id}/needs", json={
            "requester_id": REQUESTER, "kind": "translation", "language": "en", "headcount": 1,
            "start": date.today().isoformat(), "days": 3}).json()
        page.wait_for_selector(f"{needs} [data-need-id='{made['id']}']")
        assert 1 <= len(reads) - expected <= 2, reads
    assert problems.problems == []


def _drill_with_needs_and_offers(base: str, accounts: Accounts, name: str) -> tuple[int, dict[str, dict]]:
    """A drill over Ishikawa with two needs (Vietnamese 2, English 1) and two offers: the coordinator's own
    association (Aichi) offers Vietnamese, Toyama English. Returns the drill's id and the needs by language."""
    today = date.today()
    secretariat = api(base, accounts.logins["secretariat"])
    drill = secretariat.post("/api/v1/disasters", json={"name": name, "kind": "earthquake", "mode": "drill",
                                                        "area": {"prefectures": ["17"]}})
    assert drill.status_code == 201, drill.text
    drill_id = drill.json()["id"]
    requester = api(base, accounts.logins[REQUESTER])
    needs = {}
    for language, headcount, notes in (("vi", 2, "輪島市の避難所で通訳"), ("en", 1, "七尾市の相談窓口")):
        made = requester.post(f"/api/v1/disasters/{drill_id}/needs", json={
            "requester_id": REQUESTER, "kind": "centre_staff", "language": language, "headcount": headcount,
            "start": today.isoformat(), "days": 4, "notes": notes})
        assert made.status_code == 201, made.text
        needs[language] = made.json()
    for login, language in ((accounts.logins["coordinator"], "vi"), (accounts.logins["pref_toyama"], "en")):
        offered = api(base, login).post(f"/api/v1/disasters/{drill_id}/offers", json={
            "languages": [language], "kinds": ["centre_staff"], "headcount": 2, "available_from": today.isoformat(),
            "available_until": (today + timedelta(days=20)).isoformat()})
        assert offered.status_code == 201, offered.text
    return drill_id, needs


def test_plan_page_filters_commits_the_selected_and_says_who_approves(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    """Filtered to Vietnamese, "commit the selected" commits only that proposal; the coordinator may not
    approve its own association's dispatch, so the page names who does (never a 403 later)."""
    base, accounts = coord_server
    drill_id, needs = _drill_with_needs_and_offers(base, accounts, "計画の絞り込み訓練")
    _, page = new_context(width=1366)
    sign_in(page, base, accounts.logins["coordinator"], then=f"/disasters/{drill_id}/plan")
    page.wait_for_selector("body[data-plan-version='1']")
    rows = page.locator("#plan-table tbody tr[data-key]")
    assert rows.count() == 2
    assert page.locator("#plan-table tbody tr[data-state='new']").count() == 2
    page.locator("#plan-filter select[name='language']").select_option("vi")
    expect(page.locator("#plan-table tbody tr[data-key]:not([hidden])")).to_have_count(1)
    visible = page.locator("#plan-table tbody tr[data-key]:not([hidden])").inner_text()
    assert "愛知県国際交流協会 → 石川県国際交流協会" in visible and "ベトナム語" in visible
    assert "1 件を選択中" in page.locator("#selected-count").inner_text()
    page.locator("#plan-filter input[name='q']").fill("とやま")  # search: nothing Vietnamese from Toyama
    expect(page.locator("#plan-table tbody tr[data-key]:not([hidden])")).to_have_count(0)
    page.locator("#plan-filter input[name='q']").fill("")
    page.locator("#commit-selected").click()
    page.wait_for_selector("body[data-committed='1']")
    committed = page.locator("#committed-list li").inner_text()
    assert "愛知県国際交流協会" in committed
    approver = page.locator("#committed-list li .awaiting").inner_text()
    assert "静岡県国際交流協会" in approver or "事務局" in approver, approver
    assert page.locator("#approve-request-committed").is_disabled()  # nothing here the coordinator may approve
    stored = api(base, accounts.logins["secretariat"]).get(f"/api/v1/disasters/{drill_id}/dispatches").json()
    assert [(d["need_id"], d["supplier_id"]) for d in stored] == [(needs["vi"]["id"], "pref_aichi")]
    mine = api(base, accounts.logins["coordinator"]).get(f"/api/v1/dispatches/{stored[0]['id']}").json()
    assert "approve" not in mine["allowed_actions"]
    refused = api(base, accounts.logins["coordinator"]).post(f"/api/v1/dispatches/{stored[0]['id']}/approve")
    assert refused.status_code == 403  # what the page said: the server agrees
    # The next dry run keeps the committed one; the filter by what committing does shows it apart.
    page.locator("#plan-again").click()
    page.wait_for_selector("body[data-plan-version='3']")
    page.locator("#plan-filter select[name='language']").select_option("")
    page.locator("#plan-filter select[name='state']").select_option("new")
    expect(page.locator("#plan-table tbody tr[data-key]:not([hidden])")).to_have_count(1)
    assert "とやま国際センター" in page.locator("#plan-table tbody tr[data-key]:not([hidden])").inner_text()
    shots(page, "plan-filtered")
    assert problems.problems == []


def test_dashboard_filters_every_list_zooms_to_the_region_and_shows_jst(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    """Block, association, language and state filters and a search on the needs and dispatches; cancelled
    dispatches hidden until asked for (with the reason); the map zoomed to the blocks involved; JST times."""
    base, accounts = coord_server
    drill_id, needs = _drill_with_needs_and_offers(base, accounts, "ダッシュボードの絞り込み訓練")
    secretariat = api(base, accounts.logins["secretariat"])
    made = {}
    for language, supplier in (("vi", "pref_aichi"), ("en", "pref_toyama")):
        response = secretariat.post(f"/api/v1/disasters/{drill_id}/dispatches", json={
            "need_id": needs[language]["id"], "supplier_id": supplier, "headcount": 1})
        assert response.status_code == 201, response.text
        made[language] = response.json()
    cancelled = secretariat.post(f"/api/v1/dispatches/{made['en']['id']}/cancel", json={"reason": "重複のため取り消し"})
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "重複のため取り消し", cancelled.text
    _, page = new_context(width=1366)
    sign_in(page, base, accounts.logins["secretariat"], then=f"/disasters/{drill_id}")
    page.wait_for_selector("body[data-ready='1']")
    assert "日本時間（JST）" in page.locator("main").inner_text()

    # The regional map: zoomed to the blocks involved, then all Japan, then back.
    box = page.locator("#japan-map")
    region = [float(v) for v in box.get_attribute("viewBox").split()]
    assert page.locator("#zoom-region").get_attribute("aria-pressed") == "true"
    page.locator("#zoom-japan").click()
    japan = [float(v) for v in box.get_attribute("viewBox").split()]
    assert region[2] < japan[2] / 2 and region[3] < japan[3] / 2, (region, japan)  # Ishikawa's block only
    page.locator("#zoom-region").click()
    assert [float(v) for v in box.get_attribute("viewBox").split()] == region

    needs_rows = "#needs-table tbody tr[data-need-id]"
    needs_filter = page.locator("#needs-filter")
    expect(page.locator(needs_rows)).to_have_count(2)
    needs_filter.locator("select[name='language']").select_option("vi")
    expect(page.locator(needs_rows)).to_have_count(1)
    assert "輪島市の避難所で通訳" in page.locator(needs_rows).inner_text()
    needs_filter.locator("select[name='language']").select_option("")
    needs_filter.locator("select[name='block']").select_option("kyushu")
    expect(page.locator(needs_rows)).to_have_count(0)
    needs_filter.locator("select[name='block']").select_option("tokai_hokuriku")
    expect(page.locator(needs_rows)).to_have_count(2)
    needs_filter.locator("input[name='q']").fill("七尾")
    expect(page.locator(needs_rows)).to_have_count(1)
    needs_filter.locator("select[name='state']").select_option("fulfilled")
    expect(page.locator(needs_rows)).to_have_count(0)

    rows = "#dispatch-table tbody tr[data-dispatch-id]"
    dispatch_filter = page.locator("#dispatch-filter")
    expect(page.locator(rows)).to_have_count(1)  # the cancelled one is hidden by default
    assert page.locator(rows).get_attribute("data-dispatch-id") == str(made["vi"]["id"])
    dispatch_filter.locator("#show-withdrawn").check()
    expect(page.locator(rows)).to_have_count(2)
    withdrawn = page.locator(f"#dispatch-table tr[data-dispatch-id='{made['en']['id']}']").inner_text()
    assert "重複のため取り消し" in withdrawn and "取り消し" in withdrawn
    dispatch_filter.locator("select[name='association']").select_option("pref_toyama")
    expect(page.locator(rows)).to_have_count(1)
    dispatch_filter.locator("select[name='association']").select_option("")
    dispatch_filter.locator("select[name='state']").select_option("proposed")
    expect(page.locator(rows)).to_have_count(1)
    dispatch_filter.locator("input[name='q']").fill("愛知")
    expect(page.locator(rows)).to_have_count(1)
    dispatch_filter.locator("input[name='q']").fill("とやま")
    expect(page.locator(rows)).to_have_count(0)
    dispatch_filter.locator("input[name='q']").fill("")

    # Every time on the page is Japan time: the <time> text is its UTC datetime plus nine hours.
    times = page.locator("main time[datetime]")
    assert times.count() >= 1
    for i in range(times.count()):
        stamp = times.nth(i).get_attribute("datetime")
        if not stamp:
            continue
        utc = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        shown = (utc + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
        assert times.nth(i).inner_text() in (shown, f"{shown} JST"), stamp
    shots(page, "dashboard-filtered")
    assert problems.problems == []


def test_rename_change_area_close_and_reopen_from_the_web(
        coord_server: tuple[str, Accounts], new_context: Callable[..., Any], problems: PageProblems) -> None:
    """Item 1 after declaring: the secretariat renames, widens the area (with a reason, previewed), closes and
    reopens (with a reason) from the dashboard and the edit form; the timeline says what changed and why."""
    base, accounts = coord_server
    secretariat = api(base, accounts.logins["secretariat"])
    made = secretariat.post("/api/v1/disasters", json={"name": "区域変更の訓練", "kind": "flood", "mode": "drill",
                                                       "area": {"prefectures": ["17"]}})
    assert made.status_code == 201, made.text
    drill_id = made.json()["id"]
    _, page = new_context(width=1366)
    sign_in(page, base, accounts.logins["secretariat"], then=f"/disasters/{drill_id}")
    page.wait_for_selector("body[data-ready='1']")
    page.once("dialog", lambda dialog: dialog.accept("区域変更の訓練（第2版）"))
    page.locator("#rename-button").click()
    expect(page.locator("#disaster-name")).to_contain_text("区域変更の訓練（第2版）")

    page.locator("#edit-link").click()
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_label("名称").input_value() == "区域変更の訓練（第2版）"
    page.locator('#picker-prefectures path[data-code="18"]').click(force=True)
    expect(page.locator("#declare-preview")).to_contain_text("福井県国際交流協会")
    page.locator("#declare-submit").click()  # a changed area needs a reason: said beside the field
    expect(page.locator('[data-field="reason"] .field-error')).not_to_be_empty()
    page.locator("#edit-reason").fill("福井県でも浸水被害")
    page.locator("#declare-submit").click()
    page.wait_for_url(f"{base}/disasters/{drill_id}")
    page.wait_for_selector("body[data-ready='1']")
    stored = secretariat.get(f"/api/v1/disasters/{drill_id}").json()
    assert stored["area_input"] == {"prefectures": ["17", "18"]} and "pref_fukui" in stored["affected_associations"]
    assert "福井県国際交流協会" in page.locator("#affected-list").inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#close-button").click()
    expect(page.locator("#disaster-status")).to_have_text("終了")
    expect(page.locator("#reopen-button")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept("誤って終了したため"))
    page.locator("#reopen-button").click()
    expect(page.locator("#disaster-status")).to_have_text("対応中")
    assert secretariat.get(f"/api/v1/disasters/{drill_id}").json()["status"] == "open"

    page.goto(f"{base}/disasters/{drill_id}/timeline")
    page.wait_for_selector("#timeline-table tr[data-state='disaster.reopened']")
    table = page.locator("#timeline-table").inner_text()
    for text in ("名称を変更", "被災区域を変更", "福井県でも浸水被害", "対応を終了", "対応を再開",
                 "誤って終了したため"):
        assert text in table, text
    assert problems.problems == []
