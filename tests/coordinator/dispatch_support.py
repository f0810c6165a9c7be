"""Helpers shared by the dispatch, concurrency and end-to-end tests (no tests of its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, World

__all__ = ["FUKUI", "ISHIKAWA", "TOYAMA", "DispatchWorld", "dispatch_count"]

# The path each action takes from `proposed` to the state where it applies.
PATH_TO: dict[str, list[str]] = {
    "proposed": [],
    "approved": ["approve"],
    "requested": ["approve", "request"],
    "accepted": ["approve", "request", "accept"],
    "declined": ["approve", "request", "decline"],
    "en_route": ["approve", "request", "accept", "depart"],
    "on_site": ["approve", "request", "accept", "depart", "arrive"],
    "completed": ["approve", "request", "accept", "depart", "arrive", "complete"],
    "cancelled": ["cancel"],
}
BODIES: dict[str, dict[str, Any]] = {
    "accept": {"expected_cost_yen": 120000, "cost_policy": "requester_pays"},
    "decline": {"reason": "人員の都合がつかないため / no one available"},
    "cancel": {"reason": "test"},
}


def dispatch_count(engine: Engine) -> int:
    """Rows in the dispatch table (to prove a refused request wrote nothing)."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM dispatch")).scalar_one())


class DispatchWorld(World):
    """World (a live disaster for prefecture 17, users of every role) plus dispatch helpers."""

    def __init__(self, client: TestClient, make_user: Callable[..., Any], auth: Callable[[str], dict[str, str]],
                 ) -> None:
        super().__init__(client, make_user, auth)
        coordinators = self.disaster["acting_roles"]["coordinators"]
        self.kinki_coordinator_id = coordinators["kinki"]["association_id"]
        self.kinki_coordinator = auth(make_user("staff", self.kinki_coordinator_id)[1])
        # Toyama offers plenty, so capacity never gets in the way unless a test wants it to.
        self.toyama_offer = self.offer(headcount=100)

    def propose(self, need_id: int, supplier_id: str = TOYAMA, headcount: int = 1,
                headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        """Propose a dispatch (by the block coordinator unless headers are given)."""
        body = {"need_id": need_id, "supplier_id": supplier_id, "headcount": headcount, **extra}
        response = self.client.post(f"/api/v1/disasters/{self.id}/dispatches", json=body,
                                    headers=headers or self.coordinator)
        assert response.status_code == 201, response.text
        return response.json()

    def act(self, dispatch_id: int, action: str, headers: dict[str, str] | None = None,
            body: dict[str, Any] | None = None) -> Any:
        """POST /api/v1/dispatches/{id}/{action}; the response is returned unchecked."""
        payload = body if body is not None else BODIES.get(action)
        return self.client.post(f"/api/v1/dispatches/{dispatch_id}/{action}", json=payload,
                                headers=headers if headers is not None else {})

    def actor_for(self, action: str, dispatch: dict[str, Any]) -> dict[str, str]:
        """Headers of someone allowed to take the action on a stage-1 dispatch supplied by Toyama/Fukui."""
        if action in ("approve", "request", "cancel"):
            return self.coordinator
        return self.toyama if dispatch["supplier_id"] == TOYAMA else self.fukui

    def dispatch_in(self, state: str, need_id: int | None = None, supplier_id: str = TOYAMA,
                    headcount: int = 1) -> dict[str, Any]:
        """A new stage-1 dispatch moved to `state` by the right people."""
        if need_id is None:
            need_id = self.need(headcount=max(headcount, 2))["id"]
        dispatch = self.propose(need_id, supplier_id, headcount)
        for action in PATH_TO[state]:
            response = self.act(dispatch["id"], action, self.actor_for(action, dispatch))
            assert response.status_code == 200, response.text
            dispatch = response.json()
        assert dispatch["state"] == state
        return dispatch

    def state_of(self, dispatch_id: int) -> str:
        """The dispatch's current state, read by the secretariat."""
        return str(self.client.get(f"/api/v1/dispatches/{dispatch_id}", headers=self.secretariat).json()["state"])
