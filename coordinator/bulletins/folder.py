"""A watched directory for bulletins delivered by other means (a JMA receiver, a copy from a USB stick):
each `*.xml` dropped there is handed on once, then moved to `done/` (taken in) or `refused/` (with a
`.reason.txt` beside it). Nothing is deleted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coordinator.errors import DomainError

log = logging.getLogger("ouen.bulletins.folder")
# A file younger than this may still be being written by a copier that does not rename into place.
SETTLE_SECONDS = 1.0


@dataclass
class SweepReport:
    """One sweep of the folder: files taken in and files refused (with why)."""

    taken: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


class FolderWatcher:
    """Sweeps one directory; `handle(bytes, name)` stores a bulletin and raises DomainError to refuse it."""

    def __init__(self, folder: Path, handle: Callable[[bytes, str], None], *, interval: float = 5.0) -> None:
        self.folder = Path(folder)
        self.handle = handle
        self.interval = interval
        for name in ("done", "refused"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)

    def sweep(self, now: float | None = None) -> SweepReport:
        """Hand on every settled *.xml file of the folder, oldest first."""
        report = SweepReport()
        moment = time.time() if now is None else now
        files = sorted((p for p in self.folder.glob("*.xml") if p.is_file()), key=lambda p: p.stat().st_mtime)
        for path in files:
            if moment - path.stat().st_mtime < SETTLE_SECONDS:
                continue
            try:
                self.handle(path.read_bytes(), path.name)
            except DomainError as error:
                reason = f"{error.message_ja} / {error.message_en}"
                shutil.move(path, self._free(self.folder / "refused" / path.name))
                (self.folder / "refused" / f"{path.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
                report.refused[path.name] = reason
                log.warning("bulletin refused", extra={"file": path.name, "reason": error.message_en})
                continue
            shutil.move(path, self._free(self.folder / "done" / path.name))
            report.taken.append(path.name)
        return report

    @staticmethod
    def _free(target: Path) -> Path:
        """A name in the target folder that does not overwrite an earlier file of the same name."""
        candidate, number = target, 1
        while candidate.exists():
            candidate = target.with_name(f"{target.stem}.{number}{target.suffix}")
            number += 1
        return candidate

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until `stop` is set (each sweep in a worker thread)."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.sweep)
            except OSError as exc:  # the folder vanished or is unreadable: say so and keep trying
                log.warning("bulletin folder unreadable", extra={"folder": str(self.folder), "error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
