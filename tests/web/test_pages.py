"""The web pages over HTTP (no browser): catalogue, languages, drills kept apart, sign-in, escaping."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coordinator.auth.models import User
from coordinator.disasters.models import AreaInput, DisasterCreate
from coordinator.disasters.service import declare_disaster
from coordinator.settings import get_settings
from coordinator.web.i18n import LANGUAGE_COOKIE, MISSING_MARK, catalogue
from coordinator.web.mapview import map_view
from coordinator.web.picture import disaster_picture
from tests.web.conftest import PASSWORD, REQUESTER, Accounts

WEB = Path(__file__).resolve().parents[2] / "coordinator" / "web"
MARK = MISSING_MARK.format(key="")[0]
# Keys built from data at run time (a state, a status...): the family must exist, checked separately.
DYNAMIC_PREFIXES = (
    "action.",
    "disaster.status_",
    "dispatch_state.",
    "figures.",
    "kind.",
    "live.",
    "need_status.",
    "role.",
    "state.",
    "event.",
    "cost_policy.",
)


def _sign_in(client: TestClient, login: str, password: str = PASSWORD) -> None:
    response = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _pages(accounts: Accounts) -> list[str]:
    live, drill = accounts.live.id, accounts.drill.disaster.id
    return [
        "/login",
        "/drills",
        "/association",
        "/disasters/new",
        "/home",
        f"/disasters/{live}/edit",
        f"/disasters/{live}",
        f"/disasters/{live}/association",
        f"/disasters/{live}/timeline",
        f"/disasters/{live}/sitrep",
        f"/disasters/{drill}",
        f"/disasters/{drill}/association",
        f"/disasters/{drill}/timeline",
        f"/disasters/{drill}/sitrep",
    ]


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    ja, en = catalogue("ja"), catalogue("en")
    assert set(ja) == set(en)
    for key in ja:
        assert ja[key].strip() and en[key].strip(), key
        assert set(re.findall(r"\{(\w+)\}", ja[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key


def test_every_area_catalogue_has_its_pair_with_the_same_keys() -> None:
    """messages/X.ja.json and X.en.json hold the same keys (issue 15 tests), not only the merged catalogues."""
    directory = WEB / "messages"
    for ja_path in sorted(directory.glob("*ja.json")):
        en_path = directory / ja_path.name.replace("ja.json", "en.json")
        assert en_path.exists(), en_path.name
        ja, en = (json.loads(p.read_text(encoding="utf-8")) for p in (ja_path, en_path))
        assert sorted(set(ja) ^ set(en)) == [], ja_path.name
    assert sorted(p.name for p in directory.glob("*.json")) == sorted(
        [*(p.name for p in directory.glob("*ja.json")), *(p.name for p in directory.glob("*en.json"))])


def test_area_catalogues_merge_and_a_key_defined_twice_is_refused(tmp_path: Path, monkeypatch) -> None:
    from coordinator.web import i18n

    (tmp_path / "ja.json").write_text('{"a.one": "一"}', encoding="utf-8")
    (tmp_path / "extra.ja.json").write_text('{"b.two": "二"}', encoding="utf-8")
    monkeypatch.setattr(i18n, "MESSAGES_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("ja") == {"a.one": "一", "b.two": "二"}
        (tmp_path / "again.ja.json").write_text('{"a.one": "もう一度"}', encoding="utf-8")
        i18n.catalogue.cache_clear()
        with pytest.raises(ValueError, match=r"a\.one"):
            i18n.catalogue("ja")
    finally:
        i18n.catalogue.cache_clear()


def test_every_message_the_pages_use_is_in_the_catalogue() -> None:
    keys = set(catalogue("ja"))
    used: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("static/*.js")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 150
    complete = {k for k in used if not k.endswith((".", "_"))}
    assert sorted(complete - keys) == []
    for prefix in DYNAMIC_PREFIXES:
        assert any(k.startswith(prefix) for k in keys), prefix
    for state in (
        "proposed",
        "approved",
        "requested",
        "accepted",
        "declined",
        "en_route",
        "on_site",
        "completed",
        "cancelled",
    ):
        assert f"dispatch_state.{state}" in keys and f"event.dispatch.{state}" in keys


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_renders_in_each_language_with_no_untranslated_string(
    client: TestClient, seeded: Accounts, language: str
) -> None:
    _sign_in(client, seeded.logins["secretariat"])
    client.cookies.set(LANGUAGE_COOKIE, language)
    keys = set(catalogue(language))
    other = "en" if language == "ja" else "ja"
    for path in _pages(seeded):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert f'<html lang="{language}">' in page.text, path
        assert MARK not in page.text, path
        text = _visible_text(page.text)
        raw = [k for k in keys if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", text)]
        assert raw == [], (path, raw)
        # A string of the other language shows up only when both catalogues share it.
        assert catalogue(other)["nav.dashboard"] not in text, path
        assert "http://" not in page.text and "https://" not in page.text, path


def test_staff_pages_render_for_each_role(client: TestClient, seeded: Accounts) -> None:
    for who in (REQUESTER, "pref_toyama"):
        client.cookies.clear()
        _sign_in(client, seeded.logins[who])
        for path in _pages(seeded):
            page = client.get(path)
            assert page.status_code == 200, (who, path)
            assert MARK not in page.text
    requester_page = client.get(f"/disasters/{seeded.live.id}/association").text
    assert (
        'id="offer-form"' in requester_page and 'id="need-form"' not in requester_page
    )  # Toyama: not affected
    client.cookies.clear()
    _sign_in(client, seeded.logins[REQUESTER])
    page = client.get(f"/disasters/{seeded.live.id}/association").text
    assert 'id="need-form"' in page and 'id="offer-form"' not in page


def test_drills_never_show_in_live_views(client: TestClient, seeded: Accounts) -> None:
    _sign_in(client, seeded.logins["secretariat"])
    drill = seeded.drill.disaster
    dashboard = client.get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 303 and dashboard.headers["location"] == f"/disasters/{seeded.live.id}"
    live_page = client.get(f"/disasters/{seeded.live.id}").text
    assert (
        drill.name not in live_page and "drill-banner" not in live_page and "drill-watermark" not in live_page
    )
    drills = client.get("/drills").text
    assert drill.name in drills and "【訓練】" in drills
    for path in (
        f"/disasters/{drill.id}",
        f"/disasters/{drill.id}/association",
        f"/disasters/{drill.id}/timeline",
        f"/disasters/{drill.id}/sitrep",
    ):
        page = client.get(path).text
        assert 'id="drill-banner"' in page and 'class="drill-watermark"' in page, path
        assert seeded.live.name not in page, path  # the drill's picker lists drills only


def test_dashboard_without_live_disasters_says_so_and_points_to_drills(
    engine: Engine, client: TestClient, seeded: Accounts
) -> None:
    with Session(engine) as session:
        from coordinator.disasters.service import close_disaster

        secretariat = session.exec(select(User).where(User.login == seeded.logins["secretariat"])).one()
        close_disaster(session, disaster_id=seeded.live.id or 0, actor=secretariat)
    _sign_in(client, seeded.logins["secretariat"])
    page = client.get("/dashboard")
    assert page.status_code == 200 and 'id="no-live"' in page.text and 'href="/drills"' in page.text


def test_signed_out_visitors_are_sent_to_the_login_page(client: TestClient, seeded: Accounts) -> None:
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/login"
    page = client.get(f"/disasters/{seeded.live.id}/sitrep", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=%2Fdisasters%2F{seeded.live.id}%2Fsitrep"
    assert client.get(f"/web/picture/{seeded.live.id}").status_code == 401


def test_home_sends_staff_to_their_association_and_others_to_the_dashboard(
    client: TestClient, seeded: Accounts
) -> None:
    _sign_in(client, seeded.logins[REQUESTER])
    assert client.get("/", follow_redirects=False).headers["location"] == "/association"
    client.cookies.clear()
    _sign_in(client, seeded.logins["secretariat"])
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard"


def test_language_switch_is_remembered_and_never_redirects_off_site(client: TestClient) -> None:
    switched = client.get("/lang/en?next=/login", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert f"{LANGUAGE_COOKIE}=en" in switched.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/login").text
    assert client.get("/lang/en?next=//evil.example/", follow_redirects=False).headers["location"] == "/"
    assert "set-cookie" not in client.get("/lang/xx?next=/login", follow_redirects=False).headers
    client.cookies.clear()
    assert '<html lang="ja">' in client.get("/login").text  # Japanese first


def test_names_from_the_database_are_escaped(engine: Engine, client: TestClient, seeded: Accounts) -> None:
    with Session(engine, expire_on_commit=False) as session:
        secretariat = session.exec(select(User).where(User.login == seeded.logins["secretariat"])).one()
        disaster = declare_disaster(
            session,
            actor=secretariat,
            data=DisasterCreate(
                name='<script>alert("x")</script>', kind="flood", area=AreaInput(prefectures=["40"])
            ),
        )
    _sign_in(client, seeded.logins["secretariat"])
    for path in (f"/disasters/{disaster.id}", f"/disasters/{disaster.id}/sitrep"):
        page = client.get(path).text
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(" in page
    config = client.get(f"/disasters/{disaster.id}").text
    assert "\\u003cscript\\u003e" in config  # inside the JSON config too (Jinja's tojson)


def test_picture_puts_unmet_needs_first_and_colours_associations(engine: Engine, seeded: Accounts) -> None:
    drill = seeded.drill
    with Session(engine, expire_on_commit=False) as session:
        coordinator = next(a.user for a in drill.accounts.values() if "幹事" in a.what)
        picture = disaster_picture(session, disaster_id=drill.disaster.id or 0, actor=coordinator)
    # Demo: need 1 (2 people) has Toyama's 2 on site; need 2 (1 person) waits for Fukui's answer.
    assert [n["unmet"] for n in picture["needs"]] == [1, 0]
    assert picture["states"][REQUESTER] == "requesting"
    assert (
        picture["states"]["pref_toyama"] == "supporting" and picture["states"]["pref_fukui"] == "supporting"
    )
    arrows = {(a["supplier_id"], a["requester_id"]): a for a in picture["arrows"]}
    assert arrows[("pref_toyama", REQUESTER)]["committed"] == 2
    assert (
        arrows[("pref_fukui", REQUESTER)]["committed"] == 0
        and arrows[("pref_fukui", REQUESTER)]["headcount"] == 1
    )
    assert picture["coverage"]["vi"] == {"needs": 1, "requested": 2, "accepted": 2}
    fukui_request = next(d for d in picture["dispatches"] if d["supplier_id"] == "pref_fukui")
    assert "accept" not in fukui_request["actions"]  # only Fukui's own staff answer
    fukui = drill.accounts["pref_fukui"].user
    with Session(engine, expire_on_commit=False) as session:
        mine = disaster_picture(session, disaster_id=drill.disaster.id or 0, actor=fukui)
    assert [d["supplier_id"] for d in mine["dispatches"]] == ["pref_fukui"]
    assert mine["dispatches"][0]["actions"] == ["accept", "decline"]


def test_map_has_every_prefecture_and_association_with_a_block() -> None:
    settings = get_settings()
    view = map_view(Path(settings.data_dir), Path(settings.agreement_file))
    assert len(view.points) == 63
    layer = view.layers["ja"]
    assert layer.count('class="pref"') == 47
    assert 'data-block=""' not in layer
    assert re.search(r'data-code="29" data-block="kinki"', layer)  # Nara: no association, Kinki by neighbours
    assert "<title>北海道</title>" in layer and "<title>Hokkaido</title>" in view.layers["en"]
    assert all(0 <= p.x <= view.width and 0 <= p.y <= view.height for p in view.points)
