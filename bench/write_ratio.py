"""Need declarations through ouen's API against the thinnest FastAPI + SQLModel app that stores the same need
and its event (bench/baseline_app.py), side by side in one run: throughput ratio and latency of each.

    python bench/write_ratio.py [--requests 300] [--concurrency 8] [--rounds 3] [--out bench/results/write_ratio.json]

Both are real uvicorn servers on loopback, each on a fresh SQLite file (WAL); the client alternates between
them for `--rounds` rounds (20 warm-up requests, then `--requests` at `--concurrency` clients each round),
so the shared machine's load weighs on both alike, and reports the medians and ouen's throughput as a share
of the baseline's (target, issue 13: at least 0.60). ouen is started as `ouen serve` does it (create_app,
websocket deflate off) with a secretariat token and a live disaster over Ishikawa.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from coordinator.db import make_engine  # noqa: E402
from tests.support import create_user_with_token, free_port, prepare_database  # noqa: E402

BODY = {"requester_id": "pref_ishikawa", "kind": "onsite_interpretation", "language": "vi", "headcount": 2,
        "start": date.today().isoformat(), "days": 5, "place": "17204"}


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A uvicorn child process on loopback, its output in `log`."""
    return subprocess.Popen([sys.executable, "-m", "uvicorn", *argv, "--host", "127.0.0.1", "--log-level", "warning"],
                            cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_ready(url: str) -> None:
    """Until the URL answers 200 (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready")


async def one_round(url: str, token: str, disaster_id: int, requests: int, concurrency: int) -> dict[str, float]:
    """20 warm-up requests, then `requests` need declarations at `concurrency` clients."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        async def declare() -> None:
            async with gate:
                started = time.perf_counter()
                response = await http.post(f"/api/v1/disasters/{disaster_id}/needs", json=BODY)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        for _ in range(20):
            await declare()
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(declare() for _ in range(requests)))
        wall = time.perf_counter() - started
    latencies.sort()
    return {"rps": requests / wall, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


def main() -> int:
    """Start both servers, alternate the rounds, write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "write_ratio.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        ouen_url = f"sqlite:///{scratch}/ouen.sqlite3"
        engine = make_engine(ouen_url)
        prepare_database(engine)
        _, token = create_user_with_token(engine, "secretariat", "clair")
        engine.dispose()
        ouen_port, base_port = free_port(), free_port()
        pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        servers = [
            start(["coordinator.app:create_app", "--factory", "--port", str(ouen_port), "--ws-per-message-deflate",
                   "false"], {"OUEN_DATABASE_URL": ouen_url, "OUEN_LOG_LEVEL": "warning", "PYTHONPATH": pythonpath},
                  Path(scratch) / "ouen.log"),
            start(["--app-dir", str(ROOT / "bench"), "baseline_app:app", "--port", str(base_port)],
                  {"BASE_DB": f"sqlite:///{scratch}/baseline.sqlite3"}, Path(scratch) / "baseline.log"),
        ]
        try:
            ouen, base = f"http://127.0.0.1:{ouen_port}", f"http://127.0.0.1:{base_port}"
            wait_ready(f"{ouen}/readyz")
            wait_ready(f"{base}/healthz")
            declared = httpx.post(f"{ouen}/api/v1/disasters", headers={"Authorization": f"Bearer {token}"}, timeout=60,
                                  json={"name": "ratio", "kind": "earthquake", "mode": "live",
                                        "area": {"prefectures": ["17"]}})
            declared.raise_for_status()
            disaster_id = declared.json()["id"]
            rounds: dict[str, list[dict[str, float]]] = {"baseline": [], "ouen": []}
            for _ in range(args.rounds):
                rounds["baseline"].append(asyncio.run(one_round(base, "secret", 1, args.requests, args.concurrency)))
                rounds["ouen"].append(asyncio.run(one_round(ouen, token, disaster_id, args.requests, args.concurrency)))
        finally:
            for server in servers:
                server.terminate()
                server.wait(20)
    medians: dict[str, Any] = {name: {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}
                               for name, runs in rounds.items()}
    report = {"benchmark": "write_ratio", "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "load_average_before": load_before,
                          "load_average_after": os.getloadavg()},
              "requests": args.requests, "concurrency": args.concurrency, "rounds": rounds, **medians,
              "ratio_rps_ouen_over_baseline": round(medians["ouen"]["rps"] / medians["baseline"]["rps"], 3)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "rounds"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
