"""Idempotency-Key on POST/PATCH: a repeat gets the first answer and changes nothing more; the key row is
written in the change's own transaction, so exactly-once holds even when the answer is never stored."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.events.models import utcnow
from coordinator.idempotency import service
from coordinator.idempotency.models import IdempotencyRecord
from tests.coordinator.disasters_support import World, assert_error, counts, need_body


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def _post_need(world: World, key: str, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    return world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(**overrides),
                             headers={**(headers or world.requester), "Idempotency-Key": key})


def _needs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM need")).scalar_one())


def test_a_repeat_returns_the_first_answer_and_creates_nothing(world: World, engine: Engine) -> None:
    first = _post_need(world, "7f0c-need-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = counts(engine)
    again = _post_need(world, "7f0c-need-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts(engine) == before and _needs(engine) == 1
    # Without a key the same body is a new request (the header is what makes it a repeat).
    assert world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(),
                             headers=world.requester).status_code == 201
    assert _needs(engine) == 2


def test_the_same_key_for_another_request_is_refused_in_plain_words(world: World, engine: Engine) -> None:
    _post_need(world, "k-2")
    before = counts(engine)
    error = assert_error(_post_need(world, "k-2", headcount=5), 422, "idempotency_key")
    assert error["code"] == "idempotency_key_reused"
    assert "別の内容" in error["message"]["ja"]
    assert counts(engine) == before


def test_keys_belong_to_their_user(world: World, engine: Engine) -> None:
    mine = _post_need(world, "shared-key")
    theirs = _post_need(world, "shared-key", headers=world.coordinator)  # on Ishikawa's behalf
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert _needs(engine) == 2


def test_a_refused_request_keeps_no_key_so_the_corrected_one_goes_through(world: World, engine: Engine) -> None:
    assert_error(_post_need(world, "k-3", headcount=0), 422)
    with Session(engine) as session:
        assert session.query(IdempotencyRecord).count() == 0
    # Nothing happened the first time: the same key may carry the corrected request.
    assert _post_need(world, "k-3").status_code == 201


@pytest.mark.parametrize("raw", ['""', "with space", "x" * 256, "caf\xe9"])
def test_a_malformed_key_is_refused(world: World, engine: Engine, raw: str) -> None:
    before = counts(engine)
    response = world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(),
                                 headers={**world.requester, "Idempotency-Key": raw.encode("latin-1")})
    assert_error(response, 422, "idempotency_key")
    assert counts(engine) == before


def test_a_quoted_structured_field_key_is_the_same_key(world: World, engine: Engine) -> None:
    _post_need(world, "abc-123")
    again = _post_need(world, '"abc-123"')
    assert again.headers.get("Idempotent-Replayed") == "true" and _needs(engine) == 1


def test_the_key_row_commits_with_the_change_so_a_lost_answer_never_repeats_it(
        world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # The server dies after the change committed and before the answer was stored: here storing fails.
    def die(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("process killed between commit and storing the answer")

    monkeypatch.setattr(service, "store_answer", die)
    first = _post_need(world, "k-lost")
    assert first.status_code == 201
    need_id = first.json()["id"]
    monkeypatch.undo()
    with Session(engine) as session:
        row = session.query(IdempotencyRecord).one()
        assert (row.entity, row.entity_id, row.response_status) == ("need", str(need_id), None)
    # Moments later it looks like a request still being served: wait and retry.
    busy = assert_error(_post_need(world, "k-lost"), 409, "idempotency_key")
    assert busy["code"] == "idempotency_key_in_use"
    # Later it is a crash's leftover: the repeat is sent to the need the first request made.
    with Session(engine) as session:
        session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(minutes=5)))
        session.commit()
    later = world.client.post(f"/api/v1/disasters/{world.id}/needs", json=need_body(), follow_redirects=False,
                              headers={**world.requester, "Idempotency-Key": "k-lost"})
    assert later.status_code == 303 and later.headers["Location"] == f"/api/v1/needs/{need_id}"
    assert world.client.get(later.headers["Location"], headers=world.requester).json()["id"] == need_id
    assert _needs(engine) == 1


def test_patch_and_transitions_are_covered_too(world: World, engine: Engine) -> None:
    need = world.need()
    headers = {**world.requester, "Idempotency-Key": "amend-1"}
    body = {"headcount": 4, "version": 1}
    first = world.client.patch(f"/api/v1/needs/{need['id']}", json=body, headers=headers)
    again = world.client.patch(f"/api/v1/needs/{need['id']}", json=body, headers=headers)
    assert first.status_code == again.status_code == 200 and again.json()["version"] == 2
    cancel = {**world.requester, "Idempotency-Key": "cancel-1"}
    assert world.client.post(f"/api/v1/needs/{need['id']}/cancel", json={}, headers=cancel).status_code == 200
    replay = world.client.post(f"/api/v1/needs/{need['id']}/cancel", json={}, headers=cancel)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def test_twins_sent_at_once_make_one_need(world: World, engine: Engine) -> None:
    barrier = threading.Barrier(4)
    answers: list[Any] = []

    def send() -> None:
        barrier.wait()
        answers.append(_post_need(world, "twin"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _needs(engine) == 1
    made = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(made) == 1
    for answer in answers:
        assert answer.status_code == 201 or answer.json()["error"]["code"] == "idempotency_key_in_use"


def test_a_drill_purge_removes_its_stored_answers(client: TestClient, make_user, auth, engine: Engine) -> None:
    from coordinator.drills.purge import purge_drill
    from tests.coordinator.disasters_support import declare

    secretariat = auth(make_user("secretariat", "clair")[1])
    drill = declare(client, secretariat, mode="drill", name="【訓練】能登")
    live = declare(client, secretariat)
    requester = auth(make_user("staff", "pref_ishikawa")[1])
    for disaster, key in ((drill, "d-1"), (live, "l-1")):
        response = client.post(f"/api/v1/disasters/{disaster['id']}/needs", json=need_body(),
                               headers={**requester, "Idempotency-Key": key})
        assert response.status_code == 201
    with Session(engine) as session:
        assert purge_drill(session, drill_id=drill["id"])["idempotency_keys"] == 1
    with Session(engine) as session:
        assert [r.key for r in session.query(IdempotencyRecord)] == ["l-1"]
