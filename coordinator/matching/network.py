"""Build the need → supply arcs of the matching network from the agreement's eligibility rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np

from coordinator.matching.solver import Arc, NeedInput, SupplyInput

# Open ends of an availability window, as ordinals that compare below/above every real date.
_OPEN_START = -1
_OPEN_END = date.max.toordinal() + 1
_object_new = object.__new__


class Candidate(Protocol):
    """What `agreements.eligible_supporters(...).eligible` yields for one supporter association."""

    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


Eligibility = Callable[[NeedInput], Iterable[Candidate] | Mapping[str, Candidate]]


class _SupplyGroup:
    """The supplies that offer one (language, kind), with their windows as ordinal arrays."""

    __slots__ = ("association_ids", "starts", "supplies", "supply_ids", "untils")

    def __init__(self, supplies: Sequence[SupplyInput]) -> None:
        self.supplies = list(supplies)
        self.supply_ids = [s.id for s in self.supplies]
        self.association_ids = [s.association_id for s in self.supplies]
        self.starts = np.fromiter(
            (s.available_from.toordinal() if s.available_from else _OPEN_START for s in self.supplies),
            dtype=np.int64, count=len(self.supplies))
        self.untils = np.fromiter(
            (s.available_until.toordinal() if s.available_until else _OPEN_END for s in self.supplies),
            dtype=np.int64, count=len(self.supplies))


def _new_arc(need_id: str, supply_id: str, candidate: Candidate) -> Arc:
    """An Arc built without the frozen dataclass __init__ (which sets each field through
    object.__setattr__): 2-3x faster, and the result is equal to Arc(...) with the same fields."""
    arc = _object_new(Arc)
    arc.__dict__.update(need_id=need_id, supply_id=supply_id, association_id=candidate.association_id,
                        stage=candidate.stage, distance_km=float(candidate.distance_km),
                        partner_rank=candidate.partner_rank, reasons_en=tuple(candidate.reasons_en),
                        reasons_ja=tuple(candidate.reasons_ja))
    return arc


def build_arcs(needs: Iterable[NeedInput], supplies: Iterable[SupplyInput],
               eligibility: Eligibility) -> list[Arc]:
    """Every (need, supply) pair the agreement allows: the supply's association is an eligible candidate
    for the need, offers the need's language and kind, and its window covers the need's period
    (start .. start + days - 1; an open end never limits). Sorted by (need id, supply id).

    Scale: supplies are indexed by (language, kind) once, windows are checked with numpy per need,
    and a candidate sequence returned as the very same object for several needs (an eligibility
    function that caches per requester) is turned into a lookup table only once. If a candidate
    association appears twice for one need, the first occurrence is used. An eligibility function may
    also return a Mapping association id → candidate: it is only asked about the associations whose
    supplies fit the need, so a large candidate set can be built lazily.

    Note: build the network with every stage-2 candidate included (for `agreements.eligible_supporters`,
    `cross_block_open=True`) and pass the real state to `solve(..., cross_block_open=...)`: the solver
    drops stage-2 arcs while closed, and needs them to explain unmet needs and to recommend opening.
    """
    by_offer: dict[tuple[str, str], list[SupplyInput]] = defaultdict(list)
    for supply in sorted(supplies, key=lambda s: s.id):
        if supply.headcount <= 0:
            continue
        for language in supply.languages:
            for kind in supply.kinds:
                by_offer[(language, kind)].append(supply)
    groups = {key: _SupplyGroup(group) for key, group in by_offer.items()}

    lookup_cache: dict[int, tuple[Any, Mapping[str, Candidate]]] = {}
    arcs: list[Arc] = []
    append = arcs.append
    for need in sorted(needs, key=lambda n: n.id):
        group = groups.get((need.language, need.kind))
        if group is None or need.headcount <= 0:
            continue
        candidates = eligibility(need)
        cached = lookup_cache.get(id(candidates))
        if isinstance(candidates, Mapping):
            by_association = candidates
        elif cached is not None and cached[0] is candidates:
            by_association = cached[1]
        else:
            table: dict[str, Candidate] = {}
            for candidate in candidates:
                table.setdefault(candidate.association_id, candidate)
            by_association = table
            # Keep the sequence alive so its id() cannot be reused by another object during this call.
            lookup_cache[id(candidates)] = (candidates, by_association)
        start = need.start.toordinal()
        end = start + need.days - 1
        fits = np.flatnonzero((group.starts <= start) & (group.untils >= end))
        need_id = need.id
        association_ids = group.association_ids
        supply_ids = group.supply_ids
        lookup = by_association.get
        for index in fits.tolist():
            candidate = lookup(association_ids[index])
            if candidate is not None:
                append(_new_arc(need_id, supply_ids[index], candidate))
    return arcs
