"""The code base passes the project's ruff configuration."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_ruff_check_passes() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is part of the test extra and must be installed")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
