"""Every page an association's staff reaches (issue 15 tests), for Ishikawa (affected), Toyama and Fukui
(supporters), at 375x800 and 1366x900: no horizontal scroll, header and buttons sized for a thumb, no raw
catalogue key, no console error; a screenshot of each in tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import PageProblems, screenshot, sign_in
from tests.web.staff_world import StaffWorld
from tests.web.test_staff_browser import DESK, PHONE, fits, staff_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def staff_pages(disaster_id: int) -> list[str]:
    """What the navigation offers a staff member, with the disaster's own pages."""
    return ["/association", "/home", "/dashboard", "/drills", "/notifications",
            f"/disasters/{disaster_id}", f"/disasters/{disaster_id}/association",
            f"/disasters/{disaster_id}/timeline", f"/disasters/{disaster_id}/sitrep"]


@pytest.mark.parametrize("size", [PHONE, DESK], ids=["375", "1366"])
@pytest.mark.parametrize("who", ["pref_ishikawa", "pref_toyama", "pref_fukui"])
def test_every_staff_page_fits_for_every_role(
        staff_server: tuple[str, StaffWorld, str], new_context: Callable[..., Any],  # noqa: F811
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
