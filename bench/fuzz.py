"""Schema fuzzing at full size: >= 5,000 schemathesis requests against the app (in-process), JSON report.

    python bench/fuzz.py [--budget 5000] [--database sqlite|postgres] [--out bench/results/fuzz.json]

PostgreSQL needs OUEN_TEST_POSTGRES_URL (a schema of its own is created and dropped). The same driver runs
with a smaller budget in tests/ops/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from coordinator.app import create_app  # noqa: E402
from coordinator.db import make_engine  # noqa: E402
from coordinator.settings import Settings  # noqa: E402
from tests.ops.fuzzing import TOYAMA, fuzz_app, seed_rows  # noqa: E402
from tests.support import create_user_with_token, prepare_database  # noqa: E402


def main() -> int:
    """Run the fuzzer and write its report; exit 1 when it found a server error or a schema violation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.json")
    args = parser.parse_args()
    schema = None
    with tempfile.TemporaryDirectory() as scratch:
        if args.database == "sqlite":
            url = f"sqlite:///{scratch}/fuzz.sqlite3"
        else:
            base = os.environ["OUEN_TEST_POSTGRES_URL"]
            schema = f"fuzz_{uuid.uuid4().hex[:12]}"
            admin = make_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False)
        engine = make_engine(url)
        try:
            prepare_database(engine)
            secretariat = create_user_with_token(engine, "secretariat", "clair")[1]
            staff = create_user_with_token(engine, "staff", "pref_ishikawa")[1]
            toyama = create_user_with_token(engine, "staff", TOYAMA)[1]
            app = create_app(Settings(database_url=url, access_log=False, log_level="warning"), engine=engine)
            with TestClient(app) as client:
                real_ids = seed_rows(client, secretariat=secretariat, ishikawa=staff, toyama=toyama)
                report = fuzz_app(app, client, credentials={"none": None, "secretariat": secretariat,
                                                            "staff": staff}, real_ids=real_ids, budget=args.budget)
        finally:
            engine.dispose()
            if schema is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    result = {"benchmark": "fuzz", "database": args.database, "budget": args.budget,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, **report.as_json()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}, ensure_ascii=False, indent=1))
    return 1 if result["server_errors"] or result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
