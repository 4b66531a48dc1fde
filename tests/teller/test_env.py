"""easy_banking() builds a TellerClient from the environment; the test helpers and the CLI work as documented."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.teller import TellerClient, TellerSettings
from fin_infra.testing import serve_teller_emulator
from fin_infra.testing.teller import TellerEmulator


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("TELLER_", "PLAID_", "FIN_INFRA_")):
            monkeypatch.delenv(key)


def test_documented_example(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch)
    with serve_teller_emulator() as teller:
        token = teller.enroll("username", "password")
        for key, value in teller.env().items():
            monkeypatch.setenv(key, value)
        banking = easy_banking()
        try:
            assert isinstance(banking, TellerClient)
            assert len(banking.accounts(access_token=token)) == 3
        finally:
            banking.close()


def test_auto_detection_with_the_older_short_names(teller: TellerEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch)
    env = teller.env()
    monkeypatch.setenv("TELLER_CERT_PATH", env["TELLER_CERTIFICATE_PATH"])
    monkeypatch.setenv("TELLER_KEY_PATH", env["TELLER_PRIVATE_KEY_PATH"])
    monkeypatch.setenv("TELLER_BASE_URL", env["TELLER_BASE_URL"])
    monkeypatch.setenv("TELLER_CA_BUNDLE", env["TELLER_CA_BUNDLE"])
    monkeypatch.setenv("PLAID_CLIENT_ID", "also-set")  # Teller wins when its certificate exists
    token = teller.enroll()
    banking = easy_banking()
    try:
        assert isinstance(banking, TellerClient) and banking.accounts(access_token=token)
    finally:
        banking.close()


def test_explicit_teller_with_nothing_configured_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("TELLER_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="TELLER_CERTIFICATE_PATH and TELLER_PRIVATE_KEY_PATH"):
        easy_banking(provider="teller")


def test_bad_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch)
    monkeypatch.setenv("TELLER_ENVIRONMENT", "staging")
    with pytest.raises(ProviderConfigurationError, match="sandbox, development, production"):
        easy_banking(provider="teller")


def test_settings_prefer_the_current_names() -> None:
    s = TellerSettings.from_env(
        {"TELLER_CERTIFICATE_PATH": "/a.pem", "TELLER_CERT_PATH": "/b.pem", "TELLER_PRIVATE_KEY_PATH": "/k.pem",
         "TELLER_ENVIRONMENT": " Development ", "TELLER_BASE_URL": "https://proxy.example/"}
    )
    assert (s.cert_path, s.environment, s.base_url) == ("/a.pem", "development", "https://proxy.example")


def test_pytest_plugin_fixture(teller_emulator: Any) -> None:
    token = teller_emulator.enroll("username", "password")
    client = teller_emulator.client()
    try:
        assert len(client.accounts(access_token=token)) == 3
    finally:
        client.close()


def test_cli_prints_url_and_certificate_paths(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fin_infra.emulators", "teller", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 20
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if not line or line.startswith("Ctrl-C"):
                break
        out = "".join(lines)
        assert f"https://127.0.0.1:{port}" in out
        env = dict(
            line.strip().removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
        )
        assert Path(env["TELLER_CERTIFICATE_PATH"]).is_file() and Path(env["TELLER_CA_BUNDLE"]).is_file()
        token = next(line.rsplit(" ", 1)[1].strip() for line in lines if "sandbox access token" in line)
        client = TellerClient.from_env(env)
        try:
            assert len(client.accounts(access_token=token)) == 3
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
