"""Helpers shared by the disasters, needs, offers, timeline and export tests (no tests of its own).

Kept in a test_-prefixed module so that it stays inside the files of the domains' test suite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

DOMAIN_TABLES = ("disaster", "need", "need_revision", "offer", "standing_capacity", "event")
ISHIKAWA, TOYAMA, FUKUI = "pref_ishikawa", "pref_toyama", "pref_fukui"
# Candidates for "staff of an unrelated association": the first that coordinates nothing is used.
OUTSIDERS = ("pref_shiga", "pref_nara", "pref_wakayama", "city_kyoto", "pref_kyoto", "pref_osaka")
Auth = Callable[[str], dict[str, str]]


# A refused request leaves exactly one trace: its auth.denied audit event (asserted in tests/ops).
_COUNTED_ROWS = {"event": "SELECT COUNT(*) FROM event WHERE type <> 'auth.denied'"}


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of every table these domains write (to prove a failed request wrote nothing)."""
    with engine.connect() as connection:
        return {table: connection.execute(text(_COUNTED_ROWS.get(table, f"SELECT COUNT(*) FROM {table}")))
                .scalar_one() for table in DOMAIN_TABLES}


def declare(client: TestClient, headers: dict[str, str], *, prefectures: list[str] | None = None,
            mode: str = "live", name: str = "能登半島地震", kind: str = "earthquake") -> dict[str, Any]:
    """Declare a disaster through the API and return its JSON."""
    body = {"name": name, "kind": kind, "mode": mode, "area": {"prefectures": prefectures or ["17"]}}
    response = client.post("/api/v1/disasters", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def need_body(**overrides: Any) -> dict[str, Any]:
    """A valid need for Ishikawa; keyword arguments replace fields."""
    body: dict[str, Any] = {"requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi",
                            "headcount": 2, "start": date.today().isoformat(), "days": 5,
                            "place": "17204", "notes": "輪島市の避難所"}
    body.update(overrides)
    return body


def offer_body(**overrides: Any) -> dict[str, Any]:
    """A valid offer; keyword arguments replace fields."""
    today = date.today().isoformat()
    body: dict[str, Any] = {"languages": ["vi", "en"], "kinds": ["centre_staff", "translation"],
                            "headcount": 3, "available_from": today, "available_until": today}
    body.update(overrides)
    return body


def coordinator_of(disaster: dict[str, Any], block: str = "tokai_hokuriku") -> str:
    """The acting coordinator association of a block for this disaster."""
    return str(disaster["acting_roles"]["coordinators"][block]["association_id"])


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The one error shape: code, message in Japanese and English, and the field when given."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]["ja"] and error["message"]["en"]
    if field is not None:
        assert error["field"] == field, error
    return error


class World:
    """A declared live disaster for prefecture 17 and users of every role, with their headers."""

    def __init__(self, client: TestClient, make_user: Callable[..., Any], auth: Auth) -> None:
        self.client = client
        _, secretariat = make_user("secretariat", "clair")
        self.secretariat = auth(secretariat)
        self.disaster = declare(client, self.secretariat)
        self.id = self.disaster["id"]
        self.coordinator_id = coordinator_of(self.disaster)
        self.coordinator = auth(make_user("staff", self.coordinator_id)[1])
        self.requester = auth(make_user("staff", ISHIKAWA)[1])
        assert self.coordinator_id not in (TOYAMA, FUKUI), "the supporters below must not be the coordinator"
        self.toyama = auth(make_user("staff", TOYAMA)[1])
        self.fukui = auth(make_user("staff", FUKUI)[1])
        coordinators = {c["association_id"] for c in self.disaster["acting_roles"]["coordinators"].values()}
        self.outsider_id = next(a for a in OUTSIDERS if a not in coordinators)
        self.outsider = auth(make_user("staff", self.outsider_id)[1])
        self.observer = auth(make_user("observer")[1])

    def need(self, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
        """Create a need (by the requester's staff unless headers are given)."""
        response = self.client.post(f"/api/v1/disasters/{self.id}/needs", json=need_body(**overrides),
                                    headers=headers or self.requester)
        assert response.status_code == 201, response.text
        return response.json()

    def offer(self, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
        """Create an offer (by Toyama's staff unless headers are given)."""
        response = self.client.post(f"/api/v1/disasters/{self.id}/offers", json=offer_body(**overrides),
                                    headers=headers or self.toyama)
        assert response.status_code == 201, response.text
        return response.json()

