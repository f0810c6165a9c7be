"""Foundation benchmark: reference-data load, area resolution and eligibility ranking; writes JSON.

Run: python bench/foundation.py [--out bench/results/foundation.json]
Targets (issue 2, 2-core machine): load < 1 s, prefecture area < 5 ms, polygon area < 50 ms,
ranking < 1 ms after warm-up.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# A Nankai-Trough-like strip along the Pacific coast (Suruga Bay to Hyuga-nada), lon/lat.
NANKAI_POLYGON = {
    "type": "Polygon",
    "coordinates": [[[138.9, 35.2], [137.0, 34.9], [135.8, 34.3], [134.6, 34.0], [133.2, 33.6], [132.4, 32.9],
                     [131.6, 32.2], [131.2, 31.5], [132.2, 31.4], [133.0, 32.5], [134.4, 33.0], [136.0, 33.3],
                     [137.5, 34.1], [139.0, 34.5], [138.9, 35.2]]],
}

LOAD_CODE = """
import time, sys
sys.path.insert(0, {root!r})
t = time.perf_counter()
import geo, agreements
geo.prefectures(); geo.municipalities(); geo.associations(); geo.association_distance_matrix()
agreements.load_agreement()
print(time.perf_counter() - t)
"""


def _timed(fn, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(0.95 * len(samples)) - 1]
    return {"median_ms": round(statistics.median(samples), 4), "p95_ms": round(p95, 4),
            "min_ms": round(samples[0], 4), "runs": repeat}


def main() -> None:
    """Measure and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/foundation.json")
    args = parser.parse_args()

    # Cold load in a fresh interpreter, so caches and imports are really measured.
    cold = [float(subprocess.run([sys.executable, "-c", LOAD_CODE.format(root=str(ROOT))], check=True,
                                 capture_output=True, text=True).stdout) for _ in range(3)]
    import agreements
    import geo

    agreement = agreements.load_agreement()
    geo.resolve_area(prefectures=["17"])
    geo.resolve_area(geojson=NANKAI_POLYGON)
    affected = geo.resolve_area(prefectures=["17"]).association_ids

    def rank() -> None:
        agreements.eligible_supporters(agreement, requester="pref_ishikawa", kind="onsite_interpretation",
                                       language="vi", place="17204", affected=affected, cross_block_open=True)

    rank()
    report = {
        "benchmark": "foundation",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "load_all_reference_data_s": {"median": round(statistics.median(cold), 4), "runs": cold,
                                      "target": "< 1 s"},
        "prefecture_area": {**_timed(lambda: geo.resolve_area(prefectures=["11", "12", "13", "14"]), 200),
                            "target": "< 5 ms"},
        "polygon_area": {**_timed(lambda: geo.resolve_area(geojson=NANKAI_POLYGON), 50), "target": "< 50 ms"},
        "epicentre_area": _timed(lambda: geo.resolve_area(epicentre=(130.76, 32.75), radius_km=30), 50),
        "ranking_one_need": {**_timed(rank, 2000), "target": "< 1 ms"},
    }
    report["targets_met"] = {
        "load": report["load_all_reference_data_s"]["median"] < 1.0,
        "prefecture_area": report["prefecture_area"]["median_ms"] < 5,
        "polygon_area": report["polygon_area"]["median_ms"] < 50,
        "ranking": report["ranking_one_need"]["median_ms"] < 1,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
