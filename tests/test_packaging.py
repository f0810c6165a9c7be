"""The project installed from its wheel, not run from the checkout: the wheel is built from a copy of the
source, installed into a fresh virtual environment, the copy deleted, and `ouen` run from a directory
outside the repository. The reference data, the agreement, the migrations and the web pages must all come
from the installed package."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need

# Not part of the wheel, or build output that must not leak into it.
NOT_SOURCE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench",
                                    ".venv", "node_modules", "*.sqlite3*", ".pytest_cache", ".ruff_cache",
                                    ".hypothesis")

APP_CHECK = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
import coordinator, geo.datadir, coordinator.migrations, coordinator.web.router as web
from coordinator.app import create_app
from coordinator.settings import Settings

settings = Settings(database_url=sys.argv[1])
with TestClient(create_app(settings)) as client:
    login = client.get("/login", cookies={"ouen_lang": "ja"})
    css = client.get(web.static_url(web.STATIC_DIR, "ouen.css"))
    live = client.get("/web/live-client.js")
print(json.dumps({
    "coordinator": coordinator.__file__, "data_dir": str(geo.datadir.DEFAULT_DATA_DIR),
    "settings_data_dir": str(settings.data_dir), "agreement": str(settings.agreement_file),
    "migrations": str(coordinator.migrations.MIGRATIONS_DIR), "templates": str(web.WEB_DIR),
    "login": [login.status_code, login.text], "css": css.status_code, "live": [live.status_code, len(live.text)],
}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    # Nothing may point the installed code back at the checkout: no PYTHONPATH, no OUEN_* paths.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUEN_", "PYTHON", "PIP_"))}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def _run(args: list[str | Path], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(**extra), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment (system site-packages for the dependencies) with only the wheel installed."""
    for backend in ("setuptools", "wheel"):
        if importlib.util.find_spec(backend) is None:
            need("packaging", f"the build backend needs {backend} (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", work / "dist", source], cwd=work)
    shutil.rmtree(source)  # from here on there is no source tree to fall back on but the repository itself
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], cwd=work)
    # The system's pip, run by the venv's interpreter, installs into the venv.
    (wheel,) = (work / "dist").glob("ouen-*.whl")
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
          wheel], cwd=work)
    return venv


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory that is not in (or under) the repository."""
    assert not tmp_path.resolve().is_relative_to(ROOT)
    return tmp_path


def test_data_check_reads_the_installed_data_and_agreement(installed: Path, outside: Path) -> None:
    done = _run([installed / "bin" / "ouen", "data", "check"], cwd=outside)
    assert "OK: 47 prefectures" in done.stdout
    assert "secretariat:" in done.stdout


@pytest.fixture(scope="module")
def database(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated by the installed `ouen db upgrade`, run from outside the repository."""
    where = tmp_path_factory.mktemp("outside")
    database = where / "ouen.sqlite3"
    _run([installed / "bin" / "ouen", "db", "upgrade"], cwd=where, OUEN_DATABASE_URL=f"sqlite:///{database}")
    return database


def test_db_upgrade_runs_the_installed_migrations(database: Path) -> None:
    versions = {p.stem for p in (ROOT / "coordinator" / "migrations" / "versions").glob("*.py")}
    with sqlite3.connect(database) as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        (count,) = db.execute("SELECT count(*) FROM association").fetchone()
    assert any(name.startswith(revision) for name in versions)
    assert count == 63 + 1  # the 63 associations and the CLAIR secretariat, read from the installed data


def test_app_serves_pages_from_the_installed_package(installed: Path, database: Path, outside: Path) -> None:
    done = _run([installed / "bin" / "python", "-c", APP_CHECK, f"sqlite:///{database}"], cwd=outside)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    venv = str(installed.resolve())
    for key in ("coordinator", "data_dir", "settings_data_dir", "agreement", "migrations", "templates"):
        assert seen[key].startswith(venv), f"{key} read from {seen[key]}, not from the installed wheel"
    status, page = seen["login"]
    assert status == 200 and "ログイン" in page
    assert seen["css"] == 200
    assert seen["live"][0] == 200 and seen["live"][1] > 1000
