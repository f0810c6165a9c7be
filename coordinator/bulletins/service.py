"""Bulletin use cases: take one bulletin in (stored once), open/update/withdraw the proposal it makes,
list proposals, confirm one (the disasters service declares or changes the area) or dismiss it.

Nothing is ever declared here without a secretariat user's confirm. A state change and its event commit
in one transaction; events are published after commit (coordinator.events).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coordinator.auth.models import User, as_utc
from coordinator.bulletins import policy
from coordinator.bulletins.jmaxml import Bulletin as Parsed
from coordinator.bulletins.jmaxml import BulletinFormatError, parse_bulletin
from coordinator.bulletins.models import (
    SOURCES,
    Bulletin,
    BulletinPublic,
    ConfirmRequest,
    DismissRequest,
    IngestResult,
    Proposal,
    ProposalPublic,
)
from coordinator.bulletins.rules import Assessment, assess
from coordinator.db import writes
from coordinator.disasters import service as disasters
from coordinator.disasters.models import AreaInput, Disaster, DisasterAreaChange, DisasterCreate
from coordinator.disasters.preview import declaration_preview
from coordinator.drills.marks import marked
from coordinator.errors import Conflict, DomainError, Invalid, NotFound, load_or_404
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.reference import all_association_ids, current_agreement

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Decision:
    """What one bulletin does to the proposals: an outcome word, why, and the proposal it touched."""

    outcome: str
    reason_en: str
    reason_ja: str
    proposal: Proposal | None = None
    event: str | None = None
    changes: tuple[str, ...] = ()  # an update: what the secretariat would decide differently on (name, area)


def _parse(data: bytes, max_bytes: int) -> Parsed:
    if len(data) > max_bytes:
        raise Invalid(f"body: the bulletin is {len(data)} bytes; at most {max_bytes} are accepted",
                      f"body：電文が {len(data)} バイトあります（上限 {max_bytes} バイト）", field="body")
    try:
        return parse_bulletin(data)
    except BulletinFormatError as exc:
        field = "body" if exc.field == "body" else f"body.{exc.field}"
        raise Invalid(f"{field}: {exc.message_en}", f"{field}：{exc.message_ja}", field=field) from exc


def _newer(parsed: Parsed, proposal: Proposal) -> bool:
    """A bulletin supersedes the proposal's when it is as recent or more (a 訂正 keeps its serial)."""
    return (as_utc(parsed.report_datetime), parsed.serial or 0) >= (as_utc(proposal.report_datetime),
                                                                     proposal.serial or 0)


def _latest(session: Session, key: str, mode: str) -> Proposal | None:
    return session.exec(select(Proposal).where(Proposal.event_key == key, Proposal.mode == mode)
                        .order_by(col(Proposal.id).desc()).limit(1)).first()


def _lock_event(session: Session, key: str) -> None:
    # Two bulletins of one event arriving together must not open two proposals. SQLite already runs one
    # writer at a time (coordinator.db); PostgreSQL takes a transaction lock on the event.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": zlib.crc32(key.encode()) - 2**31})


def _municipalities_of(disaster: Disaster) -> set[str]:
    return {m["code"] for m in (disaster.area or {}).get("municipalities", [])}


def _preview(area: dict[str, Any], mode: str, on: date) -> tuple[set[str], dict[str, Any]]:
    """The municipalities the area resolves to as a declaration would, and its preview (contract 4)."""
    declaration = disasters.resolve_declaration(AreaInput.model_validate(area), on=on)
    return {m.code for m in declaration.area.municipalities}, declaration_preview(declaration, mode=mode)


def _open_disaster_overlapping(session: Session, codes: set[str], mode: str,
                               drill_id: int | None) -> Disaster | None:
    query = select(Disaster).where(Disaster.mode == mode, Disaster.status == "open")
    if drill_id is not None:  # a drill run's bulletin concerns that drill only, never another exercise
        query = query.where(Disaster.id == drill_id)
    rows = session.exec(query.order_by(col(Disaster.declared_at).desc()))
    return next((d for d in rows if _municipalities_of(d) & codes), None)


def _affected(preview: dict[str, Any] | None) -> list[str]:
    """The associations a proposal's area affects (what changes the secretariat's decision, with the name)."""
    return sorted(a["id"] for a in (preview or {}).get("associations", []))


def _fill(proposal: Proposal, parsed: Parsed, bulletin_id: int, assessment: Assessment, area: dict[str, Any],
          preview: dict[str, Any]) -> None:
    proposal.kind = assessment.kind
    proposal.name = marked(assessment.name) if proposal.mode == "drill" else assessment.name
    proposal.area_input = area
    proposal.preview = preview
    proposal.assessment = {"reason_en": assessment.reason_en, "reason_ja": assessment.reason_ja,
                           "headline": assessment.headline, "places": list(assessment.places),
                           "unmapped": list(assessment.unmapped), "max_intensity": parsed.max_intensity,
                           "type_code": parsed.type_code, "title": parsed.title, "info_type": parsed.info_type,
                           "event_id": parsed.event_id, "status": parsed.status,
                           "publishing_office": parsed.publishing_office}
    proposal.bulletin_id = bulletin_id
    proposal.report_datetime = parsed.report_datetime
    proposal.serial = parsed.serial
    proposal.updated_at = utcnow()


def _withdraw(proposal: Proposal, reason_en: str, reason_ja: str) -> None:
    proposal.status = "withdrawn"
    proposal.withdraw_reason_en = reason_en
    proposal.withdraw_reason_ja = reason_ja
    proposal.updated_at = utcnow()


def _decide(session: Session, parsed: Parsed, assessment: Assessment, bulletin_id: int, mode: str,
            on: date, drill_id: int | None = None) -> Decision:
    key = assessment.event_key
    if key is not None and drill_id is not None:
        key = f"drill-{drill_id}|{key}"
    latest = _latest(session, key, mode) if key else None
    if parsed.info_type == "取消":
        if latest is not None and latest.status == "open":
            _withdraw(latest, "JMA cancelled the bulletin (取消)", "気象庁が電文を取り消しました（取消）")
            return Decision("withdrawn", assessment.reason_en, assessment.reason_ja, latest, "bulletin.withdrawn")
        if latest is not None and latest.status == "confirmed":
            latest.jma_cancelled = True
            latest.updated_at = utcnow()
            return Decision("jma_cancelled",  # fits the outcome column (24) on PostgreSQL
                            "JMA cancelled the bulletin after the declaration was confirmed: review the disaster",
                            "宣言の確定後に気象庁が電文を取り消しました。災害を見直してください", latest,
                            "bulletin.jma_cancelled")
        return Decision("not_applicable", assessment.reason_en, assessment.reason_ja)
    if not assessment.proposes:
        if latest is not None and latest.status == "open" and _newer(parsed, latest):
            _withdraw(latest, f"a later bulletin no longer meets the rules: {assessment.reason_en}",
                      f"後の電文が基準を満たさなくなりました：{assessment.reason_ja}")
            return Decision("withdrawn", assessment.reason_en, assessment.reason_ja, latest, "bulletin.withdrawn")
        return Decision("below_threshold", assessment.reason_en, assessment.reason_ja)
    if parsed.status == "試験" or (parsed.status == "訓練" and mode == "live"):
        return Decision("ignored_status", f"JMA {parsed.status} bulletin: proposes nothing {mode}",
                        f"気象庁の{parsed.status}電文のため提案しません")
    assert assessment.area is not None and key is not None
    try:
        codes, preview = _preview(assessment.area, mode, on)
    except Invalid as exc:
        return Decision("not_applicable", f"the area cannot be declared: {exc.message_en}",
                        f"この区域は宣言できません：{exc.message_ja}")
    if latest is not None and latest.status == "open":
        if not _newer(parsed, latest):
            return Decision("older", "an earlier bulletin than the one behind the open proposal: kept as is",
                            "提案のもとの電文より古い電文のため、提案は変わりません", latest)
        area = assessment.area
        if latest.action == "change_area" and latest.target_disaster_id is not None:
            target = session.get(Disaster, latest.target_disaster_id)
            area = {"municipalities": sorted(codes | (_municipalities_of(target) if target else set()))}
            codes, preview = _preview(area, mode, on)
        before = (latest.name, _affected(latest.preview))
        _fill(latest, parsed, bulletin_id, assessment, area, preview)
        latest.bulletin_count += 1
        changes = tuple(what for what, old, new in (("name", before[0], latest.name),
                                                    ("area", before[1], _affected(latest.preview))) if old != new)
        return Decision("updated", assessment.reason_en, assessment.reason_ja, latest, "bulletin.updated", changes)
    if latest is not None and latest.status == "dismissed":
        why = latest.dismiss_reason
        return Decision("dismissed_earlier", f"the secretariat dismissed this event's proposal: {why}",
                        f"事務局がこの事象の提案を却下済みです：{why}", latest)
    declared = _open_disaster_overlapping(session, codes, mode, drill_id)
    if declared is not None:
        known = _municipalities_of(declared)
        if codes <= known:
            return Decision("already_declared", f"already declared: disaster {declared.id} covers this area",
                            f"宣言済みです：災害「{declared.name}」がこの区域を含みます")
        area = {"municipalities": sorted(codes | known)}
        codes, preview = _preview(area, mode, on)
        proposal = Proposal(mode=mode, drill_id=drill_id, event_key=key, action="change_area",
                            target_disaster_id=declared.id,
                            kind=declared.kind, name=declared.name, bulletin_id=bulletin_id,
                            report_datetime=parsed.report_datetime)
        _fill(proposal, parsed, bulletin_id, assessment, area, preview)
        proposal.kind, proposal.name = declared.kind, declared.name
        return Decision("area_change", assessment.reason_en, assessment.reason_ja, proposal, "bulletin.proposed")
    proposal = Proposal(mode=mode, drill_id=drill_id, event_key=key, kind=assessment.kind, name=assessment.name,
                        bulletin_id=bulletin_id, report_datetime=parsed.report_datetime)
    _fill(proposal, parsed, bulletin_id, assessment, assessment.area, preview)
    return Decision("proposed", assessment.reason_en, assessment.reason_ja, proposal, "bulletin.proposed")


def proposal_digest(proposal: Proposal) -> dict[str, Any]:
    """What a proposal's events carry: enough to name it and link to it (the page reads the rest)."""
    assessment = proposal.assessment or {}
    preview = proposal.preview or {}
    return {"id": proposal.id, "mode": proposal.mode, "status": proposal.status, "action": proposal.action,
            "kind": proposal.kind, "name": proposal.name, "bulletin_id": proposal.bulletin_id,
            "target_disaster_id": proposal.target_disaster_id, "disaster_id": proposal.disaster_id,
            "drill_id": proposal.drill_id, "max_intensity": assessment.get("max_intensity"),
            "reason_ja": assessment.get("reason_ja"), "reason_en": assessment.get("reason_en"),
            "prefectures": [{"name_ja": p.get("name_ja"), "name_en": p.get("name_en")}
                            for p in preview.get("prefectures", [])],
            "association_count": len(preview.get("associations", [])),
            "link": f"/bulletins{'?mode=drill' if proposal.mode == 'drill' else ''}#proposal-{proposal.id}"}


def _record(session: Session, proposal: Proposal, type: str, actor: User | None, **extra: Any) -> None:
    assert proposal.id is not None
    # A proposal is the secretariat's business: bound to no disaster and naming no association, its events
    # reach only the secretariat and observers (coordinator.live.visibility). A confirmation belongs to the disaster; a
    # drill run's proposal belongs to that drill (its timeline, its purge).
    disaster_id = extra.pop("disaster_id", None) or proposal.drill_id
    record_event(session, type=type, entity="proposal", entity_id=proposal.id, disaster_id=disaster_id,
                 mode=proposal.mode, actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 associations=all_association_ids() if disaster_id is not None else [],
                 payload={"proposal": proposal_digest(proposal), **extra})


@writes
def ingest(session: Session, *, data: bytes, source: str, actor: User | None, mode: str = "live",
           max_bytes: int = DEFAULT_MAX_BYTES, today: date | None = None,
           drill_id: int | None = None) -> IngestResult:
    """Store one bulletin (once per content and mode, or per drill run) and apply it to the proposals; bad
    input stores nothing. `drill_id`: the drill run injecting it (drill mode; its proposals are that drill's)."""
    if source not in SOURCES:
        raise Invalid(f"source: one of {', '.join(SOURCES)}", f"source：{'・'.join(SOURCES)} のいずれかです",
                      field="source")
    if actor is not None:
        policy.ensure_can_ingest(actor)
    if drill_id is not None:
        drill = session.get(Disaster, drill_id)
        if drill is None or drill.mode != "drill" or mode != "drill":
            raise Invalid(f"drill_id: {drill_id} is not a drill", f"drill_id：{drill_id} は訓練ではありません",
                          field="drill_id")
    scope = f"drill-{drill_id}" if drill_id is not None else ""
    parsed = _parse(data, max_bytes)
    try:
        xml = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("body: JMA bulletins are UTF-8", "body：気象庁の電文は UTF-8 です", field="body") from exc
    sha = hashlib.sha256(data).hexdigest()
    same = (Bulletin.sha256 == sha, Bulletin.mode == mode, Bulletin.scope == scope)
    existing = session.exec(select(Bulletin).where(*same)).first()
    if existing is not None:
        return _result(session, existing, duplicate=True)
    assessment = assess(parsed, current_agreement().bulletins)
    if assessment.event_key:
        _lock_event(session, f"{scope}|{assessment.event_key}")
    bulletin = Bulletin(sha256=sha, mode=mode, scope=scope, drill_id=drill_id, source=source,
                        received_by_user_id=actor.id if actor else None,
                        type_code=parsed.type_code, title=parsed.title[:100], status=parsed.status,
                        info_type=parsed.info_type, event_id=parsed.event_id[:64], serial=parsed.serial,
                        report_datetime=parsed.report_datetime, summary=parsed.summary(), xml=xml,
                        outcome="received")
    session.add(bulletin)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()  # the same bulletin arrived twice at once: the other one stored it
        stored = session.exec(select(Bulletin).where(*same)).one()
        return _result(session, stored, duplicate=True)
    assert bulletin.id is not None
    decision = _decide(session, parsed, assessment, bulletin.id, mode, today or utcnow().date(), drill_id)
    bulletin.outcome = decision.outcome
    bulletin.reason_en = decision.reason_en[:1000]
    bulletin.reason_ja = decision.reason_ja[:1000]
    if decision.proposal is not None:
        session.add(decision.proposal)
        session.flush()
        bulletin.proposal_id = decision.proposal.id
        if decision.event is not None:
            extra: dict[str, Any] = {"bulletin_id": bulletin.id, "outcome": decision.outcome}
            if decision.event == "bulletin.jma_cancelled":
                extra["disaster_id"] = decision.proposal.disaster_id
            if decision.event == "bulletin.updated":
                extra["changes"] = list(decision.changes)
            if decision.event == "bulletin.withdrawn":
                extra.update(reason_ja=decision.proposal.withdraw_reason_ja,
                             reason_en=decision.proposal.withdraw_reason_en)
            _record(session, decision.proposal, decision.event, actor, **extra)
    session.add(bulletin)
    record_event(session, type="bulletin.received", entity="bulletin", entity_id=bulletin.id, mode=mode,
                 disaster_id=drill_id,
                 actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 payload={"bulletin_id": bulletin.id, "title": parsed.title, "outcome": decision.outcome,
                          "proposal_id": bulletin.proposal_id, "reason_ja": decision.reason_ja,
                          "reason_en": decision.reason_en})
    session.commit()
    session.refresh(bulletin)
    return _result(session, bulletin, duplicate=False)


def _result(session: Session, bulletin: Bulletin, *, duplicate: bool) -> IngestResult:
    proposal = session.get(Proposal, bulletin.proposal_id) if bulletin.proposal_id else None
    return IngestResult(duplicate=duplicate, bulletin=BulletinPublic.model_validate(bulletin),
                        proposal=ProposalPublic.model_validate(proposal) if proposal else None)


def list_proposals(session: Session, *, actor: User, mode: str = "live",
                   status: str | None = "open") -> list[Proposal]:
    """Proposals of one mode, newest first (default: the open ones)."""
    policy.ensure_can_read(actor)
    query = select(Proposal).where(Proposal.mode == mode)
    if status is not None:
        query = query.where(Proposal.status == status)
    return list(session.exec(query.order_by(col(Proposal.updated_at).desc(), col(Proposal.id).desc())))


def list_bulletins(session: Session, *, actor: User, mode: str = "live", limit: int = 50) -> list[Bulletin]:
    """The most recent stored bulletins of one mode (without their XML in the API)."""
    policy.ensure_can_read(actor)
    if not 1 <= limit <= 500:
        raise Invalid("limit: between 1 and 500", "limit：1 から 500 の範囲で指定してください", field="limit")
    return list(session.exec(select(Bulletin).where(Bulletin.mode == mode)
                             .order_by(col(Bulletin.id).desc()).limit(limit)))


def get_bulletin(session: Session, *, bulletin_id: int, actor: User) -> Bulletin:
    """One stored bulletin (with its XML)."""
    policy.ensure_can_read(actor)
    return load_or_404(session, Bulletin, bulletin_id, field="bulletin_id", what_en="bulletin", what_ja="電文")


def get_proposal(session: Session, *, proposal_id: int, actor: User) -> Proposal:
    """One proposal."""
    policy.ensure_can_read(actor)
    return load_or_404(session, Proposal, proposal_id, field="proposal_id", what_en="proposal", what_ja="提案")


def _open_proposal_of(session: Session, bulletin_id: int) -> Proposal:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None or bulletin.proposal_id is None:
        raise NotFound(f"bulletin_id: no proposal from bulletin {bulletin_id}",
                       f"bulletin_id：電文 {bulletin_id} による提案はありません", field="bulletin_id")
    proposal = session.get(Proposal, bulletin.proposal_id, with_for_update=True, populate_existing=True)
    assert proposal is not None
    if proposal.status != "open":
        raise Conflict(f"proposal {proposal.id} is {proposal.status}", _status_ja(proposal), field="status",
                       details={"status": proposal.status, "proposal_id": proposal.id})
    if proposal.bulletin_id != bulletin_id:
        raise Conflict(f"a later bulletin ({proposal.bulletin_id}) updated this proposal: review it again",
                       f"後の電文（{proposal.bulletin_id}）で提案が更新されました。もう一度確認してください",
                       field="bulletin_id", details={"bulletin_id": proposal.bulletin_id, "proposal_id": proposal.id})
    return proposal


def _status_ja(proposal: Proposal) -> str:
    words = {"confirmed": "確定済み", "dismissed": "却下済み", "withdrawn": "取り下げ済み"}
    return f"この提案は{words.get(proposal.status, proposal.status)}です"


@writes
def confirm(session: Session, *, bulletin_id: int, data: ConfirmRequest, actor: User,
            today: date | None = None) -> tuple[Proposal, Disaster]:
    """Confirm the proposal behind a bulletin: declare the disaster (or change its area) as the actor."""
    policy.ensure_can_decide(actor)
    proposal = _open_proposal_of(session, bulletin_id)
    area = data.area or AreaInput.model_validate(proposal.area_input)
    proposal.status = "confirmed"
    proposal.decided_by_user_id = actor.id
    proposal.decided_at = utcnow()
    proposal.updated_at = proposal.decided_at
    if data.area is not None:
        proposal.area_input = data.area.model_dump(mode="json", exclude_none=True)
    if proposal.action == "change_area":
        disaster = _change_area(session, proposal, area, actor)
        return proposal, disaster

    def link(disaster: Disaster) -> None:
        proposal.disaster_id = disaster.id
        proposal.name = disaster.name
        session.add(proposal)
        _record(session, proposal, "bulletin.confirmed", actor, disaster_id=disaster.id,
                bulletin_id=bulletin_id)

    name = data.name or proposal.name
    if proposal.mode == "drill":
        name = marked(name)
    create = DisasterCreate(name=name, kind=data.kind or proposal.kind, mode=proposal.mode, area=area)
    try:
        disaster = disasters.declare_disaster(session, data=create, actor=actor, today=today, before_commit=link)
    except DomainError:
        session.rollback()
        raise
    session.refresh(proposal)
    return proposal, disaster


def _change_area(session: Session, proposal: Proposal, area: AreaInput, actor: User) -> Disaster:
    """Change the declared disaster's area through the disasters service (its authority rules apply)."""
    assert proposal.target_disaster_id is not None
    proposal.disaster_id = proposal.target_disaster_id
    session.add(proposal)
    _record(session, proposal, "bulletin.confirmed", actor, disaster_id=proposal.target_disaster_id,
            bulletin_id=proposal.bulletin_id)
    reason = f"気象庁の電文による区域変更 / area change from a JMA bulletin ({proposal.assessment.get('title', '')})"
    try:
        return disasters.change_area(session, disaster_id=proposal.target_disaster_id,
                                     data=DisasterAreaChange(area=area, reason=reason), actor=actor)
    except DomainError:
        session.rollback()
        raise


@writes
def dismiss(session: Session, *, bulletin_id: int, data: DismissRequest, actor: User) -> Proposal:
    """Dismiss the proposal behind a bulletin, with the reason (kept and shown)."""
    policy.ensure_can_decide(actor)
    proposal = _open_proposal_of(session, bulletin_id)
    proposal.status = "dismissed"
    proposal.dismiss_reason = data.reason.strip()
    proposal.decided_by_user_id = actor.id
    proposal.decided_at = utcnow()
    proposal.updated_at = proposal.decided_at
    session.add(proposal)
    _record(session, proposal, "bulletin.dismissed", actor, bulletin_id=bulletin_id)
    session.commit()
    session.refresh(proposal)
    return proposal
