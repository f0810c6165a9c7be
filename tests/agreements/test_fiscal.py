"""The Japanese fiscal year starts on 1 April."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agreements import Agreement, fiscal_year


@pytest.mark.parametrize(("day", "year"), [
    (date(2026, 3, 31), 2025), (date(2026, 4, 1), 2026), (date(2026, 1, 1), 2025),
    (date(2026, 12, 31), 2026), (date(2027, 3, 31), 2026), (datetime(2026, 4, 1, 0, 0), 2026),
])
def test_fiscal_year_edges(day: date, year: int) -> None:
    assert fiscal_year(day) == year


def test_agreement_fiscal_year_of_and_bounds(agreement: Agreement) -> None:
    assert agreement.fiscal_year_of(date(2025, 4, 1)) == 2025
    fy = agreement.fiscal_years[2026]
    assert (fy.starts, fy.ends) == (date(2026, 4, 1), date(2027, 3, 31))
