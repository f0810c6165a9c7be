"""Authorisation matrix for dispatches: every action × every role, over the API.

Staff of one association can never answer, or report progress on, another association's requests.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import assert_error
from tests.coordinator.dispatch_support import TOYAMA, DispatchWorld, dispatch_count

# Permissions are decided in Python (dispatches.policy), not by the database: SQLite alone keeps the
# matrix quick; the lifecycle, capacity and concurrency tests run on both databases.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ROLES = ("requester", "supplier", "other_supporter", "other_staff", "coordinator", "other_coordinator",
         "secretariat", "observer", "anonymous")

# (action, state it applies from, state it leads to, roles allowed) for a stage-1 dispatch by Toyama.
MATRIX = [
    ("approve", "proposed", "approved", {"coordinator"}),
    ("request", "approved", "requested", {"coordinator"}),
    ("accept", "requested", "accepted", {"supplier"}),
    ("decline", "requested", "declined", {"supplier"}),
    ("depart", "accepted", "en_route", {"supplier"}),
    ("arrive", "en_route", "on_site", {"supplier", "requester"}),
    ("complete", "on_site", "completed", {"supplier"}),
    ("cancel", "proposed", "cancelled", {"coordinator", "secretariat", "requester"}),
    ("cancel", "requested", "cancelled", {"coordinator", "secretariat", "requester"}),
    ("cancel", "accepted", "cancelled", {"coordinator", "secretariat"}),
    ("cancel", "on_site", "cancelled", {"coordinator", "secretariat"}),
]


@pytest.fixture
def world(client: TestClient, make_user, auth) -> DispatchWorld:
    """A live disaster for prefecture 17, users of every role, and an offer of 100 people by Toyama."""
    return DispatchWorld(client, make_user, auth)


def headers_of(world: DispatchWorld, role: str) -> dict[str, str]:
    """The request headers of each role in the matrix."""
    return {
        "requester": world.requester, "supplier": world.toyama, "other_supporter": world.fukui,
        "other_staff": world.outsider, "coordinator": world.coordinator,
        "other_coordinator": world.kinki_coordinator, "secretariat": world.secretariat,
        "observer": world.observer, "anonymous": {},
    }[role]


@pytest.mark.parametrize(("action", "source", "target", "allowed"), MATRIX,
                         ids=[f"{a}-from-{s}" for a, s, _, _ in MATRIX])
def test_each_role_may_take_exactly_its_actions(world: DispatchWorld, engine: Engine, action: str, source: str,
                                                target: str, allowed: set[str]) -> None:
    refused_dispatch = world.dispatch_in(source)
    for role in ROLES:
        if role in allowed:
            dispatch = world.dispatch_in(source)
            response = world.act(dispatch["id"], action, headers_of(world, role))
            assert response.status_code == 200, (role, response.text)
            assert response.json()["state"] == target
            continue
        response = world.act(refused_dispatch["id"], action, headers_of(world, role))
        assert_error(response, 401 if role == "anonymous" else 403)
        assert world.state_of(refused_dispatch["id"]) == source, role
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.secretariat).json()["events"]
    refused_events = [e["type"] for e in events if e["entity_id"] == str(refused_dispatch["id"])]
    assert f"dispatch.{target}" not in refused_events
    assert dispatch_count(engine) == 1 + len(allowed)


def test_only_the_coordinator_and_secretariat_may_propose(world: DispatchWorld, engine: Engine) -> None:
    need = world.need()
    body = {"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1}
    url = f"/api/v1/disasters/{world.id}/dispatches"
    for role in ROLES:
        response = world.client.post(url, json=body, headers=headers_of(world, role))
        if role in ("coordinator", "secretariat"):
            assert response.status_code == 201, (role, response.text)
        else:
            assert_error(response, 401 if role == "anonymous" else 403)
    assert dispatch_count(engine) == 2


def test_reading_a_dispatch_per_role(world: DispatchWorld) -> None:
    dispatch = world.dispatch_in("requested")
    for role in ROLES:
        response = world.client.get(f"/api/v1/dispatches/{dispatch['id']}", headers=headers_of(world, role))
        # Every acting coordinator of the disaster sees the national picture (disasters.policy).
        if role in ("requester", "supplier", "coordinator", "other_coordinator", "secretariat", "observer"):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_error(response, 401 if role == "anonymous" else 403)
