"""Times as people in Japan read them: the server stores UTC, pages show Japan Standard Time (JST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def jst(moment: datetime | None, *, with_zone: bool = True, seconds: bool = False) -> str:
    """"2026-01-06 12:09 JST" for a stored time (naive values are UTC); "" for None."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = aware.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} JST" if with_zone else text
