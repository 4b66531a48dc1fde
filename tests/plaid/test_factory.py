"""easy_banking(provider="plaid") from the environment, and plaid-python as an optional extra."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderConfigurationError, UnsupportedOperationError
from fin_infra.providers.banking.plaid import PlaidEnvironmentWarning, PlaidProvider, PlaidSettings
from fin_infra.providers.banking.plaid_client import PlaidClient
from fin_infra.testing.plaid import PlaidEmulator

PLAID_VARS = (
    "PLAID_CLIENT_ID",
    "PLAID_SECRET",
    "PLAID_ENVIRONMENT",
    "PLAID_ENV",
    "PLAID_BASE_URL",
    "PLAID_PRODUCTS",
    "PLAID_COUNTRY_CODES",
    "PLAID_WEBHOOK_URL",
    "PLAID_CLIENT_NAME",
    "PLAID_REDIRECT_URI",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PLAID_VARS:
        monkeypatch.delenv(name, raising=False)


async def test_from_the_environment_against_the_emulator(plaid: PlaidEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in plaid.env().items():
        monkeypatch.setenv(key, value)
    banking = easy_banking(provider="plaid")
    assert isinstance(banking, PlaidProvider) and PlaidClient is PlaidProvider
    assert banking.settings.host == plaid.base_url and banking.settings.environment == "sandbox"
    token = (await banking.exchange_public_token(await banking.create_sandbox_public_token())).access_token
    assert len(await banking.get_accounts(token)) == 3
    await banking.aclose()


def test_auto_detected_from_plaid_client_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIN_INFRA_BANKING_PROVIDER", raising=False)
    monkeypatch.delenv("TELLER_CERTIFICATE_PATH", raising=False)
    monkeypatch.delenv("TELLER_CERT_PATH", raising=False)
    monkeypatch.setenv("PLAID_CLIENT_ID", "id")
    monkeypatch.setenv("PLAID_SECRET", "secret")
    banking = easy_banking()
    assert isinstance(banking, PlaidProvider) and banking.settings.host == "https://sandbox.plaid.com"


@pytest.mark.parametrize(
    ("env", "missing"),
    [({}, "PLAID_CLIENT_ID and PLAID_SECRET"), ({"PLAID_CLIENT_ID": "id"}, "PLAID_SECRET")],
)
def test_missing_credentials_name_the_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=missing) as info:
        easy_banking(provider="plaid")
    assert isinstance(info.value, ProviderConfigurationError)


def test_development_warns_and_means_production() -> None:
    with pytest.warns(PlaidEnvironmentWarning, match="retired"):
        settings = PlaidSettings.build(
            {"PLAID_CLIENT_ID": "i", "PLAID_SECRET": "s", "PLAID_ENVIRONMENT": "development"}
        )
    assert settings.environment == "production" and settings.host == "https://production.plaid.com"


def test_production_and_bad_settings() -> None:
    env = {"PLAID_CLIENT_ID": "i", "PLAID_SECRET": "s"}
    assert PlaidSettings.build({**env, "PLAID_ENV": "production"}).host == "https://production.plaid.com"
    with pytest.raises(ProviderConfigurationError, match="sandbox or production"):
        PlaidSettings.build({**env, "PLAID_ENVIRONMENT": "staging"})
    with pytest.raises(ProviderConfigurationError, match="PLAID_BASE_URL"):
        PlaidSettings.build({**env, "PLAID_BASE_URL": "localhost:8444"})
    with pytest.raises(ProviderConfigurationError, match="timeout"):
        PlaidSettings.build(env, timeout=-1)
    listed = PlaidSettings.build({**env, "PLAID_PRODUCTS": "transactions, identity", "PLAID_COUNTRY_CODES": "US,CA"})
    assert listed.products == ("transactions", "identity") and listed.country_codes == ("US", "CA")
    assert "topsecret" not in repr(PlaidSettings.build({"PLAID_CLIENT_ID": "i", "PLAID_SECRET": "topsecret"}))


def test_create_sandbox_public_token_is_sandbox_only() -> None:
    provider = PlaidProvider(client_id="i", secret="s", environment="production")
    with pytest.raises(UnsupportedOperationError):
        asyncio.run(provider.create_sandbox_public_token())
    provider.close()


def test_fin_infra_imports_without_plaid_python_and_says_how_to_install_it() -> None:
    script = """
import sys
sys.modules["plaid"] = None  # as if plaid-python were not installed
import fin_infra, fin_infra.banking, fin_infra.providers.banking.plaid
from fin_infra.banking import easy_banking
from fin_infra.banking.exceptions import ProviderConfigurationError, UnsupportedOperationError
try:
    easy_banking(provider="plaid", client_id="i", secret="s")
except ProviderConfigurationError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert "pip install 'fin-infra[plaid]'" in out.stdout
