"""`ouen serve` as a real process: first start creates one secretariat account and prints its password once;
later starts create none. Also checks the live_server fixture serves real HTTP."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from coordinator.auth.models import ROLE_OBSERVER, User
from coordinator.db import make_engine
from tests.conftest import ROOT
from tests.support import free_port, sqlite_url

CLI = "import sys; sys.argv[0] = 'ouen'; from coordinator.cli import main; main()"
READY = re.compile(r"^ouen: ready at (http://\S+)/")


class Serve:
    """One `ouen serve` child process whose stdout lines are collected as they come."""

    def __init__(self, db_url: str, port: int, stderr_path: Path, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "OUEN_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), **(env or {})}
        self.stderr = stderr_path.open("wb")
        self.process = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--port", str(port)], cwd=ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until_ready(self, within: float = 90.0) -> tuple[list[str], str]:
        """Lines printed before the ready line, and the base URL it names."""
        seen: list[str] = []
        deadline = time.monotonic() + within
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"serve exited before ready: {seen}")
            match = READY.match(line)
            if match:
                return seen, match.group(1)
            seen.append(line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def test_first_start_creates_one_secretariat_and_prints_its_password_once(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path / "serve.sqlite3")
    first = Serve(db_url, free_port(), tmp_path / "first.err")
    try:
        printed, base_url = first.read_until_ready()
        text = "\n".join(printed)
        login = re.search(r"login:\s+(\S+)", text).group(1)
        password = re.search(r"password:\s+(\S+)", text).group(1)
        assert login == "secretariat" and len(password) >= 16
        assert text.count(password) == 1
        assert "事務局アカウント" in text
        signed_in = httpx.post(f"{base_url}/api/v1/auth/login", json={"login": login, "password": password})
        assert signed_in.status_code == 200
        assert signed_in.json()["role"] == "secretariat" and signed_in.json()["association_id"] == "clair"
        assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok"}
    finally:
        first.stop()
    # The password is nowhere but the one terminal line: not in the server's log, not in the database file.
    assert password not in (tmp_path / "first.err").read_text(errors="replace")
    for path in tmp_path.glob("serve.sqlite3*"):
        assert password.encode() not in path.read_bytes()

    second = Serve(db_url, free_port(), tmp_path / "second.err")
    try:
        printed_again, base_url = second.read_until_ready()
        assert not any("password" in line for line in printed_again)
        assert httpx.post(f"{base_url}/api/v1/auth/login", json={"login": login, "password": password}
                          ).status_code == 200
    finally:
        second.stop()
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            assert [u.login for u in session.exec(select(User))] == ["secretariat"]
    finally:
        engine.dispose()


def test_live_server_fixture_serves_the_app_over_real_http(live_server: str, live_make_user) -> None:
    user, token = live_make_user(ROLE_OBSERVER)
    assert live_server.startswith("http://127.0.0.1:")
    me = httpx.get(f"{live_server}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["login"] == user.login
    assert httpx.get(f"{live_server}/api/v1/associations").status_code == 401
