"""The background jobs: the reminder watch and the notification sender, with the app or on their own.

`jobs(engine, settings)` is an async context manager: the app enters it in its lifespan (unless
OUEN_JOBS_IN_APP=false), `ouen notify run` enters it alone. On PostgreSQL several instances may run the
jobs at once: reminder stages are unique per dispatch and outbox messages are claimed, so nothing is sent
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.notifications.sender import Sender
from coordinator.reminders.service import ReminderReport, run_reminders
from coordinator.settings import Settings

log = logging.getLogger("ouen.jobs")


def check_reminders_once(engine: Engine) -> ReminderReport:
    """One pass of the reminder watch on this database (blocking)."""
    with Session(engine, expire_on_commit=False) as session:
        return run_reminders(session)


async def _reminder_watch(engine: Engine, interval: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(check_reminders_once, engine)
            if report.overdue or report.stages:
                log.info("reminders: %d request(s) flagged overdue, %d stage(s) sent",
                         len(report.overdue), len(report.stages))
        except Exception:  # a failed pass must not stop the watch; the next pass retries
            log.exception("reminder watch pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


@dataclass
class Jobs:
    """The running jobs: their tasks and the sender (for tests and status)."""

    sender: Sender
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


@asynccontextmanager
async def jobs(engine: Engine, settings: Settings, *, reminders: bool = True,
               sender: bool = True) -> AsyncIterator[Jobs]:
    """Run the reminder watch and the sender until the block exits."""
    running = Jobs(sender=Sender(engine, settings), stop=asyncio.Event())
    if reminders:
        running.tasks.append(asyncio.create_task(
            _reminder_watch(engine, settings.reminder_check_seconds, running.stop), name="ouen-reminders"))
    if sender:
        running.tasks.append(asyncio.create_task(running.sender.run(running.stop), name="ouen-notify-sender"))
    try:
        yield running
    finally:
        running.stop.set()
        for task in running.tasks:
            task.cancel()
        for task in running.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
