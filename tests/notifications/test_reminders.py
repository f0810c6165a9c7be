"""Reminders and escalation: the agreement's stages in order, each once, to the right people, on the timeline;
never an automatic answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from agreements import AgreementError, load_agreement
from coordinator.auth.models import as_utc
from coordinator.dispatches.models import Dispatch
from coordinator.reminders.models import ReminderSent
from coordinator.reminders.service import run_reminders
from coordinator.web.i18n import catalogue
from tests.notifications.conftest import NotifyWorld


def _remind(world: NotifyWorld, dispatch_id: int, hours: float,
            stamp: str = "requested_at") -> list[tuple[int, str, int]]:
    with Session(world.engine, expire_on_commit=False) as session:
        dispatch = session.get(Dispatch, dispatch_id)
        assert dispatch is not None
        start = as_utc(getattr(dispatch, stamp))
        report = run_reminders(session, now=start + timedelta(hours=hours))
    return [s for s in report.stages if s[0] == dispatch_id] + [(d, "dispatch.overdue", 1) for d in report.overdue
                                                                  if d == dispatch_id]


def _events(world: NotifyWorld, dispatch_id: int) -> list[dict]:
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.headers("secretariat2"))
    return [e for e in events.json()["events"] if e["entity_id"] == str(dispatch_id) and e["entity"] == "dispatch"]


def _escalated_on_todo(world: NotifyWorld, key: str) -> list[int]:
    todo = world.client.get("/api/v1/todo", headers=world.headers(key))
    assert todo.status_code == 200, todo.text
    return [i for item in todo.json()["items"] if item["kind"] == "escalated_dispatches" for i in item["entity_ids"]]


def test_an_unanswered_request_is_reminded_then_escalated_to_the_coordinator_then_the_secretariat(
        world: NotifyWorld) -> None:
    dispatch = world.dispatch_to("requested")
    toyama_before = len(world.in_app("toyama"))
    assert _remind(world, dispatch["id"], 23.9) == []
    assert _remind(world, dispatch["id"], 24) == [(dispatch["id"], "dispatch.overdue", 1)]
    assert len(world.in_app("toyama")) == toyama_before + 1  # the supporter is reminded
    assert _remind(world, dispatch["id"], 35) == []
    coordinator_before = len(world.in_app("coordinator"))
    assert _remind(world, dispatch["id"], 36) == [(dispatch["id"], "dispatch.escalated", 2)]
    escalated = world.in_app("coordinator")[coordinator_before:]
    assert [(n.event_type, n.audience, n.essential) for n in escalated] == [("dispatch.escalated", "escalation", True)]
    assert _remind(world, dispatch["id"], 47) == []
    assert not _escalated_on_todo(world, "secretariat2")
    assert _remind(world, dispatch["id"], 48) == [(dispatch["id"], "dispatch.escalated", 3)]
    # On the secretariat's to-do list (the coordinator, as approver, has it as an overdue request already).
    assert _escalated_on_todo(world, "secretariat2") == [dispatch["id"]]
    assert not _escalated_on_todo(world, "toyama") and not _escalated_on_todo(world, "coordinator")
    assert _remind(world, dispatch["id"], 500) == []  # each stage once
    assert any(n.event_type == "dispatch.escalated" for n in world.in_app("secretariat2"))
    assert world.client.get(f"/api/v1/dispatches/{dispatch['id']}",
                            headers=world.headers("toyama")).json()["state"] == "requested"  # never accepted
    timeline = [(e["type"], e["payload"].get("to")) for e in _events(world, dispatch["id"])][-3:]
    assert timeline == [("dispatch.overdue", None), ("dispatch.escalated", "block_coordinator"),
                        ("dispatch.escalated", "secretariat")]
    # The timeline page's rows name each stage in words, in both languages (no raw event codes).
    rows = world.client.get(f"/web/timeline/{world.id}", headers=world.headers("secretariat2")).json()["events"]
    labels = [(r["label"]["ja"], r["label"]["en"]) for r in rows
              if r["type"] in ("dispatch.overdue", "dispatch.escalated")]
    assert labels == [("要請の回答期限超過", "Request overdue"),
                      ("回答・要請の遅れをエスカレーション", "Delay escalated"),
                      ("回答・要請の遅れをエスカレーション", "Delay escalated")]
    listed = world.client.get("/api/v1/notifications", headers=world.headers("coordinator")).json()["items"]
    title = next(i["title_ja"] for i in listed if i["event_type"] == "dispatch.escalated")
    assert title.startswith("【エスカレーション】とやま国際センターが36時間回答していない要請")
    for language in ("ja", "en"):
        assert catalogue(language)["event.dispatch.escalated"] and catalogue(language)["event.dispatch.reminded"]


def test_an_approved_proposal_not_requested_is_reminded_to_its_approver_then_escalated(world: NotifyWorld) -> None:
    dispatch = world.dispatch_to("approved")
    assert _remind(world, dispatch["id"], 5.9, "approved_at") == []
    assert _remind(world, dispatch["id"], 6, "approved_at") == [(dispatch["id"], "dispatch.reminded", 1)]
    assert world.in_app("coordinator")[-1].event_type == "dispatch.reminded"
    assert _remind(world, dispatch["id"], 12, "approved_at") == [(dispatch["id"], "dispatch.escalated", 2)]
    assert world.in_app("secretariat2")[-1].event_type == "dispatch.escalated"
    assert _escalated_on_todo(world, "secretariat2") == [dispatch["id"]]  # on the secretariat's to-do list
    assert _remind(world, dispatch["id"], 100, "approved_at") == []  # each stage once; never requested for them
    assert world.client.get(f"/api/v1/dispatches/{dispatch['id']}",
                            headers=world.headers("coordinator")).json()["state"] == "approved"
    with Session(world.engine) as session:
        sent = list(session.exec(select(ReminderSent).where(ReminderSent.dispatch_id == dispatch["id"])))
    assert [(s.waiting, s.stage, s.to, s.association_id) for s in sent] == [
        ("approved", 1, "approver", world.coordinator_id), ("approved", 2, "secretariat", None)]


def test_an_answer_stops_the_reminders_and_a_closed_disaster_has_none(world: NotifyWorld) -> None:
    answered = world.dispatch_to("requested")
    world.post(f"/api/v1/dispatches/{answered['id']}/accept", "toyama", {"expected_cost_yen": 0})
    assert _remind(world, answered["id"], 100) == []
    waiting = world.dispatch_to("requested", supplier="pref_fukui")
    world.post(f"/api/v1/disasters/{world.id}/close", "secretariat")
    assert _remind(world, waiting["id"], 100) == []


def test_reminder_stages_are_validated_with_the_key_named(tmp_path: Path) -> None:
    source = Path(load_agreement().source_file).read_text(encoding="utf-8")
    broken = tmp_path / "agreement.toml"
    broken.write_text(source.replace('after_hours = 36, to = "block_coordinator"',
                                     'after_hours = 20, to = "block_coordinator"'), encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load_agreement(broken)
    assert "reminders.request_escalations[0].after_hours" in str(caught.value)
    swapped = tmp_path / "swapped.toml"
    swapped.write_text(source.replace('after_hours = 12, to = "secretariat"', 'after_hours = 3, to = "secretariat"'),
                       encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load_agreement(swapped)
    assert "reminders.approved_reminders[1].after_hours" in str(caught.value)
    agreement = load_agreement()
    assert agreement.sources["reminders.request_escalations[1]"].startswith("assumption")
