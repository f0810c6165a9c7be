"""Arc building: eligibility × language × kind × availability window."""

from __future__ import annotations

from datetime import date

from coordinator.matching import Arc, NeedInput, SupplyInput, build_arcs
from tests.matching.instances import Candidate

START = date(2026, 3, 10)  # need period: 10th to 12th (3 days)


def need(id: str = "n", *, language: str = "vi", kind: str = "interpretation", requester: str = "req",
         headcount: int = 2) -> NeedInput:
    return NeedInput(id, requester, kind, language, headcount, START, 3, "17202", False)


def supply(id: str, association: str, *, languages: tuple[str, ...] = ("vi", "en"),
           kinds: tuple[str, ...] = ("interpretation",), headcount: int = 3,
           available_from: date | None = None, available_until: date | None = None) -> SupplyInput:
    return SupplyInput(id, association, frozenset(languages), frozenset(kinds), headcount, available_from,
                       available_until)


def candidate(association: str, stage: int = 1, km: float = 42.0) -> Candidate:
    return Candidate(association, stage, km, None if stage == 1 else 1, (f"why {association}",),
                     (f"理由 {association}",))


def test_arc_needs_candidate_language_kind_and_window() -> None:
    supplies = [
        supply("ok", "a"),
        supply("not_candidate", "affected"),
        supply("wrong_language", "a", languages=("pt",)),
        supply("wrong_kind", "a", kinds=("translation",)),
        supply("starts_late", "a", available_from=date(2026, 3, 11)),
        supply("ends_early", "a", available_until=date(2026, 3, 11)),
        supply("exact_window", "b", available_from=date(2026, 3, 10), available_until=date(2026, 3, 12)),
        supply("empty", "b", headcount=0),
    ]
    arcs = build_arcs([need()], supplies, lambda n: [candidate("a"), candidate("b", stage=2, km=500.0)])
    assert [(a.supply_id, a.association_id, a.stage, a.distance_km) for a in arcs] == [
        ("exact_window", "b", 2, 500.0), ("ok", "a", 1, 42.0)]
    assert arcs[1] == Arc("n", "ok", "a", 1, 42.0, None, ("why a",), ("理由 a",))
    assert hash(arcs[1]) == hash(Arc("n", "ok", "a", 1, 42.0, None, ("why a",), ("理由 a",)))
    assert arcs[0].partner_rank == 1


def test_each_need_gets_its_own_candidates_and_arcs_are_sorted() -> None:
    needs = [need("n2", requester="r2"), need("n1", requester="r1"), need("n3", language="ne")]
    supplies = [supply("s2", "r1"), supply("s1", "r2")]
    # An association never supports itself: eligibility leaves the requester out.
    arcs = build_arcs(needs, supplies, lambda n: [candidate(a) for a in ("r1", "r2") if a != n.requester])
    assert [(a.need_id, a.supply_id) for a in arcs] == [("n1", "s1"), ("n2", "s2")]


def test_a_shared_candidate_list_is_read_once_per_call() -> None:
    reads = 0

    class CountingList(list):
        def __iter__(self):  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return super().__iter__()

    shared = CountingList([candidate("a"), candidate("a", stage=2, km=1.0)])
    needs = [need(f"n{i}") for i in range(5)]
    arcs = build_arcs(needs, [supply("s", "a")], lambda n: shared)
    assert reads == 1
    # The first occurrence of a duplicated candidate association wins.
    assert {(a.stage, a.distance_km) for a in arcs} == {(1, 42.0)}
    assert len(arcs) == 5


def test_candidate_vectors_give_the_same_arcs_and_plan_as_candidate_objects() -> None:
    import numpy as np

    from coordinator.matching import ArcTable, CandidateVector, solve

    associations = ("a", "b", "c")
    position = {a: i for i, a in enumerate(associations)}
    needs = [need("n1", requester="c"), need("n2", requester="c", language="en", headcount=4),
             need("n3", requester="a")]
    supplies = [supply("sa", "a"), supply("sb", "b", headcount=2), supply("sc", "c"),
                supply("late", "b", available_from=date(2026, 3, 11))]

    def objects(n: NeedInput) -> list[Candidate]:
        return [candidate(a, stage=1 if a == "b" else 2, km=10.0 * (i + 1))
                for i, a in enumerate(associations) if a != n.requester]

    def vectors(n: NeedInput) -> CandidateVector:
        return CandidateVector.from_candidates(associations, position, objects(n))

    from_objects, from_vectors = build_arcs(needs, supplies, objects), build_arcs(needs, supplies, vectors)
    assert isinstance(from_vectors, ArcTable) and len(from_vectors) == 6
    assert list(from_vectors) == list(from_objects)
    assert from_vectors[-1] == from_objects[5] and from_vectors[1:3] == list(from_objects)[1:3]
    assert not any(a.association_id == "c" for a in from_vectors if a.need_id != "n3")
    assert np.array_equal(from_vectors.stage, from_objects.stage)
    for cross_block_open in (False, True):
        assert solve(needs, supplies, from_vectors, cross_block_open=cross_block_open).proposals == solve(
            needs, supplies, list(from_objects), cross_block_open=cross_block_open).proposals


def test_excluded_need_association_pairs_get_no_arc() -> None:
    needs = [need("n1"), need("n2")]
    supplies = [supply("a1", "a"), supply("a2", "a"), supply("b1", "b")]
    everyone = [candidate("a"), candidate("b")]
    arcs = build_arcs(needs, supplies, lambda _: everyone, excluded={("n1", "a"), ("n9", "b")})
    assert [(x.need_id, x.supply_id) for x in arcs] == [("n1", "b1"), ("n2", "a1"), ("n2", "a2"), ("n2", "b1")]
    assert len(build_arcs(needs, supplies, lambda _: everyone)) == 6


def test_a_variant_and_its_base_get_arcs_each_supply_once_and_siblings_none() -> None:
    supplies = [supply("base", "a", languages=("pt",)), supply("variant", "b", languages=("pt-br",)),
                supply("both", "c", languages=("pt", "pt-br")), supply("sibling", "d", languages=("pt-pt",)),
                supply("other", "e", languages=("es",))]
    everyone = [candidate(a) for a in "abcde"]
    for language in ("pt-br", "pt"):
        arcs = build_arcs([need(language=language)], supplies, lambda _: everyone)
        expected = sorted(["base", "both", "variant"] + (["sibling"] if language == "pt" else []))
        assert sorted(a.supply_id for a in arcs) == expected, language
    zh = [supply("hans", "a", languages=("zh-hans",)), supply("hant", "b", languages=("zh-hant",))]
    assert [a.supply_id for a in build_arcs([need(language="zh-hant")], zh, lambda _: everyone)] == ["hant"]
    assert sorted(a.supply_id for a in build_arcs([need(language="zh")], zh, lambda _: everyone)) == ["hans", "hant"]
