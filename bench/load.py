"""A disaster spike on loopback: 63 associations x 5 staff declare and amend needs while 1,000 dashboards
watch over websockets. Reports write throughput, latency percentiles, event delivery to every dashboard,
and the server's memory (RSS) over the run, as JSON.

    python bench/load.py [--database sqlite|postgres] [--staff 5] [--dashboards 1000] [--rounds 2]
                         [--writer-processes 2] [--dashboard-processes 3] [--out bench/results/load.json]

The server is a real uvicorn process running create_app (as `ouen serve` does, permessage-deflate off);
the clients run in child processes (writers in some, dashboards in others) on the same machine, so that
one client process is not the bottleneck; the report gives the CPU seconds of the server and of the
clients, and how many need events each dashboard received against how many were acknowledged. Every loop is bounded in
count and time and only 127.0.0.1 is contacted. PostgreSQL needs OUEN_TEST_POSTGRES_URL (a schema of its
own is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

from coordinator.db import make_engine  # noqa: E402
from tests.support import create_user_with_token, free_port, prepare_database  # noqa: E402

PREFECTURES = [f"{code:02d}" for code in range(1, 48)]
PHASE_TIMEOUT = 600.0  # no phase of the benchmark may take longer than this


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(f"[load] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of the values (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    """Count and p50/p95/p99/max in milliseconds."""
    def ms(value: float | None) -> float | None:
        return round(value * 1000, 1) if value is not None else None

    return {"count": len(seconds), "p50_ms": ms(percentile(seconds, 0.50)), "p95_ms": ms(percentile(seconds, 0.95)),
            "p99_ms": ms(percentile(seconds, 0.99)), "max_ms": ms(max(seconds) if seconds else None)}


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """uvicorn on create_app in a child process."""

    def __init__(self, db_url: str, log_path: Path, factory: str = "coordinator.app:create_app") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OUEN_DATABASE_URL": db_url, "OUEN_LOG_LEVEL": "warning",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--ws-per-message-deflate", "false",
             # Keep-alive as long as nginx's default: with uvicorn's 5 s, a pooled client connection idle
             # for 5 s is closed just as the client reuses it, and the POST fails with a ReadError.
             "--backlog", "4096", "--timeout-keep-alive", "75"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        """Until /readyz answers 200 (at most 300 s: a loaded machine starts slowly)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server not ready")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample_rss(pid: int, samples: list[tuple[float, float]], started: float, stop: threading.Event) -> None:
    """RSS of the server every 250 ms until stopped (a thread of the main process)."""
    while not stop.is_set():
        with contextlib.suppress(FileNotFoundError):
            samples.append((round(time.monotonic() - started, 2), round(rss_mib(pid), 1)))
        stop.wait(0.25)


# -- dashboards (child processes) ------------------------------------------------------------------------------
async def _follow(ws_url: str, token: str, expected: Any, seen: dict[tuple[str, str], float], ready: Any,
                  state: dict[str, int], batch: bool) -> None:
    """One national dashboard: subscribe to every live disaster and collect need events until it has all.

    Like realtime/client.js, it resumes from the last sequence number it saw whenever the server closes it
    (a slow consumer is closed with 4409 and must catch up by replay), so no event is lost, and it takes
    events fanned out together in one frame (`batch`).
    """
    since: int | None = None
    deadline = time.monotonic() + PHASE_TIMEOUT
    first = True
    while time.monotonic() < deadline:
        try:
            socket: ClientConnection = await connect(f"{ws_url}?token={token}", compression=None, open_timeout=60,
                                                     max_size=None, proxy=None)
        except (OSError, TimeoutError, InvalidHandshake):
            await asyncio.sleep(0.5)
            continue
        try:
            await socket.send(json.dumps({"type": "subscribe", "mode": "live",
                                          **({"batch": True} if batch else {}),
                                          **({"since": since} if since is not None else {})}))
            while time.monotonic() < deadline:
                if 0 <= expected.value <= len(seen):
                    return
                try:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 1))
                except TimeoutError:
                    continue
                kind = message["type"]
                if kind == "live":
                    since = message["seq"] if since is None else max(since, message["seq"])
                    if first:
                        with ready.get_lock():
                            ready.value += 1
                        first = False
                elif kind == "heartbeat":
                    since = max(since or 0, message["seq"])
                    await socket.send('{"type":"pong"}')  # any message keeps the idle timer from closing us
                elif kind in ("event", "events"):
                    for event in [message["event"]] if kind == "event" else message["events"]:
                        since = max(since or 0, event["seq"])
                        key = (event["type"], str(event["entity_id"]))
                        if event["type"] in ("need.created", "need.amended") and key not in seen:
                            seen[key] = time.time()
        except ConnectionClosed:
            state["resumes"] += 1  # closed by the server (e.g. 4409 slow consumer): resume from `since`
        finally:
            await socket.close()


def dashboards_process(ws_url: str, token: str, count: int, sampled: int, batch: bool, expected: Any,
                       ready: Any, results: Any) -> None:
    """Run `count` dashboards in this process; report each one's events (and receipt times of a few)."""
    async def run() -> list[dict[tuple[str, str], float]]:
        seen: list[dict[tuple[str, str], float]] = [{} for _ in range(count)]
        state = {"resumes": 0}
        tasks = []
        for group in range(0, count, 50):  # 50 at a time, as browsers arrive over a few seconds
            tasks += [asyncio.create_task(_follow(ws_url, token, expected, seen[i], ready, state, batch))
                      for i in range(group, min(count, group + 50))]
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks, return_exceptions=True)
        return seen, state["resumes"]

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    seen, resumes = asyncio.run(run())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put({"received": [len(s) for s in seen], "resumes": resumes,
                 "receipts": [list(s.items()) for s in seen[:sampled]],
                 "cpu_seconds": usage.ru_utime + usage.ru_stime})


# -- writers (child processes) -------------------------------------------------------------------------------------
async def staff_member(http: httpx.AsyncClient, token: str, association: str, disaster_id: int, rounds: int,
                       out: dict[str, Any]) -> None:
    """Declare a need, then amend it (headcount and notes), `rounds` times."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies, statuses, acked = out["latencies"], out["statuses"], out["acked"]
    for n in range(rounds):
        body = {"requester_id": association, "kind": "centre_staff", "language": ("vi", "en", "zh", "pt")[n % 4],
                "headcount": 1 + n % 5, "start": date.today().isoformat(), "days": 5,
                "notes": f"避難所の通訳 {n}"}
        started = time.monotonic()
        try:
            response = await http.post(f"/api/v1/disasters/{disaster_id}/needs", json=body, headers=headers)
        except httpx.TransportError as error:  # e.g. no answer within the client's timeout: counted, not raised
            statuses[f"declare {type(error).__name__}"] = statuses.get(f"declare {type(error).__name__}", 0) + 1
            continue
        latencies["declare"].append(time.monotonic() - started)
        statuses[f"declare {response.status_code}"] = statuses.get(f"declare {response.status_code}", 0) + 1
        if response.status_code != 201:
            continue
        need = response.json()
        acked.append(("need.created", str(need["id"]), time.time()))
        started = time.monotonic()
        try:
            amended = await http.patch(f"/api/v1/needs/{need['id']}", headers=headers, json={
                "version": need["version"], "headcount": need["headcount"] + 1, "notes": f"増員 {n}"})
        except httpx.TransportError as error:
            statuses[f"amend {type(error).__name__}"] = statuses.get(f"amend {type(error).__name__}", 0) + 1
            continue
        latencies["amend"].append(time.monotonic() - started)
        statuses[f"amend {amended.status_code}"] = statuses.get(f"amend {amended.status_code}", 0) + 1
        if amended.status_code == 200:
            acked.append(("need.amended", str(need["id"]), time.time()))


def writers_process(base: str, staff: list[tuple[str, str, int]], rounds: int, go: Any, results: Any) -> None:
    """Every staff member given writes at once, when `go` is set; report latencies and acknowledgements."""
    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {"latencies": {"declare": [], "amend": []}, "statuses": {}, "acked": []}
        limits = httpx.Limits(max_connections=len(staff) + 10, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:
            while not go.is_set():
                await asyncio.sleep(0.01)
            try:
                await asyncio.wait_for(asyncio.gather(*(
                    staff_member(http, token, association, disaster_id, rounds, out)
                    for token, association, disaster_id in staff)), PHASE_TIMEOUT)
            except TimeoutError:  # reported (statuses "timed out"), not lost in a traceback
                unanswered = len(staff) * rounds * 2 - len(out["latencies"]["declare"]) - len(out["latencies"]["amend"])
                out["statuses"]["timed out"] = unanswered
        return out

    out = asyncio.run(run())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put({**out, "cpu_seconds": usage.ru_utime + usage.ru_stime})


def scrape_live_clients(base: str) -> float | None:
    """ouen_live_clients from the server's /metrics."""
    for line in httpx.get(f"{base}/metrics", timeout=30).text.splitlines():
        if line.startswith("ouen_live_clients "):
            return float(line.split()[1])
    return None


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts) if items[i::parts]]


def spike(server: Server, tokens: dict[str, list[str]], secretariat: str, args: argparse.Namespace) -> dict[str, Any]:
    """The measured part: dashboards connect (in child processes), then every staff member writes at once
    (in other child processes), so that the clients' own CPU is spread over processes."""
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    rss: list[tuple[float, float]] = []
    stop_sampling = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(server.process.pid, rss, started, stop_sampling),
                               daemon=True)
    sampler.start()
    # One disaster may not cover the whole country (each block keeps a coordinator outside the area), so
    # two simultaneous ones split the prefectures alternately; every association is affected by one.
    affected_by: dict[str, int] = {}
    for half in (PREFECTURES[0::2], PREFECTURES[1::2]):
        declared = httpx.post(f"{server.base}/api/v1/disasters", headers={"Authorization": f"Bearer {secretariat}"},
                              json={"name": f"同時多発災害（負荷試験 {half[0]}…）", "kind": "earthquake",
                                    "area": {"prefectures": half}}, timeout=60)
        declared.raise_for_status()
        for association in declared.json()["affected_associations"]:
            affected_by.setdefault(association, declared.json()["id"])
    writers = {association: staff for association, staff in tokens.items() if association in affected_by}
    progress(f"{len(affected_by)} associations affected by two disasters; connecting dashboards")
    rss_before_dashboards = rss_mib(server.process.pid)
    cpu_before = cpu_seconds(server.process.pid)

    expected, ready, go = context.Value("i", -1), context.Value("i", 0), context.Event()
    dash_results, write_results = context.Queue(), context.Queue()
    ws_url = server.base.replace("http://", "ws://") + "/api/v1/live"
    counts = [len(part) for part in _split(list(range(args.dashboards)), args.dashboard_processes)]
    sampled_each = max(1, 20 // max(1, len(counts)))
    children = [context.Process(target=dashboards_process, daemon=True, args=(
                    ws_url, secretariat, n, sampled_each, not args.no_batch, expected, ready, dash_results))
                for n in counts]
    staff = [(token, association, affected_by[association]) for association, ts in writers.items() for token in ts]
    writer_children = [context.Process(target=writers_process, args=(server.base, part, args.rounds, go,
                                                                      write_results), daemon=True)
                       for part in _split(staff, args.writer_processes)]
    for child in children + writer_children:
        child.start()
    connect_started = time.monotonic()
    while ready.value < args.dashboards and time.monotonic() - connect_started < PHASE_TIMEOUT:
        time.sleep(0.1)
    connect_seconds = time.monotonic() - connect_started
    live_clients = scrape_live_clients(server.base)
    rss_with_dashboards = rss_mib(server.process.pid)
    cpu_with_dashboards = cpu_seconds(server.process.pid)

    progress(f"{ready.value} dashboards live after {connect_seconds:.1f} s; writing "
             f"({len(staff)} staff in {len(writer_children)} processes)")
    write_started = time.monotonic()
    go.set()
    written = [write_results.get(timeout=PHASE_TIMEOUT + 60) for _ in writer_children]
    write_seconds = time.monotonic() - write_started
    cpu_after_writes = cpu_seconds(server.process.pid)
    acked = {(kind, need): at for part in written for kind, need, at in part["acked"]}
    latencies = {op: [v for part in written for v in part["latencies"][op]] for op in ("declare", "amend")}
    statuses: dict[str, int] = {}
    for part in written:
        for key, value in part["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
    expected.value = len(acked)
    progress(f"{len(acked)} writes acknowledged in {write_seconds:.1f} s ({statuses}); delivering")
    watched = [dash_results.get(timeout=PHASE_TIMEOUT + 60) for _ in children]
    delivered_seconds = time.monotonic() - write_started
    cpu_after_delivery = cpu_seconds(server.process.pid)
    for child in children + writer_children:
        child.join(30)
    stop_sampling.set()
    sampler.join()
    received = [n for part in watched for n in part["received"]]
    lags = [at - acked[(kind, need)] for part in watched for receipts in part["receipts"]
            for (kind, need), at in receipts if (kind, need) in acked]
    requests = len(latencies["declare"]) + len(latencies["amend"])
    complete = sum(1 for got in received if got >= len(acked))
    peak = max(mib for _, mib in rss)
    return {
        "disasters": sorted(set(affected_by.values())), "associations_writing": len(writers),
        "staff_writing": len(staff), "writer_processes": len(writer_children),
        "dashboards": args.dashboards, "dashboard_processes": len(children), "batch_frames": not args.no_batch,
        "dashboards_connected": ready.value,
        "dashboard_connect_seconds": round(connect_seconds, 2), "live_clients_metric": live_clients,
        "write_requests": requests, "write_seconds": round(write_seconds, 2),
        "writes_per_second": round(requests / write_seconds, 1) if write_seconds else None,
        "latency": {op: latency_summary(values) for op, values in latencies.items()},
        "latency_all": latency_summary(latencies["declare"] + latencies["amend"]),
        "statuses": statuses, "events_acknowledged": len(acked),
        "dashboards_with_every_event": complete,
        "events_per_dashboard": {"expected": len(acked), "min": min(received, default=0),
                                 "max": max(received, default=0), "dashboards_reporting": len(received)},
        "need_events_received": sum(received), "dashboard_resumes": sum(part["resumes"] for part in watched),
        "need_events_per_second": round(sum(received) / delivered_seconds, 1) if delivered_seconds else None,
        "delivery_seconds": round(delivered_seconds, 2),
        "delivery_lag_sampled": latency_summary(lags),
        "cpu_seconds": {"server_while_writing": round(cpu_after_writes - cpu_with_dashboards, 1),
                        "server_until_delivered": round(cpu_after_delivery - cpu_with_dashboards, 1),
                        "server_connecting_dashboards": round(cpu_with_dashboards - cpu_before, 1),
                        "writer_processes": round(sum(part["cpu_seconds"] for part in written), 1),
                        "dashboard_processes": round(sum(part["cpu_seconds"] for part in watched), 1)},
        "server_rss_mib": {"before_dashboards": round(rss_before_dashboards, 1),
                           "with_dashboards": round(rss_with_dashboards, 1), "peak": peak,
                           "end": rss[-1][1] if rss else None},
        "rss_timeline": rss[:: max(1, len(rss) // 60)],
    }


def main() -> int:
    """Set up the database and users, start the server, run the spike, write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--staff", type=int, default=5, help="staff per association")
    parser.add_argument("--dashboards", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="needs declared (and each amended) per staff")
    parser.add_argument("--writer-processes", type=int, default=2, help="client processes for the staff")
    parser.add_argument("--dashboard-processes", type=int, default=3, help="client processes for the dashboards")
    parser.add_argument("--no-batch", action="store_true",
                        help="dashboards take one frame per event (as before subscriptions had `batch`)")
    parser.add_argument("--rss-limit-mib", type=float, default=1024.0, help="fail above this server RSS")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    parser.add_argument("--factory", default="coordinator.app:create_app",
                        help="app factory for uvicorn (to measure a variant of the app)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 sockets here and there
    schema = None
    with tempfile.TemporaryDirectory() as scratch:
        if args.database == "sqlite":
            url = f"sqlite:///{scratch}/load.sqlite3"
        else:
            base = os.environ["OUEN_TEST_POSTGRES_URL"]
            schema = f"load_{uuid.uuid4().hex[:12]}"
            admin = make_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False)
        engine = make_engine(url)
        server: Server | None = None
        try:
            prepare_database(engine)
            with engine.connect() as connection:
                associations = [row[0] for row in connection.execute(text(
                    "SELECT id FROM association WHERE id <> 'clair' ORDER BY id"))]
            tokens = {a: [create_user_with_token(engine, "staff", a)[1] for _ in range(args.staff)]
                      for a in associations}
            secretariat = create_user_with_token(engine, "secretariat", "clair")[1]
            engine.dispose()
            server = Server(url, Path(scratch) / "server.log", args.factory)
            server.wait_ready()
            figures = spike(server, tokens, secretariat, args)
        finally:
            if server is not None:
                server.stop()
                # Keep the server's log beside the report: the scratch folder goes away.
                args.out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(scratch) / "server.log", args.out.with_suffix(".server.log"))
            engine.dispose()
            if schema is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    report = {"benchmark": "load", "database": args.database, "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_before": load_before},
              "associations": len(tokens), "staff_per_association": args.staff, "rounds": args.rounds,
              "rss_limit_mib": args.rss_limit_mib, **figures}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "rss_timeline"}, ensure_ascii=False, indent=1))
    failed = (figures["server_rss_mib"]["peak"] > args.rss_limit_mib
              or figures["dashboards_with_every_event"] < args.dashboards
              or any(not key.endswith(("201", "200")) for key in figures["statuses"]))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
