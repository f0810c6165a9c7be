"""Schema fuzzing (issue 8): schemathesis sends generated requests to every operation of the OpenAPI
document, without credentials and with a secretariat and a staff token: no 5xx, no response that
contradicts the document. bench/fuzz.py runs the same with >= 5,000 requests."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.ops.fuzzing import TOYAMA, fuzz_app, seed_rows

pytestmark = pytest.mark.slow

# About 45 s on the 2-core machine with SQLite; bench/fuzz.py runs the full budget.
TEST_BUDGET = 2000


def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(
        app: FastAPI, client: TestClient, make_user) -> None:
    secretariat = make_user("secretariat", "clair")[1]
    staff = make_user("staff", "pref_ishikawa")[1]
    real_ids = seed_rows(client, secretariat=secretariat, ishikawa=staff, toyama=make_user("staff", TOYAMA)[1])
    report = fuzz_app(app, client, credentials={"none": None, "secretariat": secretariat, "staff": staff},
                      real_ids=real_ids, budget=TEST_BUDGET)
    summary = report.as_json()
    assert report.requests >= TEST_BUDGET, summary
    operations = sum(len(methods) for methods in app.openapi()["paths"].values())
    assert operations >= 46 and len(report.operations) == operations, summary  # every operation was fuzzed
    assert set(report.by_credential) == {"none", "secretariat", "staff"}
    assert report.server_errors == 0 and report.failures == [], json.dumps(summary, ensure_ascii=False, indent=1)
    # Sanity: the fuzzer reached both refusals and successes, so it exercised more than the auth wall.
    assert report.by_status[401] > 0 and any(200 <= s < 300 for s in report.by_status), summary
