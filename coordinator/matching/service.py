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

import hashlib
import json
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
from coordinator.errors import Conflict, Forbidden, Invalid
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.matching import policy
from coordinator.matching.declined import DeclinedPair, declined_pairs, release_pair
from coordinator.matching.models import (
    DeclinedPairPublic,
    ExistingDispatch,
    PlanProposal,
    PlanPublic,
    PlanTotals,
    PlanUnmet,
    Text,
)
from coordinator.matching.network import CandidateVector, build_arcs
from coordinator.matching.preview import (
    ACTION_LABELS,
    LIFTED_LABELS,
    PARTNER_ORDER_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    ExistingAction,
    Labels,
    existing_actions,
)
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
    declined: list[DeclinedPair] = field(default_factory=list)
    labels: Labels | None = None


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
    inputs.declined = declined_pairs(session, disaster, dispatches, offers)
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
        excluded = {(need_key(p.dispatch.need_id), p.dispatch.supplier_id) for p in inputs.declined if p.excluded}
        arcs = build_arcs(inputs.needs, inputs.supplies, eligibility, excluded=excluded)
        inputs.labels = inputs.labels or Labels(agreement)
        return solve(inputs.needs, inputs.supplies, arcs, cross_block_open=disaster.cross_block_open,
                     fixed=inputs.fixed, counterpart_mode=bool(agreement.counterpart_mode),
                     partner_order=agreement.partner_order, names=inputs.labels.names())
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
            *, committed: bool, actor: User | None = None) -> PlanPublic:
    """The plan in API form: each proposal with names and labels, whether this actor may commit it (and why
    not), and what a commit does to the still-proposed dispatches (docs/matching.md, "Plan preview")."""
    labels = inputs.labels or Labels(agreement)
    supplies = {s.id: s for s in inputs.supplies}
    proposals: list[PlanProposal] = []
    for p in plan.proposals:
        need = inputs.need_rows[p.need_id]
        row = inputs.supply_rows[p.supply_id]
        supply = supplies[p.supply_id]
        en, ja = p.reasons_en, p.reasons_ja
        if row.source == "standing_capacity":
            en, ja = (*en, STANDING_REASON[0]), (*ja, STANDING_REASON[1])
        withheld = policy.withheld_reason(scope, requester_block=policy.block_of(agreement, need.requester_id),
                                          stage=p.stage)
        proposals.append(PlanProposal(
            key=f"n{need.id}:{p.supply_id}", need_id=need.id or 0, requester_id=need.requester_id,
            supplier_id=row.association_id, offer_id=row.offer_id, source=row.source,
            source_label=SOURCE_LABELS.get(row.source, Text(ja=row.source, en=row.source)), kind=need.kind,
            language=need.language, requester=labels.association(need.requester_id),
            supplier=labels.association(row.association_id), need=labels.need(need), headcount=p.headcount,
            stage=p.stage, stage_label=STAGE_LABELS[p.stage], partner_rank=p.partner_rank,
            distance_km=round(p.distance_km, 1), available_from=supply.available_from,
            available_until=supply.available_until, reasons=_reasons(en, ja), committable=withheld is None,
            withheld_reason=_text(*withheld) if withheld else None))
    excluded = [pair for pair in inputs.declined if pair.excluded]
    declined_by: dict[int, list[str]] = defaultdict(list)
    for pair in excluded:
        declined_by[pair.dispatch.need_id].append(pair.dispatch.supplier_id)
    unmet = [_unmet(u, inputs.need_rows[u.need_id], labels, declined_by) for u in plan.unmet]
    actions = existing_actions(proposals, inputs.replaced)
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
    if excluded:
        notes.append(_text(f"{len(excluded)} supporter–need pairs are left out because the supporter declined "
                           "that need; they come back when the supporter offers again or someone puts them back.",
                           f"辞退があった{len(excluded)}件の組み合わせは提案していません。支援協会が改めて申し出るか、"
                           "担当者が計画に戻すと対象になります。"))
    committable = sum(1 for p in proposals if p.committable)
    totals = PlanTotals(
        open_needs=len(inputs.needs), people_asked=inputs.people_asked, people_fixed=inputs.people_fixed,
        people_pending=inputs.people_pending, people_to_plan=plan.covered + sum(u.headcount for u in plan.unmet),
        covered=plan.covered, unmet=sum(u.headcount for u in plan.unmet),
        cross_block_people=plan.cross_block_people, total_km=round(plan.total_km, 1),
        proposals=len(proposals), committable_proposals=committable,
        stage1_people=sum(p.headcount for p in proposals if p.stage == 1),
        stage2_people=sum(p.headcount for p in proposals if p.stage == 2),
        new_proposals=sum(1 for p in proposals if p.committable and p.existing_dispatch_id is None),
        kept=sum(1 for a in actions if a.action == "keep"),
        replaced=sum(1 for a in actions if a.action == "replace"),
        cancelled=sum(1 for a in actions if a.action == "cancel"))
    return PlanPublic(
        disaster_id=disaster.id or 0, mode=disaster.mode, committed=committed,
        cross_block_open=disaster.cross_block_open, counterpart_mode=bool(agreement.counterpart_mode),
        proposals=proposals, unmet=unmet, recommend_open_cross_block=plan.recommend_open_cross_block,
        recommendation=_recommendation(plan, disaster), totals=totals,
        replaces=sorted(a.dispatch.id or 0 for a in actions if a.action != "keep"), notes=notes,
        solve_ms=round(plan.solve_ms, 2), version=plan_version(disaster, agreement, inputs, scope),
        computed_at=utcnow(), partner_order=agreement.partner_order,
        partner_order_label=PARTNER_ORDER_LABELS[agreement.partner_order],
        existing=[_existing(a, inputs, labels) for a in actions],
        declined_pairs=[declined_public(pair, labels, inputs.need_rows.get(need_key(pair.dispatch.need_id)),
                                        can_release=actor is not None and policy.release_capacity(
                                            actor, disaster, agreement=agreement, dispatch=pair.dispatch) is not None)
                        for pair in excluded])


def _unmet(unmet: Any, need: Need, labels: Labels, declined_by: dict[int, list[str]]) -> PlanUnmet:
    """An unmet need in API form; supporters left out because they declined it are named in the reason."""
    refs = [labels.association(a) for a in declined_by.get(need.id or 0, [])]
    en, ja = unmet.reason_en, unmet.reason_ja
    if refs:
        en += (f" Not asked again: {', '.join(r.name_en for r in refs)} declined this need (until they offer "
               "again or someone puts them back into plans).")
        ja += (f"{'、'.join(r.name_ja for r in refs)}はこのニーズを辞退したため提案していません"
               "（改めて申し出るか、担当者が計画に戻すまで）。")
    return PlanUnmet(need_id=need.id or 0, requester_id=need.requester_id,
                     requester=labels.association(need.requester_id), need=labels.need(need),
                     headcount=unmet.headcount, code=unmet.code, reason=_text(en, ja), declined_by=refs)


def _existing(item: ExistingAction, inputs: PlanInputs, labels: Labels) -> ExistingDispatch:
    dispatch = item.dispatch
    need = inputs.need_rows.get(need_key(dispatch.need_id))
    return ExistingDispatch(
        dispatch_id=dispatch.id or 0, need_id=dispatch.need_id, requester=labels.association(dispatch.requester_id),
        supplier=labels.association(dispatch.supplier_id), need=labels.need(need) if need is not None else None,
        headcount=dispatch.headcount, stage=dispatch.stage, proposed_at=dispatch.proposed_at, action=item.action,
        action_label=ACTION_LABELS[item.action], replaced_by=item.replaced_by, kept_as=item.kept_as)


def declined_public(pair: DeclinedPair, labels: Labels, need: Need | None, *, can_release: bool) -> DeclinedPairPublic:
    """A declined pair in API form."""
    dispatch, release = pair.dispatch, pair.release
    lifted = pair.lifted_by
    return DeclinedPairPublic(
        dispatch_id=dispatch.id or 0, need_id=dispatch.need_id, requester=labels.association(dispatch.requester_id),
        supplier=labels.association(dispatch.supplier_id), need=labels.need(need) if need is not None else None,
        headcount=dispatch.headcount, declined_at=dispatch.answered_at, decline_reason=dispatch.decline_reason,
        excluded=pair.excluded, lifted_by=lifted, lifted_label=LIFTED_LABELS[lifted] if lifted else None,
        released_by_user_id=release.released_by_user_id if release else None,
        released_by_association_id=release.released_by_association_id if release else None,
        release_capacity=release.capacity if release else None, release_reason=release.reason if release else None,
        released_at=release.released_at if release else None, can_release=can_release and pair.excluded)


def plan_version(disaster: Disaster, agreement: Any, inputs: PlanInputs, scope: frozenset[str] | None) -> str:
    """A digest of everything a plan and its commit depend on: the same state gives the same version, and a
    commit given the dry run's version is refused if it changed (needs, offers, capacity, dispatches that
    count, still-proposed dispatches, declined pairs, cross-block state, the agreement's matching rules)."""
    state = {
        "disaster": [disaster.id, disaster.mode, disaster.cross_block_open, sorted(disaster.affected_associations)],
        "agreement": [str(agreement.source_file), agreement.meta.version, bool(agreement.counterpart_mode),
                      agreement.partner_order],
        "scope": None if scope is None else sorted(scope),
        "needs": [[n.id, n.requester, n.kind, n.language, n.headcount, n.start.isoformat(), n.days, n.place,
                   n.remote, inputs.need_rows[n.id].version] for n in inputs.needs],
        "supplies": [[s.id, s.association_id, sorted(s.languages), sorted(s.kinds), s.headcount,
                      s.available_from.isoformat() if s.available_from else None,
                      s.available_until.isoformat() if s.available_until else None] for s in inputs.supplies],
        "fixed": sorted([f.need_id, f.supply_id, f.headcount] for f in inputs.fixed),
        "replaced": sorted([d.id, d.version] for d in inputs.replaced),
        "excluded": sorted([p.dispatch.id, p.dispatch.need_id, p.dispatch.supplier_id]
                           for p in inputs.declined if p.excluded),
        "pending": inputs.people_pending,
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:24]


def make_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None) -> PlanResult:
    """Dry run: the plan for the disaster's current state, as this actor would commit it (nothing written)."""
    try:
        disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
        policy.ensure_can_plan(actor, disaster)
        agreement = agreement or current_agreement()
        scope = policy.plan_scope(actor, disaster)
        inputs = gather_inputs(session, disaster=disaster, agreement=agreement, scope=scope)
        plan = _solve(inputs, agreement=agreement, disaster=disaster)
        return PlanResult(_public(disaster, agreement, inputs, plan, scope, committed=False, actor=actor))
    finally:
        session.rollback()  # end the read transaction at once (on SQLite it holds the write lock)


def commit_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None,
                now: datetime | None = None, via: str = "api", version: str | None = None,
                selection: list[str] | None = None) -> PlanResult:
    """Plan and commit, all in one transaction with the events (never partially): create the proposals as
    `proposed` dispatches, keep still-proposed dispatches the plan proposes again unchanged, cancel the ones
    it replaces (docs/matching.md, "Commit: all, or a selection").

    Commits of one disaster run one at a time (the disaster row is locked). `version` (the dry run's):
    Conflict when the state changed since. `selection` (proposal keys, needs `version`): commit only those,
    cancelling only the proposed dispatches they replace."""
    try:
        return _commit(session, disaster_id=disaster_id, actor=actor, agreement=agreement, now=now, via=via,
                       version=version, selection=selection)
    except BaseException:
        session.rollback()
        raise


def _commit(session: Session, *, disaster_id: int, actor: User, agreement: Any | None, now: datetime | None,
            via: str, version: str | None, selection: list[str] | None) -> PlanResult:
    if selection is not None and version is None:
        raise Invalid("version: a selection needs the version of the dry run it was chosen from",
                      "version：選択して確定するには、その試算の version が必要です", field="version")
    # The disaster row is locked first (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
    # writers already), so two commits of the same disaster's plan run one after the other.
    disaster = get_open_disaster(session, disaster_id, lock=True)
    policy.ensure_can_plan(actor, disaster)
    agreement = agreement or current_agreement()
    scope = policy.plan_scope(actor, disaster)
    inputs = gather_inputs(session, disaster=disaster, agreement=agreement, scope=scope)
    plan = _solve(inputs, agreement=agreement, disaster=disaster)
    public = _public(disaster, agreement, inputs, plan, scope, committed=True, actor=actor)
    if version is not None and version != public.version:
        raise Conflict("version: the situation changed since this plan was made: plan again and check the new "
                       "preview",
                       "version：この計画の作成後に状況が変わりました。もう一度計画し、新しい内容を確認してください",
                       field="version", details={"version": public.version})
    chosen = _chosen(public.proposals, selection)
    keys = {p.key for p in chosen}
    actions = {item.dispatch_id: item for item in public.existing}
    replaced = [d for d in inputs.replaced if actions[d.id or 0].action != "keep" and (
        selection is None or keys.intersection(actions[d.id or 0].replaced_by))]
    new = [p for p in chosen if p.existing_dispatch_id is None]
    when = now or utcnow()
    created, cancelled = replace_proposals(
        session, disaster=disaster, replaced=replaced, actor=actor, now=when, proposals=[Proposal(
            need_id=p.need_id, requester_id=p.requester_id, supplier_id=p.supplier_id, offer_id=p.offer_id,
            headcount=p.headcount, stage=p.stage, distance_km=p.distance_km,
            reasons=[*(r.model_dump() for r in p.reasons), {"en": PLAN_REASON[0], "ja": PLAN_REASON[1]}])
            for p in new])
    for proposal, dispatch in zip(new, created, strict=True):
        proposal.dispatch_id = dispatch.id
    for proposal in chosen:
        if proposal.existing_dispatch_id is not None:
            proposal.dispatch_id = proposal.existing_dispatch_id
    public.selected = selection
    # A commit that changes nothing (everything kept) writes nothing: nobody is told the same thing twice.
    if created or cancelled:
        record_event(session, type="plan.committed", entity="plan", entity_id=disaster.id or 0,
                     disaster_id=disaster.id, mode=disaster.mode, actor_user_id=actor.id,
                     actor_association_id=actor.association_id,
                     associations=sorted({a for d in [*created, *cancelled]
                                          for a in dispatch_policy.event_readers(disaster, d)}),
                     payload={"via": via, "totals": public.totals.model_dump(), "version": public.version,
                              "selected": selection, "dispatch_ids": [d.id for d in created],
                              "kept_ids": [p.existing_dispatch_id for p in chosen if p.existing_dispatch_id],
                              "cancelled_ids": [d.id for d in cancelled],
                              "recommend_open_cross_block": public.recommend_open_cross_block,
                              "cross_block_open": disaster.cross_block_open,
                              "unmet": [u.model_dump(mode="json") for u in public.unmet]})
    session.flush()
    for dispatch in [*created, *cancelled]:
        session.expunge(dispatch)
    session.commit()
    return PlanResult(public, created)


def _chosen(proposals: list[PlanProposal], selection: list[str] | None) -> list[PlanProposal]:
    """The proposals a commit creates or keeps: every committable one, or exactly the selected keys
    (unknown keys are Invalid, withheld ones Forbidden)."""
    if selection is None:
        return [p for p in proposals if p.committable]
    by_key = {p.key: p for p in proposals}
    unknown = sorted({k for k in selection if k not in by_key})
    if unknown:
        raise Invalid(f"proposals: no proposal {', '.join(unknown)} in this plan",
                      f"proposals：この計画に提案 {'、'.join(unknown)} はありません", field="proposals",
                      details={"unknown": unknown})
    wanted = [by_key[k] for k in dict.fromkeys(selection)]
    held = [p for p in wanted if not p.committable]
    if held:
        reason = held[0].withheld_reason or Text(en="not committable", ja="確定できません")
        raise Forbidden(f"proposals: {held[0].key} cannot be committed by you: {reason.en}",
                        f"proposals：{held[0].key} は確定できません：{reason.ja}", field="proposals",
                        details={"withheld": [p.key for p in held]})
    return wanted


def release_declined(session: Session, *, disaster_id: int, dispatch_id: int, actor: User, reason: str,
                     agreement: Any | None = None, via: str = "api") -> DeclinedPairPublic:
    """Put a declined (need, supporter) pair back into plans, with the reason (audited)."""
    agreement = agreement or current_agreement()
    pair = release_pair(session, disaster_id=disaster_id, dispatch_id=dispatch_id, actor=actor, reason=reason,
                        agreement=agreement, via=via)
    need = session.get(Need, pair.dispatch.need_id)
    public = declined_public(pair, Labels(agreement), need, can_release=False)
    session.rollback()  # end the read transaction
    return public
