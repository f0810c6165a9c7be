"""The staff forms' language choices: every language of the agreement, by its Japanese name on Japanese
pages (English on English ones), with the variant rule said in the catalogue's words (issue 12 item 12)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from agreements import load_agreement
from coordinator.web.i18n import LANGUAGE_COOKIE, catalogue
from tests.web.conftest import PASSWORD, REQUESTER, Accounts


def _options(page: str, select_id: str) -> list[tuple[str, str]]:
    """(value, text) of a select's options, the empty "choose" option left out."""
    body = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert body, select_id
    return [(value, html.unescape(text).strip())
            for value, text in re.findall(r'<option value="([^"]*)">([^<]*)</option>', body.group(1)) if value]


def _sign_in(client: TestClient, login: str) -> None:
    assert client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD}).status_code == 200


def test_need_and_capacity_forms_list_every_agreement_language_by_name(client: TestClient,
                                                                         seeded: Accounts) -> None:
    languages = load_agreement().languages
    assert {"my", "pt-BR", "si", "km", "mn", "bn", "ur"} <= {lang.tag for lang in languages}
    _sign_in(client, seeded.logins[REQUESTER])
    for lang, pick in (("ja", lambda x: x.name_ja), ("en", lambda x: x.name_en)):
        client.cookies.set(LANGUAGE_COOKIE, lang)
        need_page = client.get(f"/disasters/{seeded.live.id}/association").text
        assert _options(need_page, "need-language") == [(x.tag, pick(x)) for x in languages]
        assert catalogue(lang)["languages.need_hint"] in html.unescape(need_page)
        home = client.get("/association").text
        assert _options(home, "capacity-language") == [(x.tag, pick(x)) for x in languages]
        assert catalogue(lang)["languages.offer_hint"] in html.unescape(home)


def test_offer_form_lists_every_agreement_language(client: TestClient, seeded: Accounts) -> None:
    _sign_in(client, seeded.logins["pref_toyama"])
    page = client.get(f"/disasters/{seeded.live.id}/association").text
    boxes = re.findall(r'<input type="checkbox" name="languages" value="([^"]+)"> ([^<]+)</label>', page)
    assert boxes == [(x.tag, x.name_ja) for x in load_agreement().languages]
    assert catalogue("ja")["languages.offer_hint"] in html.unescape(page)
