"""Fixtures for geo tests: a private copy of the reference data that a test may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geo.datadir import DEFAULT_DATA_DIR


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A fresh copy of data/ in tmp_path (its own cache entry, since caches are keyed by directory)."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target
