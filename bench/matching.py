"""Matching benchmark: regional (63 associations) and municipal (1,741 supplier units) instances.

Run from the repository root:  python bench/matching.py [--out bench/results/matching.json] [--runs 7]
A/B against an earlier commit:  python bench/matching.py --against REV [--rounds 3] [--runs 7]

Seeded synthetic instances over data/associations.csv and data/municipalities.csv. For each scale it
measures, as the median of --runs runs: eligibility (this file's stand-in for the agreement rules),
network building (`build_arcs`), solving (`solve`), and end-to-end = network building + solving; peak
Python memory (tracemalloc, one extra untimed run) and the process's peak RSS; and it compares the
optimal plan with two first-come greedy baselines. Prints the JSON and writes it to --out.

With --against REV the same instances (this file's) are solved by this tree's `coordinator.matching` and by
REV's (exported with `git archive` into a temporary directory; the repository is not touched), in
alternating subprocesses for --rounds rounds, and the report gives each scale's end-to-end and solve
medians of both and their ratio (this / REV), so that the machine's load affects both sides alike.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coordinator.matching import (  # noqa: E402
    Arc,
    CandidateVector,
    NeedInput,
    Plan,
    SupplyInput,
    build_arcs,
    solve,
)

DAY0 = date(2026, 1, 6)
# Kinds as in agreements/default.toml; the remote ones travel 0 km.
KINDS = {"centre_staff": False, "onsite_interpretation": False, "remote_interpretation": True,
         "translation": True, "plain_japanese": True, "shelter_rounds": False, "hotline": True,
         "media_embassy_liaison": False}
# Assumption for the synthetic data: rough shares of each language among offers (English is common,
# Nepali rare) and among needs (the largest foreign-resident groups ask most).
OFFER_WEIGHTS = {"en": 60, "zh": 25, "ko": 15, "vi": 10, "pt": 8, "es": 6, "tl": 6, "ne": 3, "id": 3, "th": 3}
NEED_WEIGHTS = {"zh": 20, "vi": 20, "ko": 10, "tl": 10, "pt": 10, "en": 10, "ne": 8, "id": 5, "es": 4, "th": 3}
REGIONAL_LANGUAGES = ("en", "zh", "ko", "vi", "pt")
NARA_BLOCK = "kinki"  # Nara prefecture has no association; it is in the Kinki region (assumption).


@dataclass
class Site:
    """A supporter or requester unit: an association, or a municipality standing in for one."""

    id: str
    block: str
    lat: float
    lon: float
    place: str


@dataclass
class Scenario:
    """One benchmark instance."""

    name: str
    needs: list[NeedInput]
    supplies: list[SupplyInput]
    eligibility_factory: Callable[[], Callable[[NeedInput], Any]]
    description: str


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def read_csv(name: str) -> list[dict[str, str]]:
    with open(ROOT / "data" / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def weighted_sample(rng: random.Random, weights: Mapping[str, int], k: int) -> list[str]:
    """k distinct keys drawn with the given weights."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        key = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(key)
        del pool[key]
    return chosen


def partner_order() -> dict[str, list[str]]:
    """The agreement's partner blocks per block, best first (read as data from agreements/default.toml)."""
    with open(ROOT / "agreements" / "default.toml", "rb") as handle:
        return tomllib.load(handle)["stages"]["partner_blocks"]["order"]


def eligibility_over(requesters: list[Site], supporters: list[Site],
                     affected: set[str]) -> Callable[[], Callable[[NeedInput], CandidateVector]]:
    """A stand-in for the agreement rules, answering with one `CandidateVector` per (requester, remote):
    every supporter unit except the affected ones and the requester itself; stage 1 inside the
    requester's block, else 2, with the agreement's partner rank of the supporter's block; straight-line
    km (0 for remote)."""
    partners = partner_order()

    def factory() -> Callable[[NeedInput], CandidateVector]:
        ids = tuple(s.id for s in supporters)
        index = {s: i for i, s in enumerate(ids)}
        lat = np.array([s.lat for s in supporters])
        lon = np.array([s.lon for s in supporters])
        block = np.array([s.block for s in supporters])
        not_affected = np.array([s.id not in affected for s in supporters])
        text = {1: (("stage 1: same block",), ("第1段階：同じブロック",)),
                2: (("stage 2: other block",), ("第2段階：他ブロック",))}
        by_requester: dict[tuple[str, bool], CandidateVector] = {}
        sites = {r.id: r for r in requesters}

        def eligibility(need: NeedInput) -> CandidateVector:
            key = (need.requester, need.remote)
            found = by_requester.get(key)
            if found is None:
                r = sites[need.requester]
                eligible = not_affected.copy()
                if need.requester in index:
                    eligible[index[need.requester]] = False
                stages = np.where(block == r.block, 1, 2)
                rank_of = {b: i for i, b in enumerate(partners.get(r.block, []), start=1)}
                ranks = np.array([rank_of.get(b, -1) for b in block.tolist()], dtype=np.int64)
                distances = (np.zeros(len(supporters)) if need.remote
                             else np.round(haversine_km(r.lat, r.lon, lat, lon), 1))
                found = by_requester[key] = CandidateVector(
                    ids, eligible, stages, distances, lambda i, stages=stages: text[int(stages[i])], ranks)
            return found

        return eligibility

    return factory


def make_needs(rng: random.Random, requesters: list[Site], languages_of: Callable[[random.Random], list[str]],
               max_headcount: int) -> list[NeedInput]:
    needs = []
    for r in requesters:
        for language in languages_of(rng):
            kind = rng.choice(list(KINDS))
            needs.append(NeedInput(
                id=f"{r.id}:{language}:{kind}", requester=r.id, kind=kind, language=language,
                headcount=rng.randint(1, max_headcount), start=DAY0 + timedelta(days=rng.randint(0, 6)),
                days=rng.randint(3, 8), place=r.place, remote=KINDS[kind]))
    return needs


def make_supplies(rng: random.Random, supporters: list[Site], languages_of: Callable[[random.Random], list[str]],
                  headcount: tuple[int, int]) -> list[SupplyInput]:
    supplies = []
    for s in supporters:
        window = rng.random() < 0.3
        start = DAY0 + timedelta(days=rng.randint(0, 3)) if window else None
        supplies.append(SupplyInput(
            id=s.id, association_id=s.id, languages=frozenset(languages_of(rng)),
            kinds=frozenset(rng.sample(list(KINDS), rng.randint(3, 6))), headcount=rng.randint(*headcount),
            available_from=start, available_until=start + timedelta(days=rng.randint(10, 20)) if start else None))
    return supplies


def regional(seed: int) -> Scenario:
    """63 associations each requesting in the 5 languages (a national drill), 63 supporters."""
    rng = random.Random(seed)
    sites = [Site(a["id"], a["block"], float(a["lat"]), float(a["lon"]), a["municipality_code"])
             for a in read_csv("associations.csv")]
    needs = make_needs(rng, sites, lambda r: list(REGIONAL_LANGUAGES), max_headcount=3)
    # Two supplies per association (standing capacity and a disaster offer), so that capacity is of the
    # same order as demand and the plan is about who goes where, not only about who is left out.
    supplies = [replace(s, id=f"{s.id}:{n}") for n in ("standing", "offer")
                for s in make_supplies(rng, sites, lambda r: rng.sample(REGIONAL_LANGUAGES, rng.randint(2, 4)),
                                       headcount=(3, 8))]
    return Scenario("regional", needs, supplies, eligibility_over(sites, sites, affected=set()),
                    f"63 supporter associations × 63 requesting associations × 5 languages ({len(needs)} needs, "
                    f"{len(supplies)} supplies); every association requests (a national drill), so only the "
                    "requester itself is excluded")


def municipal(seed: int) -> Scenario:
    """1,741 municipalities as supplier units; the 700 nearest to a seeded epicentre request."""
    rng = random.Random(seed)
    associations = read_csv("associations.csv")
    block_of_pref = {a["prefecture_code"]: a["block"] for a in associations if a["kind"] == "prefecture"}
    block_of_pref.setdefault("29", NARA_BLOCK)
    units = [Site(m["code"], block_of_pref[m["pref_code"]], float(m["lat"]), float(m["lon"]), m["code"])
             for m in read_csv("municipalities.csv") if m["is_ward"] == "False"]
    centre = rng.choice(units)
    km = haversine_km(np.array(centre.lat), np.array(centre.lon), np.array([u.lat for u in units]),
                      np.array([u.lon for u in units]))
    requesters = [units[i] for i in np.argsort(km, kind="stable")[:700]]
    affected = {r.id for r in requesters}
    needs = make_needs(rng, requesters, lambda r: weighted_sample(r, NEED_WEIGHTS, r.randint(1, 3)),
                       max_headcount=3)
    supplies = make_supplies(rng, units, lambda r: weighted_sample(r, OFFER_WEIGHTS, r.randint(1, 2)),
                             headcount=(1, 4))
    return Scenario("municipal", needs, supplies, eligibility_over(requesters, units, affected),
                    f"1,741 municipalities as supplier units (block = their prefecture association's) × 700 "
                    f"requesting municipalities nearest to a seeded epicentre ({centre.id}) × 10 languages "
                    f"({len(needs)} needs, {len(supplies)} supplies); the 700 affected units never supply")


def greedy(needs: list[NeedInput], arcs: list[Arc], supplies: list[SupplyInput], cross_block_open: bool,
           order: Callable[[Arc], Any]) -> dict[str, float]:
    """First come, first served: needs in arrival order each call supporters down a list in `order`."""
    left = {s.id: s.headcount for s in supplies}
    by_need: dict[str, list[Arc]] = defaultdict(list)
    for a in arcs:
        if a.stage == 1 or cross_block_open:
            by_need[a.need_id].append(a)
    covered = cross = 0
    total_km = 0.0
    arrival = sorted(needs, key=lambda n: (n.start, n.id))
    for need in arrival:
        wanted = need.headcount
        for a in sorted(by_need[need.id], key=order):
            if wanted == 0:
                break
            take = min(wanted, left[a.supply_id])
            if take:
                left[a.supply_id] -= take
                wanted -= take
                covered += take
                cross += take if a.stage == 2 else 0
                total_km += take * a.distance_km
    return {"covered": covered, "cross_block_people": cross, "total_km": round(total_km, 1)}


def solve_options(partner_order: str | None) -> dict[str, Any]:
    """Keyword arguments for `solve`: the partner order when asked for and this code base's solve takes one
    (an --against commit may predate it)."""
    if partner_order is None or "partner_order" not in inspect.signature(solve).parameters:
        return {}
    return {"partner_order": partner_order}


def measure(scenario: Scenario, runs: int, cross_block_open: bool, options: dict[str, Any]) -> dict[str, Any]:
    eligibility_ms, build_ms, solve_ms, end_to_end_ms = [], [], [], []
    build_cpu, solve_cpu, end_to_end_cpu = [], [], []
    plan: Plan | None = None
    arcs: list[Arc] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        eligibility = scenario.eligibility_factory()
        for need in scenario.needs:  # evaluate (and cache) eligibility up front, outside the timing below
            eligibility(need)
        t1, c1 = time.perf_counter(), time.process_time()
        arcs = build_arcs(scenario.needs, scenario.supplies, eligibility)
        t2, c2 = time.perf_counter(), time.process_time()
        plan = solve(scenario.needs, scenario.supplies, arcs, cross_block_open=cross_block_open, **options)
        t3, c3 = time.perf_counter(), time.process_time()
        build_cpu.append((c2 - c1) * 1000)
        solve_cpu.append((c3 - c2) * 1000)
        end_to_end_cpu.append((c3 - c1) * 1000)
        eligibility_ms.append((t1 - t0) * 1000)
        build_ms.append((t2 - t1) * 1000)
        solve_ms.append((t3 - t2) * 1000)
        end_to_end_ms.append((t3 - t1) * 1000)
    assert plan is not None

    tracemalloc.start()
    eligibility = scenario.eligibility_factory()
    solve(scenario.needs, scenario.supplies, build_arcs(scenario.needs, scenario.supplies, eligibility),
          cross_block_open=cross_block_open, **options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    optimal = {"covered": plan.covered, "cross_block_people": plan.cross_block_people,
               "total_km": round(plan.total_km, 1)}
    phone_list = greedy(scenario.needs, arcs, scenario.supplies, cross_block_open, lambda a: a.supply_id)
    nearest = greedy(scenario.needs, arcs, scenario.supplies, cross_block_open,
                     lambda a: (a.distance_km, a.supply_id))

    def versus(base: dict[str, float]) -> dict[str, Any]:
        per_person_opt = optimal["total_km"] / max(optimal["covered"], 1)
        per_person_base = base["total_km"] / max(base["covered"], 1)
        return {**base,
                "people_more_covered_by_optimal": optimal["covered"] - base["covered"],
                "km_saved": round(base["total_km"] - optimal["total_km"], 1),
                "km_per_person_saved_pct": round(100 * (1 - per_person_opt / per_person_base), 1)
                if per_person_base else 0.0,
                "cross_block_people_avoided": base["cross_block_people"] - optimal["cross_block_people"]}

    return {
        "description": scenario.description,
        "cross_block_open": cross_block_open,
        "needs": len(scenario.needs),
        "people_needed": sum(n.headcount for n in scenario.needs),
        "supplies": len(scenario.supplies),
        "arcs": len(arcs),
        "runs": runs,
        "median_ms": {"eligibility_stand_in": round(statistics.median(eligibility_ms), 2),
                      "build_arcs": round(statistics.median(build_ms), 2),
                      "solve": round(statistics.median(solve_ms), 2),
                      "end_to_end": round(statistics.median(end_to_end_ms), 2)},
        "max_ms": {"end_to_end": round(max(end_to_end_ms), 2)},
        # CPU time of this process: less disturbed than wall time when other work shares the cores.
        "median_cpu_ms": {"build_arcs": round(statistics.median(build_cpu), 2),
                          "solve": round(statistics.median(solve_cpu), 2),
                          "end_to_end": round(statistics.median(end_to_end_cpu), 2)},
        "peak_traced_python_memory_mb": round(peak / 2**20, 1),
        "optimal": {**optimal, "unmet_people": sum(u.headcount for u in plan.unmet),
                    "unmet_by_code": dict(sorted(_count_codes(plan).items()))},
        "greedy_phone_list_by_id": versus(phone_list),
        "greedy_nearest_first": versus(nearest),
    }


def _count_codes(plan: Plan) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for u in plan.unmet:
        counts[u.code] += u.headcount
    return counts


TARGETS_MS = {"regional": 20.0, "municipal": 500.0}


def against(rev: str, *, rounds: int, runs: int, seed: int, partner_order: str | None) -> dict[str, Any]:
    """This tree versus commit `rev` on the same instances, in alternating subprocesses."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "coordinator"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="ouen-bench-") as tmp:
        old_root = Path(tmp)
        archive = subprocess.run(["git", "archive", commit, "coordinator", "agreements", "data"], cwd=ROOT,
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old_root)], input=archive, check=True)
        # This file, so that both sides solve the very same instances.
        (old_root / "bench").mkdir()
        shutil.copy(Path(__file__), old_root / "bench" / "matching.py")
        sides = {"this": ROOT, "base": old_root}
        samples: dict[str, list[dict[str, Any]]] = {"this": [], "base": []}
        for round_ in range(rounds):
            for side in (("this", "base") if round_ % 2 == 0 else ("base", "this")):
                out = Path(tmp) / f"{side}-{round_}.json"
                env = {**os.environ, "PYTHONPATH": str(sides[side])}
                order = ["--partner-order", partner_order] if partner_order else []
                subprocess.run([sys.executable, str(sides[side] / "bench" / "matching.py"), "--runs", str(runs),
                                "--seed", str(seed), "--out", str(out), *order], cwd=sides[side], env=env,
                               check=True, stdout=subprocess.DEVNULL)
                samples[side].append(json.loads(out.read_text(encoding="utf-8")))
    report: dict[str, Any] = {
        "benchmark": "matching A/B",
        "this": here + (" + uncommitted changes" if dirty else ""), "base": commit, "rounds": rounds,
        "partner_order": partner_order,
        "runs_per_round": runs, "load_average_after": [round(x, 2) for x in os.getloadavg()], "scales": {}}
    for scale in samples["this"][0]["scales"]:
        row: dict[str, Any] = {}
        for clock in ("median_ms", "median_cpu_ms"):
            for metric in ("end_to_end", "solve", "build_arcs"):
                this = statistics.median(s["scales"][scale][clock][metric] for s in samples["this"])
                base = statistics.median(s["scales"][scale][clock][metric] for s in samples["base"])
                name = metric if clock == "median_ms" else f"{metric}_cpu"
                row[name] = {"this_ms": round(this, 2), "base_ms": round(base, 2), "ratio": round(this / base, 3)}
        row["plan_this"] = samples["this"][0]["scales"][scale]["optimal"]
        row["plan_base"] = samples["base"][0]["scales"][scale]["optimal"]
        report["scales"][scale] = row
    return report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="report file (default bench/results/matching.json, or "
                        "matching_ab.json with --against)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--against", metavar="REV", help="compare with this git commit (A/B in one run)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side with --against")
    parser.add_argument("--partner-order", choices=("strict", "distance"), default=None,
                        help="solve with this agreement partner order (default: solve's own default, strict)")
    args = parser.parse_args(argv)
    if args.against:
        report = against(args.against, rounds=args.rounds, runs=args.runs, seed=args.seed,
                         partner_order=args.partner_order)
        text = json.dumps(report, ensure_ascii=False, indent=2)
        out = Path(args.out or ROOT / "bench" / "results" / "matching_ab.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        print(text)
        return report

    results: dict[str, Any] = {
        "benchmark": "matching",
        "command": "python bench/matching.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared: see the load averages)",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "scales": {},
    }
    for scenario in (regional(args.seed), municipal(args.seed)):
        for cross_block_open in (True, False):
            key = f"{scenario.name}_{'open' if cross_block_open else 'closed'}"
            result = measure(scenario, args.runs, cross_block_open, solve_options(args.partner_order))
            target = TARGETS_MS[scenario.name]
            result["target_end_to_end_ms"] = target
            result["meets_target"] = result["median_ms"]["end_to_end"] < target
            results["scales"][key] = result
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["meets_memory_target_1gb"] = results["peak_rss_mb"] < 1024
    text = json.dumps(results, ensure_ascii=False, indent=2)
    out = Path(args.out or ROOT / "bench" / "results" / "matching.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return results


if __name__ == "__main__":
    main()
