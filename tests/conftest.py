"""Shared fixtures. PostgreSQL and browser tests skip locally when absent, and fail in CI
(OUEN_TEST_REQUIRE=postgres,browser,sources,node,packaging) so that CI can never pass by skipping them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {part.strip() for part in os.environ.get("OUEN_TEST_REQUIRE", "").split(",") if part.strip()}


def need(resource: str, reason: str) -> None:
    """Skip for a missing optional resource, or fail when CI requires it."""
    if resource in REQUIRED:
        pytest.fail(f"{resource} is required here (OUEN_TEST_REQUIRE) but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL server for tests (OUEN_TEST_POSTGRES_URL)."""
    url = os.environ.get("OUEN_TEST_POSTGRES_URL")
    if not url:
        need("postgres", "OUEN_TEST_POSTGRES_URL is not set")
    return url  # type: ignore[return-value]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium for browser tests (OUEN_TEST_CHROMIUM or /usr/bin/chromium)."""
    path = os.environ.get("OUEN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need("browser", f"no Chromium at {path}")
    return path
