"""Plan use cases: a dry run (`make_plan`), a commit of all or selected proposals (`commit_plan`), and
putting a declined pair back into plans (`release_declined`). The state is read by `inputs`, shown by
`preview`, solved by `solver`; dispatches change only through the dispatches service.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from agreements import Capability
from coordinator.auth.models import User
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster, get_open_disaster
from coordinator.dispatches import policy as dispatch_policy
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.service import Proposal, replace_proposals
from coordinator.errors import Forbidden, Invalid, check_version
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.matching import policy
from coordinator.matching.declined import release_pair
from coordinator.matching.inputs import PlanInputs, eligibility_for, gather_inputs, need_key
from coordinator.matching.labels import Labels
from coordinator.matching.models import DeclinedPairPublic, PlanProposal, PlanPublic, Text
from coordinator.matching.network import build_arcs
from coordinator.matching.preview import declined_public, plan_public
from coordinator.matching.solver import solve
from coordinator.matching.types import MatchingInputError, Plan
from coordinator.needs.models import Need
from coordinator.reference import current_agreement

__all__ = ["PlanInputs", "PlanResult", "commit_plan", "gather_inputs", "make_plan", "release_declined"]

PLAN_REASON = ("proposed by the support plan (ouen matching)", "支援計画による提案")


@dataclass
class PlanResult:
    """A plan for a disaster, and the dispatches a commit created (empty for a dry run)."""

    public: PlanPublic
    dispatches: list[Dispatch] = field(default_factory=list)


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


def make_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None) -> PlanResult:
    """Dry run: the plan for the disaster's current state, as this actor would commit it (nothing written)."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    policy.ensure_can_plan(actor, disaster)
    agreement = agreement or current_agreement()
    scope = policy.plan_scope(actor, disaster)
    inputs = gather_inputs(session, disaster=disaster, agreement=agreement, scope=scope)
    plan = _solve(inputs, agreement=agreement, disaster=disaster)
    return PlanResult(plan_public(disaster, agreement, inputs, plan, scope, committed=False, actor=actor))


@writes
def commit_plan(session: Session, *, disaster_id: int, actor: User, agreement: Any | None = None,
                now: datetime | None = None, via: str = "api", version: str | None = None,
                selection: list[str] | None = None) -> PlanResult:
    """Plan and commit, all in one transaction with the events (never partially): create the proposals as
    `proposed` dispatches, keep still-proposed dispatches the plan proposes again unchanged, cancel the ones
    it replaces (docs/matching.md, "Commit: all, or a selection").

    Commits of one disaster run one at a time (the disaster row is locked). `version` (the dry run's):
    Conflict when the state changed since. `selection` (proposal keys, needs `version`): commit only those,
    cancelling only the proposed dispatches they replace."""
    return _commit(session, disaster_id=disaster_id, actor=actor, agreement=agreement, now=now, via=via,
                   version=version, selection=selection)


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
    public = plan_public(disaster, agreement, inputs, plan, scope, committed=True, actor=actor)
    check_version(public.version, version,
                  en="version: the situation changed since this plan was made: plan again and check the new preview",
                  ja="version：この計画の作成後に状況が変わりました。もう一度計画し、新しい内容を確認してください")
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


@writes
def release_declined(session: Session, *, disaster_id: int, dispatch_id: int, actor: User, reason: str,
                     agreement: Any | None = None, via: str = "api") -> DeclinedPairPublic:
    """Put a declined (need, supporter) pair back into plans, with the reason (audited)."""
    agreement = agreement or current_agreement()
    pair = release_pair(session, disaster_id=disaster_id, dispatch_id=dispatch_id, actor=actor, reason=reason,
                        agreement=agreement, via=via)
    need = session.get(Need, pair.dispatch.need_id)
    return declined_public(pair, Labels(agreement), need, can_release=False)
