"""easy_banking(): explicit names, auto-detection from the environment, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderConfigurationError
from fin_infra.providers.banking.sandbox import SandboxProvider
from fin_infra.providers.registry import detect_provider

PROVIDER_VARS = (
    "FIN_INFRA_BANKING_PROVIDER", "TELLER_CERTIFICATE_PATH", "TELLER_CERT_PATH", "TELLER_PRIVATE_KEY_PATH",
    "TELLER_KEY_PATH", "PLAID_CLIENT_ID", "PLAID_SECRET", "MX_CLIENT_ID", "MX_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROVIDER_VARS:
        monkeypatch.delenv(name, raising=False)


def test_sandbox_by_name() -> None:
    assert isinstance(easy_banking(provider="sandbox"), SandboxProvider)
    assert isinstance(easy_banking(provider=" Sandbox "), SandboxProvider)


def test_nothing_configured_says_what_to_set() -> None:
    with pytest.raises(ValueError, match="No banking provider credentials found") as info:
        easy_banking()
    message = str(info.value)
    for hint in ("TELLER_CERTIFICATE_PATH", "PLAID_CLIENT_ID", "MX_CLIENT_ID", "MX_API_KEY", "provider='sandbox'"):
        assert hint in message


def test_explicit_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIN_INFRA_BANKING_PROVIDER", "sandbox")
    monkeypatch.setenv("PLAID_CLIENT_ID", "someone")
    assert isinstance(easy_banking(), SandboxProvider)


def test_teller_detected_only_when_the_certificate_exists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client")
    monkeypatch.setenv("TELLER_CERTIFICATE_PATH", str(tmp_path / "missing.pem"))
    assert detect_provider() == "plaid"
    cert = tmp_path / "cert.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("TELLER_CERTIFICATE_PATH", str(cert))
    assert detect_provider() == "teller"


def test_older_teller_variable_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    monkeypatch.setenv("TELLER_CERT_PATH", str(cert))
    assert detect_provider() == "teller"


def test_missing_certificate_file_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TELLER_CERTIFICATE_PATH", str(tmp_path / "nope.pem"))
    with pytest.raises(ProviderConfigurationError, match="names no existing file"):
        easy_banking()


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown banking provider 'mx-typo'.*sandbox"):
        easy_banking(provider="mx-typo")
