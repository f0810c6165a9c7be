"""What a person needs to judge a plan (issue 14 item 4): the plan in API form with names beside ids and
Japanese and English labels, exactly what a commit would do to the still-proposed dispatches (keep,
replace or cancel), the declined pairs left out, and the plan's version (docs/matching.md, "Plan preview").

Pure functions over rows already read; the service calls them for the dry run and the commit alike, so
what the preview shows is what the commit does.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from coordinator.auth.models import User
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.events.models import utcnow
from coordinator.matching import policy
from coordinator.matching.declined import DeclinedPair
from coordinator.matching.inputs import PlanInputs, need_key
from coordinator.matching.labels import (
    ACTION_LABELS,
    LIFTED_LABELS,
    PARTNER_ORDER_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    Labels,
)
from coordinator.matching.models import (
    DeclinedPairPublic,
    ExistingDispatch,
    PlanProposal,
    PlanPublic,
    PlanTotals,
    PlanUnmet,
    Text,
)
from coordinator.matching.types import Plan
from coordinator.needs.models import Need


@dataclass
class ExistingAction:
    """What a commit does to one still-proposed dispatch."""

    dispatch: Dispatch
    action: str  # keep | replace | cancel
    replaced_by: list[str] = field(default_factory=list)
    kept_as: str | None = None


def _same(proposal: PlanProposal, dispatch: Dispatch) -> bool:
    return (proposal.need_id, proposal.supplier_id, proposal.offer_id, proposal.headcount, proposal.stage) == (
        dispatch.need_id, dispatch.supplier_id, dispatch.offer_id, dispatch.headcount, dispatch.stage)


def existing_actions(proposals: Sequence[PlanProposal], replaceable: Iterable[Dispatch]) -> list[ExistingAction]:
    """Keep a still-proposed dispatch the plan proposes again unchanged (same need, supporter, offer,
    people and stage); replace one whose need gets other proposals; cancel the rest. Sets each proposal's
    `existing_dispatch_id` and `replaces` to match. Only committable proposals count."""
    committable = [p for p in proposals if p.committable]
    unmatched = {p.key: p for p in committable}
    actions: list[ExistingAction] = []
    for dispatch in sorted(replaceable, key=lambda d: d.id or 0):
        twin = next((p for p in unmatched.values() if _same(p, dispatch)), None)
        if twin is not None:
            del unmatched[twin.key]
            twin.existing_dispatch_id = dispatch.id
            actions.append(ExistingAction(dispatch, "keep", kept_as=twin.key))
        else:
            actions.append(ExistingAction(dispatch, "cancel"))
    new_by_need: dict[int, list[PlanProposal]] = defaultdict(list)
    for proposal in unmatched.values():
        new_by_need[proposal.need_id].append(proposal)
    for item in actions:
        if item.action == "cancel" and new_by_need.get(item.dispatch.need_id):
            item.action = "replace"
            item.replaced_by = sorted(p.key for p in new_by_need[item.dispatch.need_id])
            for proposal in new_by_need[item.dispatch.need_id]:
                proposal.replaces.append(item.dispatch.id or 0)
    return actions


STANDING_REASON = ("standing capacity, not yet confirmed: registered in normal times; the association has "
                   "made no offer for this disaster yet (an offer is needed before it can accept)",
                   "平常時登録の対応可能人数（未確認）：この災害への申し出はまだありません（受諾には申し出が必要です）")
def _text(en: str, ja: str) -> Text:
    return Text(en=en, ja=ja)


def _reasons(en: tuple[str, ...], ja: tuple[str, ...]) -> list[Text]:
    return [_text(e, j) for e, j in zip_longest(en, ja, fillvalue="")]


def _recommendation(plan: Plan, disaster: Disaster) -> Text | None:
    if not plan.recommend_open_cross_block:
        return None
    people = sum(u.headcount for u in plan.unmet if u.code in ("no_language_in_block", "cross_block_closed"))
    return _text(f"Stage 1 (inside the affected block) cannot cover {people} people that supporters in other "
                 "blocks could: the secretariat should open cross-block support "
                 f"(POST /api/v1/disasters/{disaster.id}/cross-block) and plan again.",
                 f"第1段階（被災ブロック内）では{people}人分を満たせませんが、他ブロックの協会なら対応できます。"
                 "事務局がブロック間支援を開始し、再度計画してください。")


def plan_public(disaster: Disaster, agreement: Any, inputs: PlanInputs, plan: Plan, scope: frozenset[str] | None,
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
