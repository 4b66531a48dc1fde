"""``fin-infra emulators teller|plaid``: print what to export and a working token; stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fin_infra.banking import easy_banking


def start(provider: str, tmp_path: Path) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fin_infra", "emulators", provider, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if not line or line.startswith("Ctrl-C"):
            break
    return proc, lines


def exports(lines: list[str]) -> dict[str, str]:
    return dict(line.strip().removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))


def token(lines: list[str]) -> str:
    return next(line.rsplit(" ", 1)[1].strip() for line in lines if "sandbox access token" in line)


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.stdout is not None:
            proc.stdout.close()


def test_plaid_prints_exports_and_a_token_that_works(tmp_path: Path) -> None:
    proc, lines = start("plaid", tmp_path)
    try:
        env = exports(lines)
        assert set(env) >= {"PLAID_BASE_URL", "PLAID_CLIENT_ID", "PLAID_SECRET", "PLAID_ENVIRONMENT"}, lines
        assert env["FIN_INFRA_BANKING_PROVIDER"] == "plaid"
        access = token(lines)
        assert access.startswith("access-sandbox-")
        banking = easy_banking(
            provider="plaid",
            client_id=env["PLAID_CLIENT_ID"],
            secret=env["PLAID_SECRET"],
            base_url=env["PLAID_BASE_URL"],
            environment="sandbox",
        )
        assert len(banking.accounts(access_token=access)) > 0
    finally:
        assert stop(proc) == 0


def test_teller_stopped_by_sigterm_leaves_no_private_keys_behind(tmp_path: Path) -> None:
    proc, lines = start("teller", tmp_path)
    try:
        key = Path(exports(lines)["TELLER_PRIVATE_KEY_PATH"])
        assert key.is_file() and key.is_relative_to(tmp_path)
    finally:
        assert stop(proc) == 0
    assert list(tmp_path.glob("teller-emulator-*")) == []
