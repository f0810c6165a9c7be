"""Dashboard render benchmark: all 63 associations, 200 needs and 400 dispatches, in Debian's Chromium.

Run from the repository root:  python bench/web.py [--runs 7] [--out bench/results/web.json]

Builds a fresh SQLite database with a live disaster over 12 prefectures (Tokai to Kyushu), 200 needs of
affected associations and 400 dispatches from unaffected ones through the real services, starts uvicorn,
and opens the dashboard in a new browser context per run. "Drawn" is the page's own performance mark
`ouen-dashboard-drawn`, set once the map layers and every panel have been drawn (milliseconds since
navigation start, so it includes the server rendering the page). Also reports the server's time for the
page HTML and for the picture JSON that live updates re-read, and their size on the wire with and without
gzip. Prints the JSON and writes it to --out. Target (issues 6 and 14): drawn in < 1 s. Reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from coordinator.associations.service import load_associations  # noqa: E402
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF  # noqa: E402
from coordinator.auth.service import create_user  # noqa: E402
from coordinator.db import make_engine  # noqa: E402
from coordinator.disasters.models import AreaInput, DisasterCreate  # noqa: E402
from coordinator.disasters.service import declare_disaster, open_cross_block  # noqa: E402
from coordinator.dispatches.models import DispatchCreate  # noqa: E402
from coordinator.dispatches.service import propose_dispatch, transition_dispatch  # noqa: E402
from coordinator.migrations import upgrade_engine  # noqa: E402
from coordinator.needs.models import NeedCreate  # noqa: E402
from coordinator.needs.service import create_need  # noqa: E402
from coordinator.settings import get_settings  # noqa: E402

PASSWORD = "bench password 2024"
PREFECTURES = ["22", "23", "24", "30", "31", "33", "34", "37", "38", "39", "40", "44"]
LANGUAGES = ["en", "zh", "ko", "vi", "pt", "es", "tl", "ne", "id", "th"]
KINDS = ["centre_staff", "onsite_interpretation", "translation", "shelter_rounds", "hotline"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build(url: str, needs: int, dispatches: int) -> int:
    """Create the scenario on a fresh database; returns the disaster id."""
    engine = make_engine(url)
    upgrade_engine(engine)
    with Session(engine, expire_on_commit=False) as session:
        load_associations(session, data_dir=get_settings().data_dir)
        secretariat = create_user(
            session,
            login="bench-secretariat",
            display_name="bench",
            role=ROLE_SECRETARIAT,
            association_id="clair",
            password=PASSWORD,
        )
        session.commit()
        disaster = declare_disaster(
            session,
            actor=secretariat,
            data=DisasterCreate(
                name="南海トラフ地震（ベンチマーク）",
                kind="earthquake",
                area=AreaInput(prefectures=PREFECTURES),
            ),
        )
        disaster = open_cross_block(session, disaster_id=disaster.id or 0, actor=secretariat)
        affected = sorted(disaster.affected_associations)
        from geo.associations import associations as all_associations

        suppliers = sorted(
            a.id for a in all_associations(get_settings().data_dir) if a.id not in set(affected)
        )
        staff = {}
        for association_id in affected:
            staff[association_id] = create_user(
                session,
                login=f"bench-{association_id.replace('_', '-')}",
                display_name=association_id,
                role=ROLE_STAFF,
                association_id=association_id,
                password=PASSWORD,
            )
        session.commit()
        made = []
        for i in range(needs):
            requester = affected[i % len(affected)]
            made.append(
                create_need(
                    session,
                    disaster_id=disaster.id or 0,
                    actor=staff[requester],
                    data=NeedCreate(
                        requester_id=requester,
                        kind=KINDS[i % len(KINDS)],
                        language=LANGUAGES[i % len(LANGUAGES)],
                        headcount=4,
                        start=date.today(),
                        days=5,
                    ),
                )
            )
        for i in range(dispatches):
            need = made[i % len(made)]
            dispatch = propose_dispatch(
                session,
                disaster_id=disaster.id or 0,
                actor=secretariat,
                data=DispatchCreate(
                    need_id=need.id or 0, supplier_id=suppliers[(i * 7) % len(suppliers)], headcount=1
                ),
            )
            if dispatch.stage == 2 and i % 2 == 0:  # a mix of states (the secretariat approves stage 2)
                transition_dispatch(
                    session, dispatch_id=dispatch.id or 0, action="approve", actor=secretariat
                )
    engine.dispose()
    return disaster.id or 0


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn on the database, ready to answer."""
    port = free_port()
    env = {**os.environ, "OUEN_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "coordinator.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def measure(base: str, disaster_id: int, runs: int, chromium: str) -> dict[str, Any]:
    """Median and worst of `runs` cold page loads (a new browser context each), plus server timings."""
    from playwright.sync_api import sync_playwright

    login = {"login": "bench-secretariat", "password": PASSWORD}
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/api/v1/auth/login", json=login).raise_for_status()
        html_ms, json_ms = [], []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(f"/disasters/{disaster_id}").raise_for_status()
            html_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            picture = client.get(f"/web/picture/{disaster_id}").raise_for_status().json()
            json_ms.append((time.perf_counter() - started) * 1000)
        sizes = {}
        for name, path in (("page_html", f"/disasters/{disaster_id}"), ("picture_json", f"/web/picture/{disaster_id}")):
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            gzipped = client.get(path, headers={"Accept-Encoding": "gzip"})
            sizes[name] = {"bytes": len(plain.content), "gzip_bytes": int(gzipped.headers["content-length"]),
                           "gzip_ratio": round(int(gzipped.headers["content-length"]) / len(plain.content), 3)}
    drawn, dom, after_response = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.request.post(f"{base}/api/v1/auth/login", data=login)
            page = context.new_page()
            page.goto(f"{base}/disasters/{disaster_id}")
            page.wait_for_selector("body[data-ready='1']")
            timing = page.evaluate("""() => ({
                drawn: performance.getEntriesByName('ouen-dashboard-drawn')[0].startTime,
                response_end: performance.getEntriesByType('navigation')[0].responseEnd,
                dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                points: document.querySelectorAll('#map-points circle').length,
                arrows: document.querySelectorAll('#map-arrows g').length,
                needs: document.querySelectorAll('#needs-table tbody tr').length,
                dispatches: document.querySelectorAll('#dispatch-table tbody tr').length})""")
            drawn.append(timing["drawn"])
            after_response.append(timing["drawn"] - timing["response_end"])
            dom.append(timing["dom"])
            context.close()
        browser.close()
    return {
        "drawn_ms": {
            "median": round(statistics.median(drawn), 1),
            "max": round(max(drawn), 1),
            "runs": [round(v, 1) for v in drawn],
        },
        "dom_content_loaded_ms": {"median": round(statistics.median(dom), 1)},
        # The browser's own part: from the last byte of the page to the mark (server time excluded).
        "drawn_after_response_ms": {"median": round(statistics.median(after_response), 1),
                                    "max": round(max(after_response), 1)},
        "server_page_html_ms": {"median": round(statistics.median(html_ms), 1)},
        "server_picture_json_ms": {"median": round(statistics.median(json_ms), 1)},
        "sizes": sizes,
        "drawn": {k: timing[k] for k in ("points", "arrows", "needs", "dispatches")},
        "picture": {
            "needs": len(picture["needs"]),
            "dispatches": len(picture["dispatches"]),
            "associations_on_map": timing["points"],
        },
        "target_ms": 1000,
        "meets_target": statistics.median(drawn) < 1000,
    }


def main() -> None:
    """Build the scenario, serve it, measure, print and write the JSON report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--dispatches", type=int, default=400)
    parser.add_argument("--chromium", default=os.environ.get("OUEN_TEST_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "web.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        disaster_id = build(url, args.needs, args.dispatches)
        process, base = serve(url)
        try:
            result = measure(base, disaster_id, args.runs, args.chromium)
        finally:
            process.terminate()
            process.wait(timeout=15)
    report = {
        "benchmark": "web dashboard render",
        "needs": args.needs,
        "dispatches": args.dispatches,
        "runs": args.runs,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        **result,
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
