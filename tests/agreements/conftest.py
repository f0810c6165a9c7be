"""Fixtures for the agreement tests: the default agreement and broken copies of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import agreements
from agreements import Agreement

DEFAULT_TEXT = agreements.DEFAULT_PATH.read_text(encoding="utf-8")


@pytest.fixture()
def agreement() -> Agreement:
    """The default agreement as shipped."""
    return agreements.load_agreement()


@pytest.fixture()
def broken_copy(tmp_path: Path) -> Callable[..., Path]:
    """Write default.toml with text replacements into tmp_path; each replaced text must be present."""

    def write(*replacements: tuple[str, str]) -> Path:
        text = DEFAULT_TEXT
        for old, new in replacements:
            assert old in text, f"test setup: {old!r} is not in default.toml"
            text = text.replace(old, new, 1)
        path = tmp_path / "agreement.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
