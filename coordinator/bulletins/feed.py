"""Poll JMA's Atom feeds: conditional GET (ETag / If-Modified-Since), fetch each new bulletin once, hand it
to a callback; back off after failures. Off by default (settings.jma_feed_enabled)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from coordinator.bulletins.jmaxml import TYPE_BY_TITLE, safe_root

ATOM = "{http://www.w3.org/2005/Atom}"
log = logging.getLogger("ouen.bulletins.feed")
# Entries whose title is not a bulletin this reader reads (volcano, forecasts, ...) are not fetched.
WANTED_TITLES = frozenset(TYPE_BY_TITLE)
MAX_FEED_BYTES = 4 * 1024 * 1024
SEEN_LIMIT = 5000


@dataclass
class FeedState:
    """What the poller remembers about one feed between polls."""

    etag: str | None = None
    last_modified: str | None = None
    seen: dict[str, None] = field(default_factory=dict)  # bulletin URLs already handed on (insertion order)


@dataclass
class PollReport:
    """One poll of every feed: what was fetched and handed on, and what failed."""

    not_modified: int = 0
    fetched: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def feed_entries(data: bytes) -> list[tuple[str, str]]:
    """(title, bulletin URL) of each entry of an Atom feed, oldest first (feeds list the newest first)."""
    try:
        root = safe_root(data)
    except ValueError as exc:
        raise ValueError(f"not a readable Atom feed: {exc}") from exc
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        title = (entry.findtext(f"{ATOM}title") or "").strip()
        link = entry.find(f"{ATOM}link")
        href = link.get("href") if link is not None else None
        if href:
            entries.append((title, href))
    return list(reversed(entries))


class FeedPoller:
    """Polls feeds with a synchronous HTTP client; `handle(bytes, url)` stores each new bulletin."""

    def __init__(self, urls: list[str], handle: Callable[[bytes, str], None], *, interval: float = 60.0,
                 max_backoff: float = 900.0, client: httpx.Client | None = None) -> None:
        self.urls = list(urls)
        self.handle = handle
        self.interval = interval
        self.max_backoff = max_backoff
        self.client = client or httpx.Client(timeout=15.0, follow_redirects=True,
                                             headers={"User-Agent": "ouen-bulletin-poller"})
        self.states = {url: FeedState() for url in self.urls}
        self.failures = 0

    def poll_once(self) -> PollReport:
        """One conditional GET per feed, then one GET per new bulletin; failures are reported, not raised."""
        report = PollReport()
        for url in self.urls:
            try:
                self._poll(url, report)
            except (httpx.HTTPError, ValueError) as exc:
                report.errors.append(f"{url}: {exc}")
                log.warning("feed poll failed", extra={"url": url, "error": str(exc)})
        self.failures = self.failures + 1 if report.errors else 0
        return report

    def _poll(self, url: str, report: PollReport) -> None:
        state = self.states[url]
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        response = self.client.get(url, headers=headers)
        if response.status_code == 304:
            report.not_modified += 1
            return
        response.raise_for_status()
        if len(response.content) > MAX_FEED_BYTES:
            raise ValueError(f"feed larger than {MAX_FEED_BYTES} bytes")
        for title, link in feed_entries(response.content):
            if link in state.seen or title not in WANTED_TITLES:
                continue
            bulletin = self.client.get(link)
            bulletin.raise_for_status()
            self.handle(bulletin.content, link)
            state.seen[link] = None
            report.fetched.append(link)
        while len(state.seen) > SEEN_LIMIT:
            state.seen.pop(next(iter(state.seen)))
        # Validators are kept only once every new entry was handed on, so a failed entry is retried.
        state.etag = response.headers.get("ETag")
        state.last_modified = response.headers.get("Last-Modified")

    def next_delay(self) -> float:
        """The wait before the next poll: the interval, doubled per consecutive failed poll, capped."""
        return min(self.interval * (2 ** self.failures), max(self.max_backoff, self.interval))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set (each poll in a worker thread, off the event loop)."""
        while not stop.is_set():
            await asyncio.to_thread(self.poll_once)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.next_delay())
