"""The planning state: one disaster's needs, offers, standing capacity and dispatches read into solver inputs.

Decisions (docs/matching.md, "What a plan reads"):
- Needs: the disaster's open needs. People in PENDING_STATES dispatches (`approved`, `requested`, and
  `proposed` ones this commit would not replace) are pending (taken off the need and the supplier's
  capacity); ACCEPTED_STATES (`accepted`, `en_route`, `on_site`, `completed`) are fixed (`Fixed`: they
  cover the need and use capacity); WITHDRAWN_STATES (`declined`, `cancelled`) free them.
- Still-`proposed` dispatches this actor could have proposed are replaceable: the plan is made as if they
  were not there (a commit keeps, replaces or cancels each, see `preview.existing_actions`). A block
  coordinator's plan leaves other proposed dispatches alone; they count as pending for it.
- Supplies: the disaster's active offers, plus the standing capacity (normal-time register) of every
  association that has no offer at all for this disaster (a withdrawn offer means "not this time").
  Standing capacity has no date limit and is marked "not yet confirmed": accepting such a proposal needs
  an offer first (the dispatches service checks acceptances against offers).
- Declined (need, supporter) pairs are gathered for the network to leave out (`declined`).
- Only this disaster's rows are read (needs, offers and dispatches by disaster id and mode), so a drill
  and a live disaster never mix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from agreements import AgreementError, Capability, eligible_supporters
from agreements.index import index_of
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import ACCEPTED_STATES, PENDING_STATES, DispatchState
from coordinator.matching import policy
from coordinator.matching.declined import DeclinedPair, declined_pairs
from coordinator.matching.labels import Labels
from coordinator.matching.network import CandidateVector
from coordinator.matching.types import Fixed, NeedInput, SupplyInput
from coordinator.needs.models import Need
from coordinator.offers.models import Offer, StandingCapacity


@dataclass
class SupplyRow:
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
    supply_rows: dict[str, SupplyRow] = field(default_factory=dict)
    replaced: list[Dispatch] = field(default_factory=list)
    people_asked: int = 0
    people_fixed: int = 0
    people_pending: int = 0
    declined: list[DeclinedPair] = field(default_factory=list)
    labels: Labels | None = None


def need_key(need_id: int) -> str:
    """The solver id of a need row."""
    return f"need:{need_id}"


def _replaceable(dispatch: Dispatch, scope: frozenset[str] | None, agreement: Any) -> bool:
    """A still-proposed dispatch this actor's commit would replace (what it could have proposed itself)."""
    if dispatch.state != DispatchState.proposed.value:
        return False
    return policy.withheld_reason(scope, requester_block=policy.block_of(agreement, dispatch.requester_id),
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
        inputs.supply_rows[key] = SupplyRow(offer.association_id, offer.id, "offer")
        capacity[key] = offer.headcount
        windows[key] = (offer.available_from, offer.available_until,
                        frozenset(t.lower() for t in offer.languages), frozenset(offer.kinds))
        by_supplier[offer.association_id].append(key)
    for row in standing:
        key = f"standing:{row.id}"
        inputs.supply_rows[key] = SupplyRow(row.association_id, None, "standing_capacity")
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
            inputs.supply_rows[supply] = SupplyRow(supply.split(":", 1)[1], None, "fixed")
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
