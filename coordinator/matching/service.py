"""Plan use cases: read one disaster's state into solver inputs, solve, and commit the proposals.

Decisions (documented in docs/matching.md):
- Needs: the disaster's open needs. People in PENDING_STATES dispatches (`approved`, `requested`, and
  `proposed` ones this commit would not replace) are pending (taken off the need and the supplier's
  capacity); ACCEPTED_STATES (`accepted`, `en_route`, `on_site`, `completed`) are fixed (`Fixed`: they
  cover the need and use capacity); WITHDRAWN_STATES (`declined`, `cancelled`) free them.
- Still-`proposed` dispatches are replaced: the plan is made as if they were not there, and a commit
  cancels them (event `dispatch.cancelled`) in the same transaction as the new proposals, through the
  dispatches service (`replace_proposals`, the lifecycle's one entry point). A block
  coordinator's commit replaces only the proposals it could have made (stage 1, its own block's needs);
  other proposed dispatches stay and count as pending for its plan.
- Supplies: the disaster's active offers, plus the standing capacity (normal-time register) of every
  association that has no offer at all for this disaster (a withdrawn offer means "not this time").
  Standing capacity has no date limit and is marked "not yet confirmed": accepting such a proposal needs
  an offer first (the dispatches service checks acceptances against offers).
- Only this disaster's rows are read (needs, offers and dispatches by disaster id and mode), so a drill
  and a live disaster never mix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from agreements import AgreementError, Capability, eligible_supporters
from agreements.index import index_of
from coordinator.auth.models import User
from coordinator.disasters.models import Disaster
from coordinator.disasters.reference import current_agreement
from coordinator.disasters.service import get_disaster, get_open_disaster
from coordinator.dispatches import policy as dispatch_policy
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import Proposal, replace_proposals
from coordinator.dispatches.transitions import ACCEPTED_STATES, PENDING_STATES, DispatchState
from coordinator.errors import Invalid
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.matching import policy
from coordinator.matching.models import (
    PlanProposal,
    PlanPublic,
    PlanTotals,
    PlanUnmet,
    Text,
)
from coordinator.matching.network import CandidateVector, build_arcs
from coordinator.matching.solver import solve
from coordinator.matching.types import Fixed, MatchingInputError, NeedInput, Plan, SupplyInput
from coordinator.needs.models import Need
from coordinator.offers.models import Offer, StandingCapacity

STANDING_REASON = ("standing capacity, not yet confirmed: registered in normal times; the association has "
                   "made no offer for this disaster yet (an offer is needed before it can accept)",
                   "平常時登録の対応可能人数（未確認）：この災害への申し出はまだありません（受諾には申し出が必要です）")
PLAN_REASON = ("proposed by the support plan (ouen matching)", "支援計画による提案")


@dataclass
class _SupplyRow:
    """Where a solver supply came from."""

    association_id: str
    offer_id: int | None
    source: str


@dataclass
class PlanInputs:
    """One disaster's state as solver inputs, with the rows they came from."""

    needs: list[NeedInput] = field(default_factory=list)
    supplies: list[SupplyInput] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)
    need_rows: dict[str, Need] = field(default_factory=dict)
    supply_rows: dict[str, _SupplyRow] = field(default_factory=dict)
    replaced: list[Dispatch] = field(default_factory=list)
    people_asked: int = 0
    people_fixed: int = 0
    people_pending: int = 0


@dataclass
class PlanResult:
    """A plan for a disaster, and the dispatches a commit created (empty for a dry run)."""

    public: PlanPublic
    dispatches: list[Dispatch] = field(default_factory=list)


def need_key(need_id: int) -> str:
    """The solver id of a need row."""
    return f"need:{need_id}"


def _block_of(agreement: Any, association_id: str) -> str | None:
    try:
        return str(agreement.block_of(association_id).id)
    except AgreementError:
        return None


def _replaceable(dispatch: Dispatch, scope: frozenset[str] | None, agreement: Any) -> bool:
    """A still-proposed dispatch this actor's commit would replace (what it could have proposed itself)."""
    if dispatch.state != DispatchState.proposed.value:
        return False
    return policy.withheld_reason(scope, requester_block=_block_of(agreement, dispatch.requester_id),
                                  stage=dispatch.stage) is None


def gather_inputs(session: Session, *, disaster: Disaster, agreement: Any,
                  scope: frozenset[str] | None) -> PlanInputs:
    """Read the disaster's needs, offers, standing capacity and dispatches into solver inputs."""
    assert disaster.id is not None
    inputs = PlanInputs()
    needs = list(session.exec(select(Need).where(Need.disaster_id == disaster.id, Need.mode == disaster.mode,
                                                 Need.status == "open").order_by(col(Need.id))))
    offers = list(session.exec(select(Offer).where(Offer.disaster_id == disaster.id,
                                                   Offer.mode == disaster.mode).order_by(col(Offer.id))))
    dispatches = list(session.exec(select(Dispatch).where(Dispatch.disaster_id == disaster.id,
                                                          Dispatch.mode == disaster.mode)
                                   .order_by(col(Dispatch.id))))
    offered = {o.association_id for o in offers}
    affected = set(disaster.affected_associations)
    standing = [row for row in session.exec(select(StandingCapacity).order_by(col(StandingCapacity.id)))
                if row.association_id not in offered and row.association_id not in affected]

    headcount: dict[str, int] = {}
    for need in needs:
        key = need_key(need.id or 0)
        inputs.need_rows[key] = need
        headcount[key] = need.headcount
        inputs.people_asked += need.headcount
    capacity: dict[str, int] = {}
    by_supplier: dict[str, list[str]] = defaultdict(list)
    windows: dict[str, tuple[Any, Any, frozenset[str], frozenset[str]]] = {}
    for offer in offers:
        if offer.status != "active":
            continue
        key = f"offer:{offer.id}"
        inputs.supply_rows[key] = _SupplyRow(offer.association_id, offer.id, "offer")
        capacity[key] = offer.headcount
        windows[key] = (offer.available_from, offer.available_until,
                        frozenset(t.lower() for t in offer.languages), frozenset(offer.kinds))
        by_supplier[offer.association_id].append(key)
    for row in standing:
        key = f"standing:{row.id}"
        inputs.supply_rows[key] = _SupplyRow(row.association_id, None, "standing_capacity")
        capacity[key] = row.headcount
        windows[key] = (None, None, frozenset({row.language.lower()}), frozenset(row.kinds))
        by_supplier[row.association_id].append(key)

    fixed: dict[tuple[str, str], int] = defaultdict(int)
    fixed_used: dict[str, int] = defaultdict(int)
    for dispatch in dispatches:
        pending = dispatch.state in PENDING_STATES and not _replaceable(dispatch, scope, agreement)
        is_fixed = dispatch.state in ACCEPTED_STATES  # completed ones too: they cover the need (issue 4)
        if dispatch.state == DispatchState.proposed.value and not pending:
            inputs.replaced.append(dispatch)
        if not (pending or is_fixed):
            continue
        key = need_key(dispatch.need_id)
        if pending:
            inputs.people_pending += dispatch.headcount
            if key in headcount:
                headcount[key] = max(0, headcount[key] - dispatch.headcount)
            _consume(capacity, fixed_used, by_supplier, dispatch, None)
        else:
            inputs.people_fixed += dispatch.headcount
            # Fixed people cover their need and use the supplier's capacity: through `Fixed` when the need
            # is planned (the solver also counts them for load and counterparts), else directly.
            _consume(capacity, fixed_used, by_supplier, dispatch, fixed if key in headcount else None)
    for (need, supply), people in sorted(fixed.items()):
        if supply not in capacity:  # a supplier with no offer and no standing capacity left on record
            inputs.supply_rows[supply] = _SupplyRow(supply.split(":", 1)[1], None, "fixed")
            capacity[supply] = 0
            windows[supply] = (None, None, frozenset(), frozenset())
        inputs.fixed.append(Fixed(need, supply, people))

    for key, need in inputs.need_rows.items():
        inputs.needs.append(NeedInput(
            id=key, requester=need.requester_id, kind=need.kind, language=need.language.lower(),
            headcount=headcount[key], start=need.start, days=need.days, place=need.place, remote=need.remote))
    for key, row in inputs.supply_rows.items():
        since, until, languages, kinds = windows[key]
        inputs.supplies.append(SupplyInput(id=key, association_id=row.association_id, languages=languages,
                                           kinds=kinds, headcount=capacity[key], available_from=since,
                                           available_until=until))
    return inputs


def _consume(capacity: dict[str, int], fixed_used: dict[str, int], by_supplier: dict[str, list[str]],
             dispatch: Dispatch, fixed: dict[tuple[str, str], int] | None) -> None:
    """Take a dispatch's people off its supplier's capacity: its own offer first, then the supplier's other
    supplies in order. With `fixed`, record them as Fixed people of (need, supply) instead (the solver
    subtracts those itself); people no supply can hold are put on the first one (the solver clamps at 0)."""
    own = f"offer:{dispatch.offer_id}" if dispatch.offer_id is not None else None
    order = ([own] if own in capacity else []) + [k for k in by_supplier.get(dispatch.supplier_id, []) if k != own]
    need = need_key(dispatch.need_id)
    left = dispatch.headcount
    for key in order:
        take = min(left, capacity[key] - fixed_used[key])
        if take <= 0:
            continue
        if fixed is None:
            capacity[key] -= take
        else:
            fixed[(need, key)] += take
            fixed_used[key] += take
        left -= take
        if left == 0:
            break
    if left and fixed is not None:
        fixed[(need, order[0] if order else f"fixed:{dispatch.supplier_id}")] += left


def eligibility_for(agreement: Any, affected: frozenset[str], capabilities: Mapping[str, Capability] | None = None,
                    ) -> Callable[[NeedInput], CandidateVector]:
    """Eligibility as one CandidateVector per (requester, kind, language, place) from the agreement's rules,
    with every stage-2 candidate included (the solver applies the real cross-block state). `capabilities`
    (what each association offers) lets the agreement say why an association is or is not eligible."""
    universe = tuple(index_of(agreement).association_ids)
    position = {a: i for i, a in enumerate(universe)}
    nobody = CandidateVector.from_candidates(universe, position, ())
    cache: dict[tuple[Any, ...], CandidateVector] = {}

    def eligibility(need: NeedInput) -> CandidateVector:
        key = (need.requester, need.kind, need.language, need.place, need.remote)
        found = cache.get(key)
        if found is None:
            try:
                answer = eligible_supporters(agreement, requester=need.requester, kind=need.kind,
                                             language=need.language, place=need.place, affected=affected,
                                             cross_block_open=True, capabilities=capabilities)
                found = CandidateVector.from_candidates(universe, position, answer.eligible)
                if need.remote:
                    found.distance_km = np.zeros_like(found.distance_km)
            except AgreementError:
                # A language or kind the agreement does not list: nobody is eligible, the need is reported
                # unmet ("no_eligible_supporter") instead of failing the whole plan.
                found = nobody
            cache[key] = found
        return found

    return eligibility


def _text(en: str, ja: str) -> Text:
    return Text(en=en, ja=ja)


def _reasons(en: tuple[str, ...], ja: tuple[str, ...]) -> list[Text]:
    return [_text(e, j) for e, j in zip_longest(en, ja, fillvalue="")]


def _solve(inputs: PlanInputs, *, agreement: Any, disaster: Disaster) -> Plan:
    """Network from the agreement's eligibility, then the solver; bad input is Invalid naming the field."""
    try:
        capabilities: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        for supply in inputs.supplies:
            capabilities[supply.association_id][0].update(supply.languages)
            capabilities[supply.association_id][1].update(supply.kinds)
        eligibility = eligibility_for(agreement, frozenset(disaster.affected_associations), {
            a: Capability(frozenset(languages), frozenset(kinds)) for a, (languages, kinds) in capabilities.items()})
        arcs = build_arcs(inputs.needs, inputs.supplies, eligibility)
        return solve(inputs.needs, inputs.supplies, arcs, cross_block_open=disaster.cross_block_open,
                     fixed=inputs.fixed, counterpart_mode=bool(agreement.counterpart_mode),
                     partner_order=agreement.partner_order)
    except MatchingInputError as exc:
        raise Invalid(f"{exc.field}: {exc.message_en}", f"{exc.field}：{exc.message_ja}",
                      field=exc.field) from exc


def _recommendation(plan: Plan, disaster: Disaster) -> Text | None:
    if not plan.recommend_open_cross_block:
        return None
    people = sum(u.headcount for u in plan.unmet if u.code in ("no_language_in_block", "cross_block_closed"))
    return _text(f"Stage 1 (inside the affected block) cannot cover {people} people that supporters in other "
                 "blocks could: the secretariat should open cross-block support "
                 f"(POST /api/v1/disasters/{disaster.id}/cross-block) and plan again.",
                 f"第1段階（被災ブロック内）では{people}人分を満たせませんが、他ブロックの協会なら対応できます。"
                 "事務局がブロック間支援を開始し、再度計画してください。")


def _public(disaster: Disaster, agreement: Any, inputs: PlanInputs, plan: Plan, scope: frozenset[str] | None,
            *, committed: bool) -> PlanPublic:
    """The plan in API form: each proposal says whether this actor may commit it, and why not."""
    proposals: list[PlanProposal] = []
    for p in plan.proposals:
        need = inputs.need_rows[p.need_id]
        row = inputs.supply_rows[p.supply_id]
        en, ja = p.reasons_en, p.reasons_ja
        if row.source == "standing_capacity":
            en, ja = (*en, STANDING_REASON[0]), (*ja, STANDING_REASON[1])
        withheld = policy.withheld_reason(scope, requester_block=_block_of(agreement, need.requester_id),
                                          stage=p.stage)
        proposals.append(PlanProposal(
            need_id=need.id or 0, requester_id=need.requester_id, supplier_id=row.association_id,
            offer_id=row.offer_id, source=row.source, kind=need.kind, language=need.language,
            headcount=p.headcount, stage=p.stage, distance_km=round(p.distance_km, 1),
            reasons=_reasons(en, ja), committable=withheld is None,
            withheld_reason=_text(*withheld) if withheld else None))
    unmet = [PlanUnmet(need_id=inputs.need_rows[u.need_id].id or 0,
                       requester_id=inputs.need_rows[u.need_id].requester_id, headcount=u.headcount,
                       code=u.code, reason=_text(u.reason_en, u.reason_ja)) for u in plan.unmet]
    notes: list[Text] = []
    held = [p for p in proposals if not p.committable]
    if held:
        people = sum(p.headcount for p in held)
        notes.append(_text(
            f"{len(held)} proposals ({people} people) are shown but cannot be committed by a block coordinator: "
            "stage 2 belongs to the secretariat, and other blocks' needs to their own coordinators.",
            f"{len(held)}件（{people}人）の提案は表示のみで、ブロック幹事団体は確定できません。"
            "第2段階は事務局、他ブロックのニーズはそのブロックの幹事団体が担当します。"))
    if any(p.source == "standing_capacity" for p in proposals):
        notes.append(_text("Some proposals use standing capacity (registered in normal times, not yet confirmed "
                           "for this disaster): the association must offer before it can accept.",
                           "平常時登録の対応可能人数（未確認）による提案があります。受諾の前に申し出が必要です。"))
    committable = sum(1 for p in proposals if p.committable)
    totals = PlanTotals(
        open_needs=len(inputs.needs), people_asked=inputs.people_asked, people_fixed=inputs.people_fixed,
        people_pending=inputs.people_pending, people_to_plan=plan.covered + sum(u.headcount for u in plan.unmet),
        covered=plan.covered, unmet=sum(u.headcount for u in plan.unmet),
        cross_block_people=plan.cross_block_people, total_km=round(plan.total_km, 1),
        proposals=len(proposals), committable_proposals=committable)
    return PlanPublic(
        disaster_id=disaster.id or 0, mode=disaster.mode, committed=committed,
        cross_block_open=disaster.cross_block_open, counterpart_mode=bool(agreement.counterpart_mode),
        proposals=proposals, unmet=unmet, recommend_open_cross_block=plan.recommend_open_cross_block,
        recommendation=_recommendation(plan, disaster), totals=totals,
        replaces=sorted(d.id or 0 for d in inputs.replaced), notes=notes, solve_ms=round(plan.solve_ms, 2))


def make_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None) -> PlanResult:
    """Dry run: the plan for the disaster's current state, as this actor would commit it (nothing written)."""
    try:
        disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
        policy.ensure_can_plan(actor, disaster)
        agreement = agreement or current_agreement()
        scope = policy.plan_scope(actor, disaster)
        inputs = gather_inputs(session, disaster=disaster, agreement=agreement, scope=scope)
        plan = _solve(inputs, agreement=agreement, disaster=disaster)
        return PlanResult(_public(disaster, agreement, inputs, plan, scope, committed=False))
    finally:
        session.rollback()  # end the read transaction at once (on SQLite it holds the write lock)


def commit_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None,
                now: datetime | None = None, via: str = "api") -> PlanResult:
    """Plan and create the committable proposals as `proposed` dispatches, cancelling the still-proposed
    dispatches they replace, all in one transaction with their events (never partially)."""
    try:
        return _commit(session, disaster_id=disaster_id, actor=actor, agreement=agreement, now=now, via=via)
    except BaseException:
        session.rollback()
        raise


def _commit(session: Session, *, disaster_id: int, actor: User, agreement: Any | None, now: datetime | None,
            via: str) -> PlanResult:
    # The disaster row is locked first (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
    # writers already), so two commits of the same disaster's plan run one after the other.
    disaster = get_open_disaster(session, disaster_id, lock=True)
    policy.ensure_can_plan(actor, disaster)
    agreement = agreement or current_agreement()
    scope = policy.plan_scope(actor, disaster)
    inputs = gather_inputs(session, disaster=disaster, agreement=agreement, scope=scope)
    plan = _solve(inputs, agreement=agreement, disaster=disaster)
    public = _public(disaster, agreement, inputs, plan, scope, committed=True)
    when = now or utcnow()

    committable = [p for p in public.proposals if p.committable]
    created, cancelled = replace_proposals(
        session, disaster=disaster, replaced=inputs.replaced, actor=actor, now=when, proposals=[Proposal(
            need_id=p.need_id, requester_id=p.requester_id, supplier_id=p.supplier_id, offer_id=p.offer_id,
            headcount=p.headcount, stage=p.stage, distance_km=p.distance_km,
            reasons=[*(r.model_dump() for r in p.reasons), {"en": PLAN_REASON[0], "ja": PLAN_REASON[1]}])
            for p in committable])
    for proposal, dispatch in zip(committable, created, strict=True):
        proposal.dispatch_id = dispatch.id
    record_event(session, type="plan.committed", entity="plan", entity_id=disaster.id or 0,
                 disaster_id=disaster.id, mode=disaster.mode, actor_user_id=actor.id,
                 actor_association_id=actor.association_id,
                 associations=sorted({a for d in [*created, *cancelled]
                                      for a in dispatch_policy.event_readers(disaster, d)}),
                 payload={"via": via, "totals": public.totals.model_dump(),
                          "dispatch_ids": [d.id for d in created], "cancelled_ids": [d.id for d in cancelled],
                          "recommend_open_cross_block": public.recommend_open_cross_block,
                          "cross_block_open": disaster.cross_block_open,
                          "unmet": [u.model_dump() for u in public.unmet]})
    session.flush()
    for dispatch in [*created, *cancelled]:
        session.expunge(dispatch)
    session.commit()
    return PlanResult(public, created)

