"""Schema fuzzing of the app's OpenAPI document with schemathesis, in-process (ASGI), under a request budget.

Used by tests/ops/test_fuzz.py (a budget that fits a test run) and bench/fuzz.py (the full >= 5,000).
Every operation is fuzzed with each credential (none, a secretariat token, a staff token), with valid
(positive) and invalid (negative) data, and — for operations with ids in the path — both with generated
ids and with the ids of real rows, so that bodies reach the services and not only the 404.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

CHECKS = [not_a_server_error, response_schema_conformance]
ISHIKAWA, TOYAMA = "pref_ishikawa", "pref_toyama"


@dataclass
class FuzzReport:
    """What a fuzz run sent and what came back."""

    requests: int = 0
    seconds: float = 0.0
    by_status: Counter[int] = field(default_factory=Counter)
    by_credential: Counter[str] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        """Responses with a 5xx status."""
        return sum(count for status, count in self.by_status.items() if status >= 500)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {"requests": self.requests, "seconds": round(self.seconds, 1),
                "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else None,
                "operations": len(self.operations), "server_errors": self.server_errors,
                "schema_violations": sum(1 for f in self.failures if f["kind"] == "check"),
                "exceptions": sum(1 for f in self.failures if f["kind"] == "exception"),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "by_credential": dict(self.by_credential), "failures": self.failures[:50]}


def seed_rows(client: TestClient, *, secretariat: str, ishikawa: str, toyama: str) -> dict[str, Any]:
    """A live disaster for prefecture 17 with a need, an offer and a proposed dispatch: real path ids."""
    def post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        return dict(response.json())

    today = date.today().isoformat()
    disaster = post("/api/v1/disasters", secretariat, {"name": "能登半島地震（ファジング）", "kind": "earthquake",
                                                       "area": {"prefectures": ["17"]}})
    need = post(f"/api/v1/disasters/{disaster['id']}/needs", ishikawa, {
        "requester_id": ISHIKAWA, "kind": "centre_staff", "language": "vi", "headcount": 4, "start": today,
        "days": 5})
    offer = post(f"/api/v1/disasters/{disaster['id']}/offers", toyama, {
        "languages": ["vi", "en"], "kinds": ["centre_staff"], "headcount": 5, "available_from": today,
        "available_until": today})
    dispatch = post(f"/api/v1/disasters/{disaster['id']}/dispatches", secretariat,
                    {"need_id": need["id"], "supplier_id": TOYAMA, "headcount": 1})
    return {"disaster_id": disaster["id"], "need_id": need["id"], "offer_id": offer["id"],
            "dispatch_id": dispatch["id"], "association_id": ISHIKAWA}


def fuzz_app(app: FastAPI, client: TestClient, *, credentials: dict[str, str | None], real_ids: dict[str, Any],
             budget: int) -> FuzzReport:
    """Fuzz every operation of the app's OpenAPI document with about `budget` requests in all.

    Requests go through `client` (a TestClient whose lifespan is running), not schemathesis' own ASGI
    client, so the app's live hub runs on one event loop.
    """
    # from_dict, not from_asgi: schemathesis would start a second lifespan of the app on its own loop.
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    groups = []
    for operation in operations:
        path_names = {p.name for p in operation.path_parameters}
        id_choices: list[dict[str, Any] | None] = [None]
        if path_names and path_names <= real_ids.keys():
            id_choices.append({name: real_ids[name] for name in path_names})
        for name, token in credentials.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for ids in id_choices:
                    groups.append((operation, name, token, mode, ids))
    per_group = max(1, budget // len(groups))
    report = FuzzReport()
    started = time.perf_counter()
    # Hypothesis stops early on small input spaces, so rounds with new (fixed) seeds go on until the budget
    # is spent; the last round stops mid-way.
    for round_seed in range(1, 1000):
        sent_before = report.requests
        for operation, name, token, mode, ids in groups:
            if report.requests >= budget:
                break
            try:
                _fuzz_group(client, operation, name, token, mode, ids, per_group, report, round_seed)
            except Unsatisfiable:
                continue  # no invalid variant exists (e.g. negative data for an operation without inputs)
        if report.requests >= budget or report.requests == sent_before:
            break
    report.seconds = time.perf_counter() - started
    return report


def send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a generated case through the test client (requests-style kwargs -> httpx)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    data = kwargs.pop("data", None)
    files = kwargs.pop("files", None)
    for unused in ("verify", "allow_redirects", "timeout", "cookies", "stream", "auth"):
        kwargs.pop(unused, None)
    if isinstance(data, dict) and files is None:
        kwargs["data"] = data
    elif data is not None:
        kwargs["content"] = data if isinstance(data, bytes | str) else repr(data)
    if files is not None:
        kwargs["files"] = files
    return client.request(**kwargs, follow_redirects=False)


def _fuzz_group(client: TestClient, operation: Any, credential: str, token: str | None, mode: GenerationMode,
                ids: dict[str, Any] | None, examples: int, report: FuzzReport, round_seed: int) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=ids) if ids \
        else operation.as_strategy(generation_mode=mode)

    @seed(round_seed)
    @settings(max_examples=examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case: Any) -> None:
        report.requests += 1
        report.by_credential[credential] += 1
        report.operations.add(operation.label)
        where = {"operation": operation.label, "credential": credential, "mode": mode.value,
                 "path": case.formatted_path, "query": case.query, "body": _short(case.body)}
        try:
            response = send(client, case, headers)
        except Exception as error:  # an exception escaping the app is a 500 for a real client
            report.by_status[500] += 1
            report.failures.append({"kind": "exception", **where, "error": f"{type(error).__name__}: {error}"[:300]})
            return
        report.by_status[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as error:  # schemathesis raises a failure group naming each failed check
            report.failures.append({"kind": "check", **where, "status": response.status_code,
                                    "error": str(error)[:600]})

    run()


def _short(value: Any) -> Any:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"
