"""Configuration from FINICITY_* variables, auto-detection, the no-credentials errors, the CLI and the fixture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.finicity import FinicityClient, FinicitySettings, read_access_token
from fin_infra.providers.registry import detect_provider
from fin_infra.testing.finicity import FinicityEmulator

CREDS = {"FINICITY_PARTNER_ID": "1234583871234", "FINICITY_SECRET": "s3cret-value", "FINICITY_APP_KEY": "app-key-1"}


def test_settings_from_the_environment() -> None:
    s = FinicitySettings.from_env({**CREDS, "FINICITY_ENVIRONMENT": "Production",
                                   "FINICITY_BASE_URL": "https://proxy.example.com/"})  # fmt: skip
    assert (s.partner_id, s.environment, s.base_url) == ("1234583871234", "production", "https://proxy.example.com")
    assert "s3cret-value" not in repr(s) and "app-key-1" not in repr(s)
    assert FinicitySettings.from_env(CREDS).base_url == "https://api.finicity.com"


@pytest.mark.parametrize("missing", ["FINICITY_PARTNER_ID", "FINICITY_SECRET", "FINICITY_APP_KEY"])
def test_missing_credentials_name_the_variable(missing: str) -> None:
    env = {k: v for k, v in CREDS.items() if k != missing}
    with pytest.raises(ProviderConfigurationError, match=missing):
        FinicitySettings.from_env(env)


@pytest.mark.parametrize(("env", "message"), [
    ({"FINICITY_ENVIRONMENT": "staging"}, "FINICITY_ENVIRONMENT"),
    ({"FINICITY_BASE_URL": "http://finicity.example.com"}, "https://"),
    ({"FINICITY_BASE_URL": "ftp://x"}, "http"),
])  # fmt: skip
def test_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ProviderConfigurationError, match=message):
        FinicitySettings.from_env({**CREDS, **env})


def test_detection_order_and_the_no_credentials_error() -> None:
    assert detect_provider(CREDS) == "finicity"
    assert detect_provider({**CREDS, "PLAID_CLIENT_ID": "x"}) == "plaid"  # Plaid (and MX) come first
    with pytest.raises(ProviderConfigurationError) as info:
        detect_provider({})
    for name in ("FINICITY_PARTNER_ID", "FINICITY_SECRET", "FINICITY_APP_KEY"):
        assert name in str(info.value)


def test_easy_banking_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("FINICITY_"):
            monkeypatch.delenv(key)
    with pytest.raises(ProviderConfigurationError, match="FINICITY_PARTNER_ID"):
        easy_banking(provider="finicity")
    client = easy_banking(provider="finicity", partner_id="1", partner_secret="partner-secret-xyz", app_key="k")
    assert isinstance(client, FinicityClient)
    token = client.access_token_for("1005061234", "1022599285")
    assert token.startswith("fcy1.1005061234.1022599285.") and "partner-secret-xyz" not in token
    assert read_access_token(client._key, token) == ("1005061234", "1022599285")


def test_pytest_fixture_from_the_plugin(finicity_emulator: FinicityEmulator) -> None:
    token = finicity_emulator.create_access_token(accounts=2)
    client = finicity_emulator.client()
    try:
        assert len(client.accounts(access_token=token)) == 2
    finally:
        client.close()


def test_cli_serves_the_emulator() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "fin_infra.emulators", "finicity", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        env = dict(line.split(" ", 1)[1].split("=", 1) for line in lines if line.startswith("export "))
        token = next(line.split(": ", 1)[1].strip() for line in lines if "access token" in line)
        client = FinicityClient.from_env(env)
        try:
            assert len(client.accounts(access_token=token)) == 3, text
        finally:
            client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
