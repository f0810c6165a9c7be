"""Build the need → supply arcs of the matching network from the agreement's eligibility rules.

The arcs are kept as columns (`ArcTable`: numpy arrays of need index, supply index, stage, distance),
not as one Python object per arc: at municipal scale (10^5 arcs) per-arc objects cost more than the
solve itself. An `Arc` object is made only when someone reads one (a plan makes them only for the
arcs that carry people).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, overload

import numpy as np

from agreements.languages import serves
from coordinator.matching.types import Arc, NeedInput, SupplyInput

# Open ends of an availability window, as ordinals that compare below/above every real date.
_OPEN_START = -1
_OPEN_END = date.max.toordinal() + 1
_NO_RANK = -1
_object_new = object.__new__


class Candidate(Protocol):
    """What `agreements.eligible_supporters(...).eligible` yields for one supporter association."""

    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


ReasonsOf = Callable[[int], tuple[tuple[str, ...], tuple[str, ...]]]


class CandidateVector:
    """Eligible supporters of one need as arrays over a fixed list of associations: the columnar form of
    an eligibility answer, so that `build_arcs` selects arcs with numpy instead of one lookup per arc.

    `associations` should be one shared sequence for every vector of a run (build_arcs maps each supply
    group onto it once). `reasons(i)` gives (reasons_en, reasons_ja) for association i and is called only
    when an arc is read as an `Arc` object.
    """

    __slots__ = ("associations", "distance_km", "eligible", "partner_rank", "reasons", "stage")

    def __init__(self, associations: Sequence[str], eligible: np.ndarray, stage: np.ndarray,
                 distance_km: np.ndarray, reasons: ReasonsOf, partner_rank: np.ndarray | None = None) -> None:
        size = len(associations)
        self.associations = associations
        self.eligible = np.asarray(eligible, dtype=bool)
        self.stage = np.asarray(stage, dtype=np.int64)
        self.distance_km = np.asarray(distance_km, dtype=np.float64)
        self.partner_rank = (np.full(size, _NO_RANK, dtype=np.int64) if partner_rank is None
                             else np.asarray(partner_rank, dtype=np.int64))
        self.reasons = reasons
        if not all(len(a) == size for a in (self.eligible, self.stage, self.distance_km, self.partner_rank)):
            raise ValueError("CandidateVector: every array must have one entry per association")

    @classmethod
    def from_candidates(cls, associations: Sequence[str], position: Mapping[str, int],
                        candidates: Iterable[Candidate]) -> CandidateVector:
        """A vector from candidate objects (the first occurrence of an association wins)."""
        size = len(associations)
        eligible = np.zeros(size, dtype=bool)
        stage = np.ones(size, dtype=np.int64)
        km = np.zeros(size, dtype=np.float64)
        rank = np.full(size, _NO_RANK, dtype=np.int64)
        reasons: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for candidate in candidates:
            i = position.get(candidate.association_id)
            if i is None or eligible[i]:
                continue
            eligible[i] = True
            stage[i] = candidate.stage
            km[i] = candidate.distance_km
            rank[i] = _NO_RANK if candidate.partner_rank is None else candidate.partner_rank
            reasons[i] = (tuple(candidate.reasons_en), tuple(candidate.reasons_ja))
        return cls(associations, eligible, stage, km, reasons.__getitem__, rank)


Eligibility = Callable[[NeedInput], Iterable[Candidate] | Mapping[str, Candidate] | CandidateVector]


class ArcTable(Sequence[Arc]):
    """The arcs of one network as columns, sorted by (need id, supply id); reads as a sequence of `Arc`.

    Columns: `need` (index into `need_ids`), `supply` (index into `supply_ids`, whose association is
    `supply_association`), `stage`, `distance_km`, `partner_rank` (-1 for none). Each arc's reasons come
    from its source: a `CandidateVector` and a position in it, or a candidate object (position -1).
    """

    def __init__(self, *, need_ids: Sequence[str], supply_ids: Sequence[str], supply_association: Sequence[str],
                 need: np.ndarray, supply: np.ndarray, stage: np.ndarray, distance_km: np.ndarray,
                 partner_rank: np.ndarray, source: np.ndarray, position: np.ndarray,
                 sources: Sequence[CandidateVector | Candidate]) -> None:
        self.need_ids = need_ids
        self.supply_ids = supply_ids
        self.supply_association = supply_association
        self.need = need
        self.supply = supply
        self.stage = stage
        self.distance_km = distance_km
        self.partner_rank = partner_rank
        self.source = source
        self.position = position
        self.sources = sources

    def __len__(self) -> int:
        return int(self.need.size)

    @overload
    def __getitem__(self, index: int) -> Arc: ...

    @overload
    def __getitem__(self, index: slice) -> list[Arc]: ...

    def __getitem__(self, index: int | slice) -> Arc | list[Arc]:
        if isinstance(index, slice):
            return [self._arc(i) for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("arc index out of range")
        return self._arc(int(index))

    def __iter__(self) -> Iterator[Arc]:
        return (self._arc(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ArcTable({len(self)} arcs)"

    def reasons(self, k: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(reasons_en, reasons_ja) of arc k, without building its Arc."""
        source = self.sources[int(self.source[k])]
        position = int(self.position[k])
        if position < 0:
            return tuple(source.reasons_en), tuple(source.reasons_ja)  # type: ignore[union-attr]
        return source.reasons(position)  # type: ignore[union-attr]

    def _arc(self, k: int) -> Arc:
        """Arc k as an object, built without the frozen dataclass __init__ (equal to Arc(...))."""
        reasons_en, reasons_ja = self.reasons(k)
        rank = int(self.partner_rank[k])
        supply = int(self.supply[k])
        stage, km = self.stage[k], self.distance_km[k]
        arc = _object_new(Arc)
        arc.__dict__.update(
            need_id=self.need_ids[int(self.need[k])], supply_id=self.supply_ids[supply],
            association_id=self.supply_association[supply],
            stage=int(stage) if self.stage.dtype != object else stage,
            distance_km=float(km) if self.distance_km.dtype != object else km,
            partner_rank=None if rank < 0 else rank, reasons_en=reasons_en, reasons_ja=reasons_ja)
        return arc


def _positions(associations: Sequence[str], of: Sequence[str]) -> np.ndarray:
    """Each id of `of` as a position in `associations` (-1 when absent)."""
    where = {a: i for i, a in enumerate(associations)}
    return np.array([where.get(a, -1) for a in of], dtype=np.int64)


def build_arcs(needs: Iterable[NeedInput], supplies: Iterable[SupplyInput], eligibility: Eligibility,
               *, excluded: Collection[tuple[str, str]] = ()) -> ArcTable:
    """Every (need, supply) pair the agreement allows: the supply's association is an eligible candidate
    for the need, offers the need's language and kind, and its window covers the need's period
    (start .. start + days - 1; an open end never limits). Sorted by (need id, supply id).

    The eligibility function may answer with a `CandidateVector` (fast: arcs are selected with numpy),
    a Mapping association id → candidate (asked only about associations whose supplies fit the need),
    or a sequence of candidates; a sequence returned as the very same object for several needs is
    turned into a lookup table only once. If a candidate association appears twice for one need, the
    first occurrence is used.

    Note: build the network with every stage-2 candidate included (for `agreements.eligible_supporters`,
    `cross_block_open=True`) and pass the real state to `solve(..., cross_block_open=...)`: the solver
    drops stage-2 arcs while closed, and needs them to explain unmet needs and to recommend opening.

    `excluded`: (need id, association id) pairs that get no arc at all (a supporter that declined the need).
    """
    supply_list = sorted((s for s in supplies if s.headcount > 0), key=lambda s: s.id)
    supply_association = [s.association_id for s in supply_list]
    supply_start = np.array([s.available_from.toordinal() if s.available_from else _OPEN_START
                             for s in supply_list], dtype=np.int64)
    supply_until = np.array([s.available_until.toordinal() if s.available_until else _OPEN_END
                             for s in supply_list], dtype=np.int64)
    by_offer: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, supply in enumerate(supply_list):
        for language in supply.languages:
            for kind in supply.kinds:
                by_offer[(language, kind)].append(i)

    need_list = sorted(needs, key=lambda n: n.id)
    # The supplies of each (need language, kind): those offering the language itself or a variant or base
    # of it (agreements.languages.serves: pt serves pt-BR and back), each supply once.
    groups: dict[tuple[str, str], np.ndarray] = {}
    for language, kind in {(n.language, n.kind) for n in need_list}:
        members = sorted({i for (offered, k), ids in by_offer.items() if k == kind and serves(offered, language)
                          for i in ids})
        if members:
            groups[(language, kind)] = np.array(members, dtype=np.int64)
    by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, need in enumerate(need_list):
        if need.headcount > 0 and (need.language, need.kind) in groups:
            by_group[(need.language, need.kind)].append(n)
    sources: list[Any] = []
    lookup_cache: dict[int, tuple[Any, Mapping[str, Candidate]]] = {}
    chunks: list[tuple[np.ndarray, ...]] = []
    # Pass 1: which supplies fit each need's window, and each need's candidates. Vectors over the first
    # association list seen are kept for pass 2 (one gather for all of them); anything else is added now.
    universe: Sequence[str] | None = None
    vectors: list[CandidateVector] = []
    vector_index: dict[int, int] = {}
    batched: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for key, rows in by_group.items():
        members = groups[key]
        starts = np.array([need_list[n].start.toordinal() for n in rows], dtype=np.int64)
        ends = starts + np.array([need_list[n].days - 1 for n in rows], dtype=np.int64)
        fits = (supply_start[members][None, :] <= starts[:, None]) & (supply_until[members][None, :] >= ends[:, None])
        picked_rows, picked_vectors = [], []
        for row in np.flatnonzero(fits.any(axis=1)).tolist():
            n = rows[row]
            candidates = eligibility(need_list[n])
            if isinstance(candidates, CandidateVector):
                if universe is None:
                    universe = candidates.associations
                if candidates.associations is universe:
                    v = vector_index.get(id(candidates))
                    if v is None:
                        v = vector_index[id(candidates)] = len(vectors)
                        vectors.append(candidates)
                    picked_rows.append(row)
                    picked_vectors.append(v)
                    continue
                candidates = {candidates.associations[i]: _VectorCandidate(candidates, i)
                              for i in np.flatnonzero(candidates.eligible).tolist()}
            _add_candidates(chunks, sources, members[fits[row]], n, supply_association,
                            _lookup(candidates, lookup_cache))
        if picked_rows:
            chosen = np.array(picked_rows, dtype=np.int64)
            batched.append((np.array(rows, dtype=np.int64)[chosen], members, fits[chosen],
                            np.array(picked_vectors, dtype=np.int64)))
    # Pass 2: every vector-answered need at once per supply group, by gathering from stacked vectors.
    if batched and universe is not None:
        first = len(sources)
        sources.extend(vectors)
        eligible = np.stack([v.eligible for v in vectors])
        stage = np.stack([v.stage for v in vectors])
        km = np.stack([v.distance_km for v in vectors])
        rank = np.stack([v.partner_rank for v in vectors])
        where_all = _positions(universe, supply_association)
        for need_rows, members, fits, vector_of_row in batched:
            where = where_all[members]
            present = where >= 0
            where = np.where(present, where, 0)
            allowed = fits & present[None, :] & eligible[vector_of_row[:, None], where[None, :]]
            r, c = np.nonzero(allowed)
            if r.size:
                v, p = vector_of_row[r], where[c]
                chunks.append((need_rows[r], members[c], stage[v, p], km[v, p], rank[v, p], first + v, p))
    return _without(_table(need_list, supply_list, chunks, sources), excluded)


def _without(table: ArcTable, excluded: Collection[tuple[str, str]]) -> ArcTable:
    """The table without the arcs of excluded (need id, association id) pairs."""
    if not excluded or not len(table):
        return table
    need_index = {n: i for i, n in enumerate(table.need_ids)}
    associations = sorted(set(table.supply_association))
    association_index = {a: i for i, a in enumerate(associations)}
    width = len(associations)
    keys = [need_index[n] * width + association_index[a] for n, a in excluded
            if n in need_index and a in association_index]
    if not keys:
        return table
    supply_key = np.array([association_index[a] for a in table.supply_association], dtype=np.int64)
    keep = ~np.isin(table.need * width + supply_key[table.supply], np.array(keys, dtype=np.int64))
    if keep.all():
        return table
    return ArcTable(need_ids=table.need_ids, supply_ids=table.supply_ids, supply_association=table.supply_association,
                    need=table.need[keep], supply=table.supply[keep], stage=table.stage[keep],
                    distance_km=table.distance_km[keep], partner_rank=table.partner_rank[keep],
                    source=table.source[keep], position=table.position[keep], sources=table.sources)


class _VectorCandidate:
    """One entry of a CandidateVector read as a candidate object (for vectors over another list)."""

    __slots__ = ("association_id", "distance_km", "partner_rank", "reasons_en", "reasons_ja", "stage")

    def __init__(self, vector: CandidateVector, i: int) -> None:
        self.association_id = vector.associations[i]
        self.stage = int(vector.stage[i])
        self.distance_km = float(vector.distance_km[i])
        rank = int(vector.partner_rank[i])
        self.partner_rank = None if rank < 0 else rank
        self.reasons_en, self.reasons_ja = vector.reasons(i)


def _add_candidates(chunks: list[tuple[np.ndarray, ...]], sources: list[Any], fitting: np.ndarray, n: int,
                    supply_association: Sequence[str], by_association: Mapping[str, Candidate]) -> None:
    """Arcs of one need from candidate objects (one lookup per fitting supply)."""
    picked = [(i, c) for i in fitting.tolist() if (c := by_association.get(supply_association[i])) is not None]
    if not picked:
        return
    first = len(sources)
    sources.extend(c for _, c in picked)
    chunks.append((
        np.full(len(picked), n, dtype=np.int64), np.array([i for i, _ in picked], dtype=np.int64),
        np.array([c.stage for _, c in picked], dtype=object),
        np.array([c.distance_km for _, c in picked], dtype=object),
        np.array([_NO_RANK if c.partner_rank is None else c.partner_rank for _, c in picked], dtype=np.int64),
        np.arange(first, len(sources), dtype=np.int64), np.full(len(picked), -1, dtype=np.int64)))


def _lookup(candidates: Iterable[Candidate] | Mapping[str, Candidate],
            cache: dict[int, tuple[Any, Mapping[str, Candidate]]]) -> Mapping[str, Candidate]:
    """Candidates by association id (built once per distinct sequence object)."""
    if isinstance(candidates, Mapping):
        return candidates
    cached = cache.get(id(candidates))
    if cached is not None and cached[0] is candidates:
        return cached[1]
    table: dict[str, Candidate] = {}
    for candidate in candidates:
        table.setdefault(candidate.association_id, candidate)
    # Keep the sequence alive so its id() cannot be reused by another object during this call.
    cache[id(candidates)] = (candidates, table)
    return table


def _table(need_list: list[NeedInput], supply_list: list[SupplyInput], chunks: list[Any],
           sources: list[Any]) -> ArcTable:
    """Concatenate the per-need chunks into one ArcTable."""
    if chunks:
        need = np.concatenate([c[0] for c in chunks]).astype(np.int64)
        # Each need's arcs come from one chunk in supply order: a stable sort by need sorts by (need, supply).
        order = np.argsort(need, kind="stable")
        need = need[order]
        supply = np.concatenate([c[1] for c in chunks]).astype(np.int64)[order]
        stage = _column([c[2] for c in chunks], np.int64, (int,))[order]
        km = _column([c[3] for c in chunks], np.float64, (int, float))[order]
        rank = np.concatenate([c[4] for c in chunks]).astype(np.int64)[order]
        source = np.concatenate([c[5] for c in chunks]).astype(np.int64)[order]
        position = np.concatenate([c[6] for c in chunks]).astype(np.int64)[order]
    else:
        need = supply = rank = source = position = np.zeros(0, dtype=np.int64)
        stage, km = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return ArcTable(need_ids=[n.id for n in need_list], supply_ids=[s.id for s in supply_list],
                    supply_association=[s.association_id for s in supply_list], need=need, supply=supply,
                    stage=stage, distance_km=km, partner_rank=rank, source=source, position=position,
                    sources=sources)


def _column(parts: list[np.ndarray], dtype: type, plain: tuple[type, ...]) -> np.ndarray:
    """Concatenated parts as `dtype`; object parts (from candidate objects) holding anything but the
    `plain` types (a bool, a string, None) stay objects, so that `solve` can name the bad value."""
    joined = np.concatenate(parts)
    if joined.dtype != object or all(type(v) in plain for v in joined.tolist()):
        return joined.astype(dtype)
    return joined
