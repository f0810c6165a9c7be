"""The secretariat's and coordinators' pages over HTTP (no browser): prefill, who is offered the form."""

from __future__ import annotations

import json
import re
from datetime import date

from fastapi.testclient import TestClient

from coordinator.auth.models import User
from coordinator.reference import current_agreement
from coordinator.web.coordination import declare_prefill, may_declare
from tests.web.conftest import PASSWORD, REQUESTER, Accounts


def sign_in(client: TestClient, login: str) -> None:
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text


def page_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="ouen-config">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_prefill_takes_the_contracts_parameters_and_drops_malformed_ones() -> None:
    assert declare_prefill({"name": "能登", "kind": "earthquake", "mode": "drill", "prefectures": "17,18",
                            "municipalities": "17204,17205", "epicentre": "136.9,37.4", "radius_km": "40",
                            "bulletin": "12"}) == {
        "name": "能登", "kind": "earthquake", "mode": "drill", "prefectures": ["17", "18"],
        "municipalities": ["17204", "17205"], "epicentre": {"lon": 136.9, "lat": 37.4}, "radius_km": 40.0,
        "bulletin": 12}
    assert declare_prefill({"kind": "meteor", "mode": "both", "prefectures": "1,x,170", "epicentre": "136.9",
                            "radius_km": "far", "bulletin": "-1", "municipalities": "1720"}) == {}


def test_declare_page_carries_the_prefill_and_the_bulletin_notice(client: TestClient, seeded: Accounts) -> None:
    sign_in(client, seeded.logins["secretariat"])
    page = client.get("/disasters/new", params={"name": "<b>x</b>", "mode": "live", "prefectures": "17",
                                                "bulletin": "5"})
    assert page.status_code == 200
    config = page_config(page.text)
    assert config["prefill"] == {"name": "<b>x</b>", "mode": "live", "prefectures": ["17"], "bulletin": 5}
    assert "<b>x</b>" not in page.text  # escaped in the JSON block
    assert 'id="bulletin-notice"' in page.text and 'id="declare-not-allowed"' not in page.text
    assert page.text.count('name="prefecture"') == 47


def test_the_form_tells_staff_who_may_not_declare(client: TestClient, seeded: Accounts) -> None:
    sign_in(client, seeded.logins["pref_toyama"])  # neither coordinator nor deputy of its block
    assert 'id="declare-not-allowed"' in client.get("/disasters/new").text
    client.cookies.clear()
    assert client.get("/disasters/new", follow_redirects=False).status_code == 303


def _year_roles(today: date) -> list:
    agreement = current_agreement()
    return list(agreement.roles_for(agreement.fiscal_year_of(today)).blocks.values())


def test_may_declare_follows_the_years_coordinators_and_deputies() -> None:
    today = date.today()
    assert may_declare(User(login="s", display_name="s", role="secretariat", association_id="clair"), today=today)
    assert not may_declare(User(login="o", display_name="o", role="observer"), today=today)
    assert not may_declare(User(login="x", display_name="x", role="staff", association_id="pref_toyama"), today=today)
    assert may_declare(User(login="d", display_name="d", role="staff", association_id=REQUESTER), today=today) == (
        any(REQUESTER in (r.coordinator, *r.deputies) for r in _year_roles(today)))


def test_edit_page_prefills_the_disaster(client: TestClient, seeded: Accounts) -> None:
    sign_in(client, seeded.logins["secretariat"])
    config = page_config(client.get(f"/disasters/{seeded.live.id}/edit").text)
    assert config["editing"] == seeded.live.id
    assert config["prefill"] == {"name": seeded.live.name, "kind": "earthquake", "mode": "live", "prefectures": ["17"]}


def test_home_in_peacetime_is_never_blank(engine, client: TestClient, seeded: Accounts) -> None:
    from sqlmodel import Session, select

    from coordinator.disasters.service import close_disaster
    from coordinator.offers.models import StandingCapacityCreate
    from coordinator.offers.service import add_standing_capacity

    sign_in(client, seeded.logins["secretariat"])
    home = client.get("/home").text
    assert 'id="capacity-empty"' in home  # nothing registered: the page says so and where to do it
    assert home.count('class="point block-point"') == 63
    assert home.count("<tr data-block=") == 6  # this year's coordinator and deputies of each block
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.login == seeded.logins["pref_toyama"])).one()
        add_standing_capacity(session, data=StandingCapacityCreate(language="vi", kinds=["onsite_interpretation"],
                                                                   headcount=4), actor=staff)
        secretariat = session.exec(select(User).where(User.login == seeded.logins["secretariat"])).one()
        close_disaster(session, disaster_id=seeded.live.id or 0, actor=secretariat)
    home = client.get("/dashboard").text  # no live disaster: the dashboard is the peacetime home
    row = re.search(r'<tr data-language="vi">(.*?)</tr>', home, re.S)
    assert row and "ベトナム語" in row.group(1) and ">4<" in row.group(1)
    assert 'id="no-live"' in home and 'id="declare-link"' in home and 'id="recent-drills"' in home
    client.cookies.clear()
    sign_in(client, seeded.logins["pref_toyama"])
    own = client.get("/home").text
    assert "あなたの協会が登録した人数です" in own and 'id="declare-link"' not in own


def test_pages_and_json_go_out_gzipped_and_static_files_are_cached(client: TestClient, seeded: Accounts) -> None:
    sign_in(client, seeded.logins["secretariat"])
    page = client.get(f"/disasters/{seeded.live.id}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "<html" in page.text  # httpx decodes it
    raw = int(page.headers["content-length"])
    assert raw < len(page.content) / 2, (raw, len(page.content))  # well under half on the wire
    plain = client.get(f"/disasters/{seeded.live.id}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    picture = client.get(f"/web/picture/{seeded.live.id}", headers={"Accept-Encoding": "gzip"})
    assert picture.headers["content-encoding"] == "gzip"
    # Pages link versioned static files: cached for a year; a changed file gets another URL.
    versioned = re.search(r'src="(/static/dashboard\.js\?v=[0-9a-f]{12})"', page.text)
    assert versioned
    cached = client.get(versioned.group(1))
    assert cached.headers["cache-control"] == "public, max-age=31536000, immutable"
    bare = client.get("/static/dashboard.js")
    assert bare.headers["cache-control"] == "no-cache" and bare.headers["etag"]
    again = client.get("/static/dashboard.js", headers={"If-None-Match": bare.headers["etag"]})
    assert again.status_code == 304
