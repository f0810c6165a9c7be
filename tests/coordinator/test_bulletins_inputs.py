"""The bulletin inputs: the Atom feed poller against a real local HTTP server (conditional GET, back-off),
the watched folder, and `ouen bulletin ingest`. Each stores through the service like the API does."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

import coordinator.cli.commands  # noqa: F401  (registers the command groups)
from coordinator.bulletins.feed import FeedPoller, feed_entries
from coordinator.bulletins.folder import FolderWatcher
from coordinator.bulletins.inputs import handler
from coordinator.bulletins.models import Bulletin, Proposal
from coordinator.cli import app as cli
from coordinator.settings import Settings, get_settings

DATA = Path(__file__).resolve().parent.parent / "data" / "jma"
IWATE = ["32-35_06_03_240613_VXSE53.xml", "32-35_06_04_240613_VXSE53.xml"]
CANCEL = "32-35_06_06_100915_VXSE53.xml"


class FeedServer:
    """A loopback HTTP server serving an Atom feed of test bulletins, with ETag/If-None-Match, and a
    switch to fail every request with 500."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []  # (title, file name), newest last
        self.version = 1
        self.failing = False
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("If-None-Match")))
                if server.failing:
                    self.send_error(500)
                    return
                if self.path == "/feed.xml":
                    etag = f'"v{server.version}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    body = server.feed().encode()
                    self.send_response(200)
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")
                elif self.path.startswith("/data/") and (DATA / self.path[6:]).is_file():
                    body = (DATA / self.path[6:]).read_bytes()
                    self.send_response(200)
                else:
                    self.send_error(404)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def feed(self) -> str:
        """The Atom document: newest entry first, as JMA's feeds are."""
        items = "".join(f'<entry><title>{title}</title><id>urn:{name}</id><updated>2025-01-01T00:00:00Z</updated>'
                        f'<link type="application/xml" href="{self.url}/data/{name}"/></entry>'
                        for title, name in reversed(self.entries))
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>高頻度（地震火山）</title><id>urn:feed</id><updated>2025-01-01T00:00:00Z</updated>{items}</feed>")

    def publish(self, title: str, name: str) -> None:
        """Add an entry (the feed changes, so its ETag does)."""
        self.entries.append((title, name))
        self.version += 1

    def bulletin_gets(self) -> list[str]:
        """Paths of bulletin downloads so far."""
        return [path for path, _ in self.requests if path.startswith("/data/")]

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running feed server."""
    server = FeedServer()
    yield server
    server.close()


def stored(engine: Engine) -> tuple[int, list[str]]:
    """How many bulletins are stored, and the proposals' statuses."""
    with Session(engine) as session:
        return (session.exec(select(func.count()).select_from(Bulletin)).one(),
                [p.status for p in session.exec(select(Proposal))])


def test_the_poller_fetches_new_bulletins_once_and_asks_conditionally(engine: Engine,
                                                                      feed_server: FeedServer) -> None:
    title = "震源・震度に関する情報"
    for name in IWATE:
        feed_server.publish(title, name)
    feed_server.publish("噴火警報・予報", "32-35_04_04_240613_VXSE53.xml")  # a title we do not read: not fetched
    poller = FeedPoller([f"{feed_server.url}/feed.xml"], handler(engine, "feed", Settings(), refuse=False),
                        interval=60, max_backoff=600)
    first = poller.poll_once()
    assert first.errors == [] and len(first.fetched) == 2
    assert feed_server.bulletin_gets() == [f"/data/{name}" for name in IWATE]  # oldest first
    assert stored(engine) == (2, ["open"])

    second = poller.poll_once()
    assert second.not_modified == 1 and second.fetched == []
    assert feed_server.requests[-1] == ("/feed.xml", f'"v{feed_server.version}"')
    assert len(feed_server.bulletin_gets()) == 2

    feed_server.publish(title, CANCEL)
    third = poller.poll_once()
    assert [link.rsplit("/", 1)[1] for link in third.fetched] == [CANCEL]
    assert stored(engine) == (3, ["withdrawn"])


def test_the_poller_backs_off_after_failures_and_recovers(engine: Engine, feed_server: FeedServer) -> None:
    feed_server.publish("震源・震度に関する情報", IWATE[0])
    poller = FeedPoller([f"{feed_server.url}/feed.xml"], handler(engine, "feed", Settings(), refuse=False),
                        interval=60, max_backoff=300)
    assert poller.next_delay() == 60
    feed_server.failing = True
    delays = []
    for _ in range(4):
        assert poller.poll_once().errors
        delays.append(poller.next_delay())
    assert delays == [120, 240, 300, 300]
    assert stored(engine)[0] == 0
    feed_server.failing = False
    assert poller.poll_once().errors == []
    assert poller.next_delay() == 60
    assert stored(engine)[0] == 1


def test_feed_entries_refuse_a_dtd() -> None:
    with pytest.raises(ValueError):
        feed_entries(b'<!DOCTYPE f [<!ENTITY a "b">]><feed xmlns="http://www.w3.org/2005/Atom">&a;</feed>')


def test_the_folder_takes_settled_files_in_once_and_files_refusals(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    watcher = FolderWatcher(folder, handler(engine, "folder", Settings(), refuse=True), interval=1)
    for name in IWATE:
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "broken.xml").write_bytes((DATA / IWATE[0]).read_bytes()[:3000])
    moment = (folder / IWATE[0]).stat().st_mtime
    for age, name in enumerate([*IWATE, "broken.xml"]):
        os.utime(folder / name, (moment - 10 + age, moment - 10 + age))
    (folder / "still-copying.xml").write_bytes(b"<")
    os.utime(folder / "still-copying.xml", (moment, moment))
    report = watcher.sweep(now=moment + 0.2)
    assert report.taken == IWATE
    assert list(report.refused) == ["broken.xml"]
    assert sorted(p.name for p in (folder / "done").iterdir()) == sorted(IWATE)
    reason = (folder / "refused" / "broken.xml.reason.txt").read_text(encoding="utf-8")
    assert "XML" in reason
    assert [p.name for p in folder.glob("*.xml")] == ["still-copying.xml"]
    assert stored(engine) == (2, ["open"])
    (folder / IWATE[0]).write_bytes((DATA / IWATE[0]).read_bytes())  # the same bulletin delivered again
    os.utime(folder / IWATE[0], (moment - 5, moment - 5))
    again = watcher.sweep(now=moment + 0.2)
    assert again.taken == [IWATE[0]] and stored(engine)[0] == 2
    assert (folder / "done" / f"{Path(IWATE[0]).stem}.1.xml").is_file()


def test_cli_ingest_prints_what_each_bulletin_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  db_url: str, engine: Engine) -> None:
    monkeypatch.setenv("OUEN_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["bulletin", "ingest", str(DATA / IWATE[0]), str(DATA / CANCEL)])
        assert result.exit_code == 0, result.output
        assert "→ proposed" in result.output and "→ withdrawn" in result.output
        drill = runner.invoke(cli, ["bulletin", "ingest", "--drill", str(DATA / IWATE[0])])
        assert drill.exit_code == 0 and drill.output.startswith("【訓練】")
        bad = tmp_path / "bad.xml"
        bad.write_bytes(b"<Report/>")
        refused = runner.invoke(cli, ["bulletin", "ingest", str(bad)])
        assert refused.exit_code == 1 and "body.Report" in refused.output
        listed = runner.invoke(cli, ["bulletin", "list"])
        assert listed.exit_code == 0 and listed.output.count("震源・震度に関する情報") == 2
    finally:
        get_settings.cache_clear()
    with Session(engine) as session:
        modes = sorted(p.mode for p in session.exec(select(Proposal)))
    assert modes == ["drill", "live"]
