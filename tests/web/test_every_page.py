"""Every coordinating page, as each role that may open it, in Chromium at 1366 and 375 px (issue 14, Tests).

For each page: the to-do list at the top with its count in the tab title; drawn with its data (the demo
drill's needs and dispatches, a live disaster, a situation report); a full-page screenshot per width in
tests/artifacts/ (web-page-<role>-<page>-<language>-<width>.png); no horizontal scroll at 375 px, no
console error or failed request, no untranslated message key, buttons at least 44 px high on a phone;
then the same in English at 375 px (English words are longer). One server for the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import PASSWORD, Accounts, PageProblems, screenshot, settle

pytestmark = pytest.mark.browser

# page name -> path ({drill}: the demo drill with needs and dispatches; {live}: the live disaster).
PAGES = {
    "home": "/home",
    "drills": "/drills",
    "declare": "/disasters/new",
    "edit": "/disasters/{live}/edit",
    "dashboard": "/disasters/{drill}",
    "dashboard-live": "/disasters/{live}",
    "plan": "/disasters/{drill}/plan",
    "timeline": "/disasters/{drill}/timeline",
    "sitrep": "/disasters/{drill}/sitrep",
    "sitrep-live": "/disasters/{live}/sitrep",
    "accounts": "/admin/users",
    "bulletins": "/bulletins",
    "notifications": "/notifications",
}
# Who opens which page (what each role's work needs; the API decides what they may do there).
ROLES = {
    "secretariat": tuple(PAGES),
    "coordinator": ("home", "drills", "declare", "dashboard", "dashboard-live", "plan", "timeline", "sitrep",
                    "notifications"),
    "observer": ("home", "drills", "dashboard", "dashboard-live", "timeline", "sitrep", "bulletins",
                 "notifications"),
}
CASES = [(role, page) for role, pages in ROLES.items() for page in pages]
# What says that a page has drawn what it reads after loading (beyond body[data-ready]).
DRAWN = {
    "dashboard": "#dispatch-table tbody tr[data-dispatch-id]",
    "dashboard-live": "#live-status[data-state='live']",
    "timeline": "#timeline-table tbody tr",
    "sitrep-live": "#summary-text",
}

# The to-do list comes first: no table, panel, map or form of the page's content (outside its heading,
# which may hold a disaster picker) precedes it.
TODO_FIRST = """box => [...document.querySelectorAll('main table, main .panel, main svg, main form, main article')]
  .filter(e => e !== box && !box.contains(e) && !e.closest('.page-head'))
  .every(e => box.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)"""
# Visible buttons (and links styled as buttons) lower than 44 px: "text height".
SMALL_BUTTONS = """() => [...document.querySelectorAll('button, a.button-link, input[type=submit]')]
  .filter(b => b.offsetParent !== null && !b.closest('svg'))
  .map(b => [b.id || b.className || b.tagName, (b.textContent || b.value || '').trim().slice(0, 30),
             Math.round(b.getBoundingClientRect().height)])
  .filter(([, , height]) => height < 44)"""


@pytest.fixture(scope="module")
def world(coord_server: tuple[str, Accounts]) -> Iterator[tuple[str, Accounts]]:
    """The module's server with a situation report on the live disaster and a need there."""
    base, accounts = coord_server
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/api/v1/auth/login", json={"login": accounts.logins["secretariat"], "password": PASSWORD})
        issued = client.post(f"/api/v1/disasters/{accounts.live.id}/sitreps",
                             json={"summary": "輪島市で避難所を開設。ベトナム語の通訳を要請中。"})
        assert issued.status_code == 201, issued.text
    yield base, accounts


def _open(browser: Any, base: str, login: str, language: str, width: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "ouen_lang", "value": language, "url": base}])
    signed = context.request.post(f"{base}/api/v1/auth/login", data={"login": login, "password": PASSWORD})
    assert signed.ok, signed.text()
    return context, context.new_page()


def _drawn(page: Any, name: str) -> None:
    """Wait for the page's own 'ready' state, its to-do list and the data it draws after loading."""
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#todo[data-count]", state="attached")  # to-do first, on every page (item 3)
    if name in DRAWN:
        page.wait_for_selector(DRAWN[name], state="attached")
    settle(page)


def _check(page: Any, where: str) -> None:
    width = page.viewport_size["width"]
    fits = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert fits[0] <= fits[1], (where, width, fits)
    text = page.locator("body").inner_text()
    assert "⟦" not in text, (where, re.findall(r"⟦[^⟧]*⟧", text)[:5])  # a key missing from the catalogue
    if width < 800:  # on a phone every button is big enough for a thumb (44 px)
        small = page.evaluate(SMALL_BUTTONS)
        assert small == [], (where, small)


@pytest.mark.parametrize(("role", "name"), CASES, ids=[f"{role}-{name}" for role, name in CASES])
def test_every_coordinating_page_as_each_role(role: str, name: str, world: tuple[str, Accounts], browser: Any,
                                               problems: PageProblems) -> None:
    base, accounts = world
    path = PAGES[name].format(drill=accounts.drill.disaster.id, live=accounts.live.id)
    contexts = []
    try:
        for language, widths in (("ja", (1366, 375)), ("en", (375,))):
            context, page = _open(browser, base, accounts.logins[role], language, widths[0])
            contexts.append(context)
            problems.watch(page)
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status == 200, (path, response and response.status)
            assert page.url == f"{base}{path}", (path, page.url)  # no redirect elsewhere (e.g. to sign in)
            _drawn(page, name)
            waiting = int(page.locator("#todo").get_attribute("data-count"))
            assert page.locator("#todo").evaluate(TODO_FIRST), path
            assert page.title().startswith(f"({waiting}) ") == (waiting > 0), (path, waiting, page.title())
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                settle(page)
                _check(page, f"{role} {path} {language}")
                screenshot(page, f"page-{role}-{name}-{language}-{width}")
            if "{drill}" in PAGES[name]:
                assert page.locator("#drill-banner").is_visible()
    finally:
        for context in contexts:
            context.close()
    assert problems.problems == [], problems.problems


def test_the_sweep_covers_every_coordinating_route(app: Any) -> None:
    """A new coordinating page must join the sweep (or be listed here as not one)."""
    not_coordinating = {"/", "/login", "/lang/{language}", "/dashboard", "/dashboard/pick", "/association",
                        "/disasters/{disaster_id}/association", "/sw.js", "/web/picture/{disaster_id}",
                        "/web/timeline/{disaster_id}", "/web/live-client.js"}
    routes = {route.path for route in app.routes if getattr(route, "methods", None) and "GET" in route.methods
              and not route.path.startswith(("/api/", "/static", "/docs", "/openapi", "/redoc", "/healthz",
                                             "/readyz", "/metrics"))}
    covered = {re.sub(r"\{(drill|live)\}", "{disaster_id}", path) for path in PAGES.values()}
    assert routes - not_coordinating - covered == set()
