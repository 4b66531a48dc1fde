"""Without the 'emulators' extra, the emulator fixtures say which extra to install (not a bare ModuleNotFoundError)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("fixture", ["teller_emulator", "plaid_emulator"])
def test_a_missing_extra_is_named(tmp_path: Path, fixture: str) -> None:
    (tmp_path / "test_app.py").write_text(
        "import sys\n"
        "sys.modules['uvicorn'] = None  # as if the 'emulators' extra were not installed\n\n"
        f"def test_uses_the_fixture({fixture}):\n"
        "    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "pip install 'fin-infra[emulators]'" in done.stdout, done.stdout[-2000:]
