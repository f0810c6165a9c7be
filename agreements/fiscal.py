"""The Japanese fiscal year."""

from __future__ import annotations

from datetime import date


def fiscal_year(d: date) -> int:
    """The Japanese fiscal year (1 April to 31 March) of a date: 2026-03-31 -> 2025, 2026-04-01 -> 2026."""
    return d.year if d.month >= 4 else d.year - 1
