"""``make demo`` installs once: a second run only serves (pyproject.toml unchanged)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_does_not_reinstall_when_nothing_changed() -> None:
    if not (ROOT / ".venv" / ".installed-dev").exists():
        pytest.skip("run through `make test`, which installs the .venv this checks")
    planned = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    assert "pip install" not in planned.stdout
    assert "uvicorn examples.demo_app:app" in planned.stdout
