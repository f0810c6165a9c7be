"""Web fixtures: the demo drill and a live disaster with password accounts, a real uvicorn server, and
Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF
from coordinator.auth.service import create_user
from coordinator.cli.demo import DemoResult, run_demo
from coordinator.db import make_engine
from coordinator.disasters.models import AreaInput, Disaster, DisasterCreate
from coordinator.disasters.service import declare_disaster
from tests.conftest import ROOT
from tests.support import ServerProcess, sqlite_url

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple 7"
REQUESTER = "pref_ishikawa"


@dataclass
class Accounts:
    """Logins (all with PASSWORD) and the disasters made for a test."""

    live: Disaster
    drill: DemoResult
    logins: dict[str, str] = field(default_factory=dict)

    def demo_login(self, association_id: str) -> tuple[str, str]:
        """Login and password of the demo drill's account for an association."""
        account = self.drill.accounts[association_id]
        return account.user.login, account.password


def seed(database: Engine) -> Accounts:
    """A live disaster in prefecture 17 declared by the secretariat, password accounts, and the demo drill."""
    drill = run_demo(database)
    logins = {}
    with Session(database, expire_on_commit=False) as session:
        secretariat = create_user(
            session,
            login="web-secretariat",
            display_name="事務局 テスト",
            role=ROLE_SECRETARIAT,
            association_id="clair",
            password=PASSWORD,
        )
        logins["secretariat"] = secretariat.login
        for association_id in (REQUESTER, "pref_toyama"):
            user = create_user(
                session,
                login=f"web-{association_id.replace('_', '-')}",
                display_name=f"職員 {association_id}",
                role=ROLE_STAFF,
                association_id=association_id,
                password=PASSWORD,
            )
            logins[association_id] = user.login
        session.commit()
        live = declare_disaster(
            session,
            actor=secretariat,
            today=date.today(),
            data=DisasterCreate(
                name="能登地方の地震（テスト）",
                kind="earthquake",
                mode="live",
                area=AreaInput(prefectures=["17"]),
            ),
        )
    return Accounts(live=live, drill=drill, logins=logins)


@pytest.fixture
def seeded(engine: Engine) -> Accounts:
    """seed() on the test's migrated database (for TestClient tests)."""
    return seed(engine)


@pytest.fixture
def web_server(live_db_url: str, server_factory: Callable[..., Any]) -> tuple[str, Accounts]:
    """A real uvicorn server on a fresh SQLite file with seed() data: (base URL, accounts)."""
    database = make_engine(live_db_url)
    try:
        accounts = seed(database)
    finally:
        database.dispose()
    return server_factory(live_db_url).base_url, accounts


@pytest.fixture(scope="module")
def coord_server(tmp_path_factory: pytest.TempPathFactory,
                 _sqlite_template: Path) -> Iterator[tuple[str, Accounts]]:
    """One real server for the module on a SQLite file with seed() data: (base URL, accounts)."""
    folder = tmp_path_factory.mktemp("coordination")
    path = folder / "web.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    database = make_engine(sqlite_url(path))
    try:
        accounts = seed(database)
        # A password account for the acting coordinator of the requester's block (東海・北陸).
        coordinator = accounts.live.acting_roles["coordinators"]["tokai_hokuriku"]["association_id"]
        with Session(database) as session:
            create_user(session, login="web-coordinator", display_name="幹事 テスト", role=ROLE_STAFF,
                        association_id=coordinator, password=PASSWORD)
            create_user(session, login="web-observer", display_name="閲覧 テスト", role=ROLE_OBSERVER,
                        association_id=None, password=PASSWORD)
            session.commit()
        accounts.logins["coordinator"] = "web-coordinator"
        accounts.logins["observer"] = "web-observer"
        accounts.logins["coordinator_id"] = coordinator
    finally:
        database.dispose()
    server = ServerProcess(sqlite_url(path), folder / "server.log")
    server.start()
    yield server.base_url, accounts
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One Chromium for the session (Debian's, via executable_path)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests of every page opened through it."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed_statuses: set[int] = set()

    def watch(self, page: Any) -> Any:
        """Start collecting problems of this page; returns the page."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        return page

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        status = re.search(r"status of (\d{3})", message.text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return  # an error response the test provoked on purpose (and checks itself)
        self.problems.append(f"console: {message.text}")

    def _failed(self, request: Any) -> None:
        failure = request.failure or ""
        # Leaving a page aborts its open websocket and pending reads; that is navigation, not a fault.
        if "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} {failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def problems() -> PageProblems:
    """Collects console errors and failed requests; tests assert it stays empty."""
    return PageProblems()


@pytest.fixture
def new_context(browser: Any, problems: PageProblems) -> Iterator[Callable[..., Any]]:
    """new_context(width=1280, height=900, language="ja") -> (context, page) with problems watched."""
    contexts = []

    def _make(width: int = 1280, height: int = 900) -> tuple[Any, Any]:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context, problems.watch(context.new_page())

    yield _make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to tests/artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def settle(page: Any) -> None:
    """Wait until the browser has laid out and painted twice (after a resize or a redraw; not a timer)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def sign_in(page: Any, base_url: str, login: str, password: str = PASSWORD, *, then: str = "/") -> None:
    """Sign in through the login page's form and wait for the page it leads to."""
    page.goto(f"{base_url}/login?next={then}")
    page.get_by_label(re.compile("ログイン名|Login")).fill(login)
    page.get_by_label(re.compile("パスワード|Password")).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("サインイン|Sign in")).click()
