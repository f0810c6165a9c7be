"""The secretariat's and coordinators' pages in Chromium against one real uvicorn server for the module.

Each test makes the disasters it needs; the server, its database and the browser are shared (fast).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from coordinator.auth.models import ROLE_STAFF
from coordinator.auth.service import create_user
from coordinator.db import make_engine
from tests.coordinator.conftest import ServerProcess, sqlite_url
from tests.web.conftest import PASSWORD, REQUESTER, Accounts, PageProblems, screenshot, seed, sign_in

pytestmark = pytest.mark.browser
WIDTHS = (1366, 375)


@pytest.fixture(scope="module")
def coord_server(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[tuple[str, Accounts]]:
    """One real server for the module on a SQLite file with seed() data: (base URL, accounts)."""
    folder = tmp_path_factory.mktemp("coordination")
    path = folder / "web.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    database = make_engine(sqlite_url(path))
    try:
        accounts = seed(database)
        # A password account for the acting coordinator of the requester's block (東海・北陸).
        coordinator = accounts.live.acting_roles["coordinators"]["tokai_hokuriku"]["association_id"]
        with Session(database) as session:
            create_user(session, login="web-coordinator", display_name="幹事 テスト", role=ROLE_STAFF,
                        association_id=coordinator, password=PASSWORD)
            session.commit()
        accounts.logins["coordinator"] = "web-coordinator"
        accounts.logins["coordinator_id"] = coordinator
    finally:
        database.dispose()
    server = ServerProcess(sqlite_url(path), folder / "server.log")
    server.start()
    yield server.base_url, accounts
    server.stop()


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
        page.wait_for_timeout(50)
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
