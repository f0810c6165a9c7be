"""Dispatch use cases: propose, move along the lifecycle, read, list, flag overdue requests.

The one entry point for the dispatch lifecycle (issue 13, item 1): every dispatch row is created and every
state is changed here, through the transition table (`transitions.py`), with its event written by the one
`_record` below. A plan commit calls `replace_proposals`.

Concurrency (issue 3, item 6: two concurrent acceptances of the same capacity, exactly one wins): every
transition locks its dispatch row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
serialises writers), re-checks the state, and writes with a conditional UPDATE on (id, state, version)
whose row count must be 1. Acceptance also locks the supplier's offers and the need, so the capacity
checks and the write happen in one serialised transaction. Locks are always taken rows first (dispatch,
offers, need) and the event table last, so no two use cases can wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from agreements import AgreementError, eligible_supporters
from coordinator.auth.models import User, as_utc
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.policy import Capacity
from coordinator.disasters.service import get_disaster, get_open_disaster
from coordinator.dispatches import policy
from coordinator.dispatches.models import Dispatch, DispatchCreate, DispatchPublic
from coordinator.dispatches.transitions import (
    ACCEPTED_STATES,
    COMMITTED_STATES,
    PROGRESS_ACTIONS,
    UNDONE_ACTION,
    DispatchAction,
    DispatchState,
    allowed_actions,
    next_state,
    state_values,
    transition_values,
)
from coordinator.errors import Conflict, InvalidTransition, invalid, load_or_404
from coordinator.events.models import Event, utcnow
from coordinator.events.service import record_event
from coordinator.needs.models import Need
from coordinator.needs.service import refresh_need_status
from coordinator.offers.models import Offer
from coordinator.reference import association_or_none, block_of, current_agreement
from coordinator.settings import get_settings

# Actions that start or widen a commitment: the disaster must still be open. Progress of people already
# committed (depart, arrive, complete), declines and cancellations stay possible after closing.
_NEEDS_OPEN_DISASTER = frozenset({DispatchAction.approve, DispatchAction.request, DispatchAction.accept})
REPLACED_REASON = "replaced by a new support plan / 新しい支援計画で置き換え"


@dataclass(frozen=True)
class Proposal:
    """A dispatch to propose: how many of a supplier's people go to which need, and why."""

    need_id: int
    requester_id: str
    supplier_id: str
    offer_id: int | None
    headcount: int
    stage: int
    distance_km: float | None
    reasons: list[dict[str, str]]
    notes: str | None = None


def actions_for(user: User, disaster: Disaster, dispatch: Dispatch) -> list[str]:
    """Exactly the actions the server would accept from this user on this dispatch now."""
    blocks = {"requester_block": block_of(dispatch.requester_id), "supplier_block": block_of(dispatch.supplier_id)}
    cost_waits = dispatch.cost_status == policy.COST_AWAITING_REQUESTER
    allowed = []
    for name in allowed_actions(dispatch.state):
        action = DispatchAction(name)
        if action in _NEEDS_OPEN_DISASTER and disaster.status != "open":
            continue
        if action == DispatchAction.depart and cost_waits:
            continue
        if action == DispatchAction.undo:
            continue  # also depends on the time since the report: undo_deadline (pages show it)
        if policy.may_act(user, disaster, dispatch, action, **blocks) is not None:
            allowed.append(name)
    if dispatch.state == DispatchState.accepted.value and cost_waits \
            and policy.cost_capacity(user, disaster, dispatch) is not None:
        allowed += ["agree_cost", "refuse_cost"]
    return allowed


def answer_deadline(dispatch: Dispatch, timeout_hours: int | None = None) -> datetime | None:
    """When a requested dispatch's answer is due (agreement [requests] answer_timeout_hours), else None."""
    if dispatch.state != DispatchState.requested.value or dispatch.requested_at is None:
        return None
    hours = timeout_hours if timeout_hours is not None else current_agreement().request_timeout_hours
    return as_utc(dispatch.requested_at) + timedelta(hours=hours)


def _jst(moment: datetime) -> str:
    return (as_utc(moment) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M JST")


def public(dispatch: Dispatch, *, actor: User | None = None, disaster: Disaster | None = None) -> DispatchPublic:
    """The public view of a dispatch: with `actor` and `disaster`, what this actor may do and who must act."""
    view = DispatchPublic.model_validate(dispatch)
    if actor is None or disaster is None:
        view.allowed_actions = allowed_actions(dispatch.state)
        return view
    view.allowed_actions = actions_for(actor, disaster, dispatch)
    deadline = answer_deadline(dispatch)
    view.answer_due_at = deadline
    view.awaiting = policy.awaiting(disaster, dispatch, requester_block=block_of(dispatch.requester_id),
                                    deadline=_jst(deadline) if deadline else None)
    return view


def views(session: Session, dispatches: list[Dispatch], *, actor: User) -> list[DispatchPublic]:
    """Public views for `actor` (allowed actions, who must act), reading each disaster once."""
    disasters: dict[int, Disaster | None] = {}
    for dispatch in dispatches:
        if dispatch.disaster_id not in disasters:
            disasters[dispatch.disaster_id] = session.get(Disaster, dispatch.disaster_id)
    return [public(d, actor=actor, disaster=disasters[d.disaster_id]) for d in dispatches]


def _payload(dispatch: Dispatch) -> dict[str, Any]:
    return DispatchPublic.model_validate(dispatch).model_dump(
        mode="json", exclude={"allowed_actions", "awaiting", "answer_due_at"})


def _record(session: Session, disaster: Disaster, dispatch: Dispatch, type: str, actor: User | None,
            extra: dict[str, Any] | None = None, capacity: Capacity | None = None) -> None:
    assert dispatch.id is not None
    record_event(session, type=type, entity="dispatch", entity_id=dispatch.id, disaster_id=disaster.id,
                 mode=disaster.mode, actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 associations=policy.event_readers(disaster, dispatch),
                 payload={**_payload(dispatch), **(extra or {})}, acted_as=capacity)


def record_dispatch_event(session: Session, *, dispatch: Dispatch, type: str,
                          extra: dict[str, Any] | None = None) -> None:
    """Add an event about a dispatch that is no state change (a reminder, an escalation) to the transaction,
    with the readers and payload its state changes get."""
    disaster = session.get(Disaster, dispatch.disaster_id)
    assert disaster is not None
    _record(session, disaster, dispatch, type, None, extra)


# ---------------------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------------------

def offered_people(session: Session, *, disaster_id: int, supplier_id: str, lock: bool = False) -> int:
    """People a supplier offers for a disaster: the sum of its active offers (locked when `lock`)."""
    query = select(Offer).where(Offer.disaster_id == disaster_id, Offer.association_id == supplier_id,
                                Offer.status == "active")
    if lock:
        query = query.with_for_update()
    return sum(offer.headcount for offer in session.exec(query))


def committed_people(session: Session, *, disaster_id: int, supplier_id: str,
                     excluding_dispatch_id: int | None = None) -> int:
    """People a supplier has accepted, en route or on site for a disaster."""
    query = select(func.coalesce(func.sum(Dispatch.headcount), 0)).where(
        Dispatch.disaster_id == disaster_id, Dispatch.supplier_id == supplier_id,
        col(Dispatch.state).in_(state_values(COMMITTED_STATES)))
    if excluding_dispatch_id is not None:
        query = query.where(Dispatch.id != excluding_dispatch_id)
    return int(session.exec(query).one())


def _need_committed_people(session: Session, need_id: int, excluding_dispatch_id: int) -> int:
    query = select(func.coalesce(func.sum(Dispatch.headcount), 0)).where(
        Dispatch.need_id == need_id, Dispatch.id != excluding_dispatch_id,
        col(Dispatch.state).in_(state_values(ACCEPTED_STATES)))
    return int(session.exec(query).one())


def _ensure_capacity(session: Session, dispatch: Dispatch, headcount: int | None = None) -> None:
    """Refuse an acceptance (of `headcount` people, default all asked) that would exceed the supplier's
    offer or the need's headcount."""
    people = headcount if headcount is not None else dispatch.headcount
    assert dispatch.id is not None
    offered = offered_people(session, disaster_id=dispatch.disaster_id, supplier_id=dispatch.supplier_id,
                             lock=True)
    need = session.exec(select(Need).where(Need.id == dispatch.need_id).with_for_update()).one()
    committed = committed_people(session, disaster_id=dispatch.disaster_id, supplier_id=dispatch.supplier_id,
                                 excluding_dispatch_id=dispatch.id)
    if committed + people > offered:
        raise Conflict(
            f"headcount: accepting {people} would exceed what {dispatch.supplier_id} offered for "
            f"this disaster ({offered} offered, {committed} already committed); offer more people first",
            f"headcount：{people}人を受諾すると{dispatch.supplier_id}の申し出人数を超えます"
            f"（申し出{offered}人、受諾済み{committed}人）。先に申し出を増やしてください",
            field="headcount", details={"offered": offered, "committed": committed,
                                        "headcount": people})
    if need.status == "cancelled":
        raise Conflict(f"need_id: need {need.id} was cancelled", f"need_id：ニーズ {need.id} は取り消されました",
                       field="need_id", details={"need_status": need.status})
    covered = _need_committed_people(session, dispatch.need_id, dispatch.id)
    if covered + people > need.headcount:
        raise Conflict(
            f"headcount: accepting {people} would exceed need {need.id}'s headcount "
            f"({need.headcount} wanted, {covered} already accepted)",
            f"headcount：{people}人を受諾するとニーズ {need.id} の必要人数を超えます"
            f"（必要{need.headcount}人、受諾済み{covered}人）",
            field="headcount", details={"need_headcount": need.headcount, "accepted": covered,
                                        "headcount": people})


# ---------------------------------------------------------------------------------------------------
# Propose
# ---------------------------------------------------------------------------------------------------

def _load_need(session: Session, disaster: Disaster, need_id: int) -> Need:
    need = load_or_404(session, Need, need_id, field="need_id", what_en="need", what_ja="ニーズ")
    if need.disaster_id != disaster.id:
        raise invalid("need_id", f"need {need_id} belongs to another disaster",
                       f"ニーズ {need_id} は別の災害のものです")
    return need


def _check_supplier(disaster: Disaster, need: Need, supplier_id: str) -> None:
    if association_or_none(supplier_id) is None or block_of(supplier_id) is None:
        raise invalid("supplier_id", f"unknown association {supplier_id!r}",
                       f"協会 {supplier_id!r} は存在しません")
    if supplier_id == need.requester_id:
        raise invalid("supplier_id", "the requesting association cannot supply itself",
                       "要請団体自身を応援団体にはできません")
    if supplier_id in disaster.affected_associations:
        # Its own staff may be victims (Chūetsu-oki 2007, DOMAIN.md): it needs help, it cannot give it.
        raise invalid("supplier_id", f"{supplier_id} is affected by this disaster",
                       f"{supplier_id} はこの災害の被災地域の協会です")


def _check_offer(session: Session, disaster: Disaster, supplier_id: str, offer_id: int | None) -> None:
    if offer_id is None:
        return
    offer = load_or_404(session, Offer, offer_id, field="offer_id", what_en="offer", what_ja="申し出")
    if offer.disaster_id != disaster.id or offer.association_id != supplier_id:
        raise invalid("offer_id", f"offer {offer_id} is not {supplier_id}'s offer for this disaster",
                       f"申し出 {offer_id} はこの災害における {supplier_id} の申し出ではありません")
    if offer.status != "active":
        raise invalid("offer_id", f"offer {offer_id} is {offer.status}",
                       f"申し出 {offer_id} は有効ではありません（{offer.status}）")


def _explain(disaster: Disaster, need: Need, supplier_id: str) -> tuple[float | None, list[dict[str, str]]]:
    """Distance and reasons for this supplier from the agreement's eligibility rule."""
    try:
        eligibility = eligible_supporters(current_agreement(), requester=need.requester_id, kind=need.kind,
                                          language=need.language, place=need.place,
                                          affected=frozenset(disaster.affected_associations),
                                          cross_block_open=True)
    except AgreementError:  # a need with a kind or language the agreement no longer lists
        return None, [{"en": "proposed by hand", "ja": "手動で提案"}]
    for candidate in eligibility.eligible:
        if candidate.association_id == supplier_id:
            reasons = [{"en": en, "ja": ja} for en, ja in zip(candidate.reasons_en, candidate.reasons_ja,
                                                               strict=True)]
            return candidate.distance_km, [*reasons, {"en": "proposed by hand", "ja": "手動で提案"}]
    return None, [{"en": "proposed by hand", "ja": "手動で提案"}]


@writes
def propose_dispatch(session: Session, *, disaster_id: int, data: DispatchCreate, actor: User,
                     now: datetime | None = None) -> Dispatch:
    """Propose by hand that a supplier sends people to a need (a coordinator or the secretariat)."""
    disaster = get_open_disaster(session, disaster_id)
    need = _load_need(session, disaster, data.need_id)
    _check_supplier(disaster, need, data.supplier_id)
    requester_block, supplier_block = block_of(need.requester_id), block_of(data.supplier_id)
    stage = 1 if requester_block == supplier_block else 2
    capacity = policy.ensure_can_propose(actor, disaster, requester_block=requester_block, stage=stage)
    if data.stage is not None and data.stage != stage:
        raise invalid("stage", f"{data.supplier_id} is a stage-{stage} supporter for {need.requester_id}",
                       f"{data.supplier_id} は {need.requester_id} に対して第{stage}段階の応援団体です",
                       stage=stage)
    if stage == 2 and not disaster.cross_block_open:
        raise Conflict("stage: cross-block (stage 2) support is not open for this disaster",
                       "stage：この災害ではブロック間（第2段階）支援がまだ開始されていません", field="stage",
                       details={"cross_block_open": False})
    if need.status != "open":
        raise Conflict(f"need_id: need {need.id} is {need.status}",
                       f"need_id：ニーズ {need.id} は {need.status} です", field="need_id",
                       details={"need_status": need.status})
    if data.headcount > need.headcount:
        raise invalid("headcount", f"more people ({data.headcount}) than the need asks for ({need.headcount})",
                       f"ニーズの必要人数（{need.headcount}人）を超えています（{data.headcount}人）",
                       need_headcount=need.headcount)
    _check_offer(session, disaster, data.supplier_id, data.offer_id)
    distance_km, reasons = _explain(disaster, need, data.supplier_id)
    assert need.id is not None
    dispatch = _insert(session, disaster, Proposal(
        need_id=need.id, requester_id=need.requester_id, supplier_id=data.supplier_id, offer_id=data.offer_id,
        headcount=data.headcount, stage=stage, distance_km=distance_km, reasons=reasons, notes=data.notes),
        actor=actor, now=now or utcnow())
    session.flush()
    session.exec(select(Need).where(Need.id == need.id).with_for_update()).one()  # rows before events
    _record(session, disaster, dispatch, "dispatch.proposed", actor, capacity=capacity)
    refresh_need_status(session, need.id)
    return dispatch


def _insert(session: Session, disaster: Disaster, proposal: Proposal, *, actor: User, now: datetime) -> Dispatch:
    """A new `proposed` dispatch row (added: the caller flushes, then writes its event)."""
    dispatch = Dispatch(disaster_id=disaster.id or 0, need_id=proposal.need_id, requester_id=proposal.requester_id,
                        supplier_id=proposal.supplier_id, offer_id=proposal.offer_id, mode=disaster.mode,
                        headcount=proposal.headcount, stage=proposal.stage, distance_km=proposal.distance_km,
                        reasons=list(proposal.reasons), state=DispatchState.proposed.value, notes=proposal.notes,
                        proposed_at=now, created_by_user_id=actor.id, version=1)
    session.add(dispatch)
    return dispatch


def _move(session: Session, dispatch: Dispatch, action: DispatchAction, *, actor: User, now: datetime,
          values: dict[str, Any]) -> bool:
    """Apply one edge of the transition table to the row as loaded: a conditional UPDATE on (id, state,
    version); False when the row changed meanwhile. InvalidTransition when the table does not allow it."""
    _, changes = transition_values(dispatch.state, action, now=now, version=dispatch.version)
    if action == DispatchAction.approve:
        changes["approved_by_user_id"] = actor.id
    result = session.execute(
        update(Dispatch)
        .where(col(Dispatch.id) == dispatch.id, col(Dispatch.state) == dispatch.state,
               col(Dispatch.version) == dispatch.version)
        .values(**values, **changes).execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def replace_proposals(session: Session, *, disaster: Disaster, replaced: Sequence[Dispatch],
                      proposals: Sequence[Proposal], actor: User, now: datetime,
                      ) -> tuple[list[Dispatch], list[Dispatch]]:
    """A plan's commit: cancel the still-proposed dispatches it replaces and propose its new ones, with their
    events, inside the caller's transaction (no commit). Returns (created, cancelled), loaded.

    Conflict when a replaced dispatch changed since the plan read it (the plan must be made again)."""
    for old in replaced:
        if not _move(session, old, DispatchAction.cancel, actor=actor, now=now,
                     values={"cancel_reason": REPLACED_REASON}):
            raise Conflict(f"dispatch {old.id} changed while the plan was committed: plan again",
                           f"計画の確定中に派遣 {old.id} が更新されました。もう一度計画してください",
                           field="plan", details={"dispatch_id": old.id})
    created = [_insert(session, disaster, proposal, actor=actor, now=now) for proposal in proposals]
    session.flush()
    cancelled = [_load(session, old.id or 0) for old in replaced]
    # Rows before events (the lock order above): lock the touched needs, then write the events.
    touched = sorted({d.need_id for d in created} | {d.need_id for d in cancelled})
    if touched:
        list(session.exec(select(Need).where(col(Need.id).in_(touched)).order_by(col(Need.id)).with_for_update()))
    for dispatch in cancelled:
        _record(session, disaster, dispatch, "dispatch.cancelled", actor, {"replaced_by_plan": True})
    for dispatch in created:
        _record(session, disaster, dispatch, "dispatch.proposed", actor, {"plan": True})
    return created, cancelled


# ---------------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------------

def _load(session: Session, dispatch_id: int, *, lock: bool = False) -> Dispatch:
    return load_or_404(session, Dispatch, dispatch_id, field="dispatch_id", what_en="dispatch", what_ja="派遣",
                       lock=lock, fresh=True)


def _action(action: str) -> DispatchAction:
    try:
        return DispatchAction(action)
    except ValueError:
        names = [a.value for a in DispatchAction]
        raise invalid("action", f"unknown action {action!r}; one of {names}",
                       f"操作 {action!r} は存在しません（{'・'.join(names)}）") from None


def _cost_policy(given: str | None) -> str:
    cost = current_agreement().cost
    if given is None:
        return str(cost.default)
    if given not in cost.allowed:
        raise invalid("cost_policy", f"{given!r} is not one of the agreement's policies {list(cost.allowed)}",
                       f"{given!r} は協定の精算方法（{'・'.join(cost.allowed)}）にありません",
                       allowed=list(cost.allowed))
    return given


def _answer_values(action: DispatchAction, *, expected_cost_yen: int | None, cost_policy: str | None,
                   reason: str | None) -> dict[str, Any]:
    """The fields an action records besides state, version and timestamp; validated."""
    if action == DispatchAction.accept:
        if expected_cost_yen is None:
            raise invalid("expected_cost_yen", "required when accepting (0 when there is no cost)",
                           "受諾時に必須です（費用がない場合は 0）")
        if expected_cost_yen < 0:
            raise invalid("expected_cost_yen", "must be 0 or more", "0 以上で入力してください")
        return {"expected_cost_yen": expected_cost_yen, "cost_policy": _cost_policy(cost_policy)}
    if action == DispatchAction.decline:
        if reason is None or not reason.strip():
            raise invalid("reason", "a reason is required to decline", "辞退には理由が必要です")
        return {"decline_reason": reason.strip()}
    if action == DispatchAction.cancel:
        return {"cancel_reason": reason.strip() if reason and reason.strip() else None}
    return {}


@writes
def transition_dispatch(session: Session, *, dispatch_id: int, action: str, actor: User,
                        expected_cost_yen: int | None = None, cost_policy: str | None = None,
                        reason: str | None = None, now: datetime | None = None,
                        confirm_cost: bool = False, headcount: int | None = None,
                        at: datetime | None = None) -> Dispatch:
    """Move a dispatch one step (approve, request, accept, decline, depart, arrive, complete, cancel, undo).

    `confirm_cost`: the supplier confirms an expected cost above the agreement's per person-day threshold.
    accept may take fewer people than asked (`headcount`): the dispatch keeps those, the rest goes back to
    the need for the next plan, and the event says so. Progress steps may carry the actual time (`at`).
    undo takes the last progress report back within settings.undo_minutes of its report.
    """
    return _transition(session, dispatch_id=dispatch_id, action=action, actor=actor,
                       expected_cost_yen=expected_cost_yen, cost_policy=cost_policy, reason=reason, now=now,
                       confirm_cost=confirm_cost, headcount=headcount, at=at)


def _cost_flag(session: Session, dispatch: Dispatch, expected_cost_yen: int, confirmed: bool,
               headcount: int | None = None) -> dict[str, Any] | None:
    """None for a cost in proportion; the figures of one out of proportion (confirmed by the supplier),
    or a 409 asking the supplier to confirm it (agreement [cost] confirm_above_yen_per_person_day)."""
    threshold = current_agreement().cost.confirm_above_yen_per_person_day
    if threshold is None:
        return None
    need = session.get(Need, dispatch.need_id)
    person_days = (headcount or dispatch.headcount) * max(1, int(getattr(need, "days", 1) or 1))
    per_person_day = expected_cost_yen / person_days
    if per_person_day <= threshold:
        return None
    figures = {"expected_cost_yen": expected_cost_yen, "person_days": person_days,
               "per_person_day_yen": round(per_person_day), "threshold_yen_per_person_day": threshold}
    if not confirmed:
        error = Conflict(
            f"expected_cost_yen: ¥{expected_cost_yen:,} is ¥{round(per_person_day):,} per person-day, above the "
            f"agreement's ¥{threshold:,}; check the figure, or confirm it with confirm_cost: true (the requester "
            "is then asked to agree before it binds them)",
            f"expected_cost_yen：¥{expected_cost_yen:,}は1人1日あたり¥{round(per_person_day):,}で、協定の目安"
            f"¥{threshold:,}を超えています。金額を確かめるか、confirm_cost: true で確定してください"
            "（その後、要請団体の同意を得てから確定します）",
            field="expected_cost_yen", details=figures)
        error.code = "confirmation_required"
        raise error
    return figures


# Reports of an actual time are accepted up to this far ahead of the server's clock (phones drift).
CLOCK_SKEW = timedelta(minutes=5)


def _actual_time(dispatch: Dispatch, action: DispatchAction, at: datetime | None, now: datetime) -> datetime:
    """When a progress step really happened: `at` when given (not in the future, not before the step
    before it), else now."""
    if at is None:
        return now
    moment = as_utc(at)
    if moment > now + CLOCK_SKEW:
        raise invalid("at", "the actual time cannot be in the future", "実際の時刻に未来の時刻は指定できません")
    before = {DispatchAction.depart: dispatch.answered_at, DispatchAction.arrive: dispatch.en_route_at,
              DispatchAction.complete: dispatch.on_site_at}.get(action)
    # Times are typed to the minute: the same minute as the step before is not "before" it.
    if before is not None and moment < as_utc(before).replace(second=0, microsecond=0):
        raise invalid("at", "the actual time cannot be before the previous step",
                       "実際の時刻は前の段階の時刻より後にしてください", previous=as_utc(before).isoformat())
    return moment


def _check_undo_window(session: Session, dispatch: Dispatch, now: datetime) -> dict[str, Any]:
    """Only the latest progress report, and only within settings.undo_minutes of when it was reported."""
    minutes = get_settings().undo_minutes
    reported = session.exec(select(Event.created_at).where(
        Event.entity == "dispatch", Event.entity_id == str(dispatch.id), Event.type == f"dispatch.{dispatch.state}")
        .order_by(col(Event.seq).desc()).limit(1)).first()
    if reported is None or now - as_utc(reported) > timedelta(minutes=minutes):
        raise Conflict(f"Too late to undo: a report can be taken back within {minutes} minutes; ask a coordinator",
                       f"取り消せるのは報告から{minutes}分以内です。幹事団体に連絡してください", field="state",
                       details={"undo_minutes": minutes, "current_state": dispatch.state})
    return {"undone": dispatch.state, "reported_at": as_utc(reported).isoformat()}


def undo_deadline(dispatch: Any, reported_at: datetime | None) -> datetime | None:
    """Until when the latest progress report of a dispatch may be taken back (None when none may be)."""
    if reported_at is None or DispatchState(dispatch.state) not in UNDONE_ACTION:
        return None
    return as_utc(reported_at) + timedelta(minutes=get_settings().undo_minutes)



def _transition(session: Session, *, dispatch_id: int, action: str, actor: User, expected_cost_yen: int | None,
                cost_policy: str | None, reason: str | None, now: datetime | None,
                confirm_cost: bool = False, headcount: int | None = None, at: datetime | None = None) -> Dispatch:
    parsed = _action(action)
    dispatch = _load(session, dispatch_id, lock=True)
    disaster = session.get(Disaster, dispatch.disaster_id)
    assert disaster is not None and dispatch.id is not None
    capacity = policy.ensure_can_act(actor, disaster, dispatch, parsed,
                                     requester_block=block_of(dispatch.requester_id),
                                     supplier_block=block_of(dispatch.supplier_id))
    target = next_state(dispatch.state, parsed)
    if parsed in _NEEDS_OPEN_DISASTER:
        get_open_disaster(session, disaster.id or 0)
    values = _answer_values(parsed, expected_cost_yen=expected_cost_yen, cost_policy=cost_policy,
                            reason=reason)
    if parsed == DispatchAction.depart and dispatch.cost_status == policy.COST_AWAITING_REQUESTER:
        raise Conflict("cost_status: the requester has not agreed to the expected cost yet; the people depart "
                       "once it has", "cost_status：見込み費用に要請団体がまだ同意していません。同意後に出発できます",
                       field="cost_status", details={"cost_status": dispatch.cost_status})
    flagged = None
    moment = now or utcnow()
    extra: dict[str, Any] = {}
    if parsed == DispatchAction.accept:
        accepted = dispatch.headcount if headcount is None else headcount
        if not 1 <= accepted <= dispatch.headcount:
            raise invalid("accepted_headcount", f"between 1 and the {dispatch.headcount} people asked",
                           f"1 から依頼人数（{dispatch.headcount}人）の間で指定してください",
                           asked=dispatch.headcount)
        flagged = _cost_flag(session, dispatch, values["expected_cost_yen"], confirm_cost, accepted)
        if flagged is not None:
            values["cost_status"] = policy.COST_AWAITING_REQUESTER
        _ensure_capacity(session, dispatch, accepted)
        if accepted < dispatch.headcount:
            # Partial acceptance: the dispatch keeps the people accepted; the others go back to the need,
            # whose unmet people the next plan covers (issue 15 item 1).
            values["headcount"] = accepted
            extra = {"asked_headcount": dispatch.headcount, "accepted_headcount": accepted,
                     "returned_headcount": dispatch.headcount - accepted}
    else:
        session.exec(select(Need).where(Need.id == dispatch.need_id).with_for_update()).one()
    if parsed == DispatchAction.undo:
        extra = _check_undo_window(session, dispatch, moment)
    stamp = _actual_time(dispatch, parsed, at, moment) if parsed in PROGRESS_ACTIONS else moment
    if parsed in PROGRESS_ACTIONS and at is not None:
        extra = {"actual_at": stamp.isoformat(), "reported_at": moment.isoformat()}
    if not _move(session, dispatch, parsed, actor=actor, now=stamp, values=values):
        # Not reachable while the row lock above holds; kept as the optimistic lock's last word.
        now_state = _load(session, dispatch_id).state
        raise InvalidTransition(
            f"The dispatch changed meanwhile; it is now {now_state}",
            f"この派遣は他の操作で更新されました（現在の状態：{now_state}）", field="state",
            details={"current_state": now_state, "allowed": allowed_actions(now_state)})
    dispatch = _load(session, dispatch_id)
    event_type = "dispatch.undone" if parsed == DispatchAction.undo else f"dispatch.{target.value}"
    _record(session, disaster, dispatch, event_type, actor, extra or None, capacity=capacity)
    if flagged is not None:
        # Told to the requester (its staff read the dispatch's events) before the cost binds it.
        _record(session, disaster, dispatch, "dispatch.cost_flagged", actor, {"cost": flagged}, capacity=capacity)
    refresh_need_status(session, dispatch.need_id)
    return dispatch


@writes
def answer_cost(session: Session, *, dispatch_id: int, actor: User, agree: bool, reason: str | None = None,
                now: datetime | None = None) -> Dispatch:
    """The requester agrees to a flagged cost (it binds them; people may depart) or refuses it (cancelled)."""
    dispatch = _load(session, dispatch_id, lock=True)
    disaster = session.get(Disaster, dispatch.disaster_id)
    assert disaster is not None and dispatch.id is not None
    capacity = policy.ensure_can_answer_cost(actor, disaster, dispatch)
    waiting = dispatch.cost_status == policy.COST_AWAITING_REQUESTER
    if dispatch.state != DispatchState.accepted.value or not waiting:
        raise InvalidTransition("cost_status: this dispatch has no cost waiting for the requester",
                                "cost_status：この派遣には要請団体の同意待ちの費用がありません",
                                field="cost_status",
                                details={"current_state": dispatch.state, "cost_status": dispatch.cost_status})
    when = now or utcnow()
    session.exec(select(Need).where(Need.id == dispatch.need_id).with_for_update()).one()
    if agree:  # no change of state: only the cost now binds the requester
        session.execute(update(Dispatch)
                        .where(col(Dispatch.id) == dispatch.id, col(Dispatch.version) == dispatch.version)
                        .values(cost_status=policy.COST_AGREED, cost_confirmed_at=when,
                                cost_confirmed_by=actor.id, version=dispatch.version + 1)
                        .execution_options(synchronize_session=False))
        type, extra = "dispatch.cost_agreed", {}
    else:
        if reason is None or not reason.strip():
            raise invalid("reason", "say why the cost is refused", "費用を断る理由を入力してください")
        _move(session, dispatch, DispatchAction.cancel, actor=actor, now=when, values={
            "cost_status": "refused_by_requester",
            "cancel_reason": f"cost refused by the requester: {reason.strip()}"})
        type, extra = "dispatch.cancelled", {"cost_refused": True}
    dispatch = _load(session, dispatch_id)
    _record(session, disaster, dispatch, type, actor, extra, capacity=capacity)
    refresh_need_status(session, dispatch.need_id)
    return dispatch


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------

def get_dispatch(session: Session, *, dispatch_id: int, actor: User) -> Dispatch:
    """One dispatch, if the actor may read it."""
    dispatch = _load(session, dispatch_id)
    disaster = get_disaster(session, disaster_id=dispatch.disaster_id, actor=actor)
    policy.ensure_can_read(actor, disaster, dispatch)
    return dispatch


def list_dispatches(session: Session, *, disaster_id: int, actor: User, state: str | None = None,
                    overdue: bool | None = None, supplier_id: str | None = None,
                    need_id: int | None = None) -> list[Dispatch]:
    """The disaster's dispatches the actor may read, oldest first (only this disaster, hence its mode)."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    query = select(Dispatch).where(Dispatch.disaster_id == disaster_id, Dispatch.mode == disaster.mode)
    if state is not None:
        query = query.where(Dispatch.state == state)
    if overdue is not None:
        query = query.where(Dispatch.overdue == overdue)
    if supplier_id is not None:
        query = query.where(Dispatch.supplier_id == supplier_id)
    if need_id is not None:
        query = query.where(Dispatch.need_id == need_id)
    rows = session.exec(query.order_by(col(Dispatch.id)))
    return [d for d in rows if policy.can_read(actor, disaster, d)]


# ---------------------------------------------------------------------------------------------------
# Overdue requests
# ---------------------------------------------------------------------------------------------------

def _escalation(disaster: Disaster, dispatch: Dispatch) -> dict[str, Any]:
    """Who is reminded and to whom the overdue request escalates: its approver's role."""
    if dispatch.stage == 2:
        return {"remind": dispatch.supplier_id, "escalate_to": "secretariat",
                "escalate_to_association": (disaster.acting_roles.get("secretariat") or {}).get("id")}
    block = block_of(dispatch.requester_id)
    coordinator = ((disaster.acting_roles.get("coordinators") or {}).get(block or "") or {})
    return {"remind": dispatch.supplier_id, "escalate_to": "block_coordinator", "block": block,
            "escalate_to_association": coordinator.get("association_id")}


@writes
def mark_overdue(session: Session, now: datetime | None = None, *,
                 timeout_hours: int | None = None) -> list[Dispatch]:
    """Flag requests unanswered past the agreement's timeout (event "dispatch.overdue"); never accepts.

    Source of the timeout: agreement [requests] answer_timeout_hours. Returns the dispatches flagged now.
    """
    now = as_utc(now or utcnow())
    hours = timeout_hours if timeout_hours is not None else current_agreement().request_timeout_hours
    timeout = timedelta(hours=hours)
    waiting = session.exec(
        select(Dispatch).join(Disaster, col(Disaster.id) == col(Dispatch.disaster_id))
        .where(Dispatch.state == DispatchState.requested.value, Dispatch.overdue == False,  # noqa: E712
               Disaster.status == "open")
        .order_by(col(Dispatch.id)).execution_options(populate_existing=True)).all()
    due = [d for d in waiting if d.requested_at is not None and as_utc(d.requested_at) + timeout <= now]
    flagged: list[Dispatch] = []
    for dispatch in due:  # all row updates first, the events after (see the module docstring)
        assert dispatch.requested_at is not None
        result = session.execute(
            update(Dispatch)
            .where(col(Dispatch.id) == dispatch.id, col(Dispatch.state) == DispatchState.requested.value,
                   col(Dispatch.version) == dispatch.version)
            .values(overdue=True, overdue_since=as_utc(dispatch.requested_at) + timeout,
                    version=dispatch.version + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            flagged.append(dispatch)
    refreshed = []
    for dispatch in flagged:
        assert dispatch.id is not None
        fresh = _load(session, dispatch.id)
        disaster = session.get(Disaster, fresh.disaster_id)
        assert disaster is not None
        _record(session, disaster, fresh, "dispatch.overdue", None,
                {"timeout_hours": hours, **_escalation(disaster, fresh)})
        refreshed.append(fresh)
    return refreshed
