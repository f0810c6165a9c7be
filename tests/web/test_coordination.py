"""The secretariat's and coordinators' pages in Chromium against one real uvicorn server for the module.

Each test makes the disasters it needs; the server, its database and the browser are shared (fast).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from coordinator.db import make_engine
from tests.coordinator.conftest import ServerProcess, sqlite_url
from tests.web.conftest import PASSWORD, Accounts, PageProblems, screenshot, seed, sign_in

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
    page.locator("#declare-submit").click()
    page.wait_for_url(re.compile(r"/disasters/\d+$"))
    page.wait_for_selector("#drill-banner")
    disaster_id = int(page.url.rsplit("/", 1)[1])
    stored = api(base, accounts.logins["secretariat"]).get(f"/api/v1/disasters/{disaster_id}").json()
    assert stored["mode"] == "drill" and stored["area_input"] == {"municipalities": ["17204"]}
    assert stored["name"] == "輪島市の地震（訓練）" and stored["affected_associations"] == ["pref_ishikawa"]
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
