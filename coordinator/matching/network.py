"""Build the need → supply arcs of the matching network from the agreement's eligibility rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np

from coordinator.matching.solver import Arc, NeedInput, SupplyInput

# Open ends of an availability window, as ordinals that compare below/above every real date.
_OPEN_START = -1
_OPEN_END = date.max.toordinal() + 1


class Candidate(Protocol):
    """What `agreements.eligible_supporters(...).eligible` yields for one supporter association."""

    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


Eligibility = Callable[[NeedInput], Iterable[Candidate]]


class _SupplyGroup:
    """The supplies that offer one (language, kind), with their windows as ordinal arrays."""

    __slots__ = ("association_ids", "starts", "supplies", "untils")

    def __init__(self, supplies: Sequence[SupplyInput]) -> None:
        self.supplies = list(supplies)
        self.association_ids = [s.association_id for s in self.supplies]
        self.starts = np.fromiter(
            (s.available_from.toordinal() if s.available_from else _OPEN_START for s in self.supplies),
            dtype=np.int64, count=len(self.supplies))
        self.untils = np.fromiter(
            (s.available_until.toordinal() if s.available_until else _OPEN_END for s in self.supplies),
            dtype=np.int64, count=len(self.supplies))


def build_arcs(needs: Iterable[NeedInput], supplies: Iterable[SupplyInput],
               eligibility: Eligibility) -> list[Arc]:
    """Every (need, supply) pair the agreement allows: the supply's association is an eligible candidate
    for the need, offers the need's language and kind, and its window covers the need's period
    (start .. start + days - 1; an open end never limits). Sorted by (need id, supply id).

    Scale: supplies are indexed by (language, kind) once, windows are checked with numpy per need,
    and a candidate sequence returned as the very same object for several needs (an eligibility
    function that caches per requester) is turned into a lookup table only once. If a candidate
    association appears twice for one need, the first occurrence is used.
    """
    by_offer: dict[tuple[str, str], list[SupplyInput]] = defaultdict(list)
    for supply in sorted(supplies, key=lambda s: s.id):
        if supply.headcount <= 0:
            continue
        for language in supply.languages:
            for kind in supply.kinds:
                by_offer[(language, kind)].append(supply)
    groups = {key: _SupplyGroup(group) for key, group in by_offer.items()}

    lookup_cache: dict[int, tuple[Any, dict[str, Candidate]]] = {}
    arcs: list[Arc] = []
    for need in sorted(needs, key=lambda n: n.id):
        group = groups.get((need.language, need.kind))
        if group is None or need.headcount <= 0:
            continue
        candidates = eligibility(need)
        cached = lookup_cache.get(id(candidates))
        if cached is not None and cached[0] is candidates:
            by_association = cached[1]
        else:
            by_association = {}
            for candidate in candidates:
                by_association.setdefault(candidate.association_id, candidate)
            # Keep the sequence alive so its id() cannot be reused by another object during this call.
            lookup_cache[id(candidates)] = (candidates, by_association)
        start = need.start.toordinal()
        end = start + need.days - 1
        fits = np.flatnonzero((group.starts <= start) & (group.untils >= end))
        need_id = need.id
        association_ids = group.association_ids
        chosen = group.supplies
        for index in fits.tolist():
            candidate = by_association.get(association_ids[index])
            if candidate is None:
                continue
            arcs.append(Arc(need_id, chosen[index].id, candidate.association_id, candidate.stage,
                            float(candidate.distance_km), candidate.partner_rank,
                            tuple(candidate.reasons_en), tuple(candidate.reasons_ja)))
    return arcs
