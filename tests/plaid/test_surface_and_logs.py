"""The Plaid package's public names, and no token or secret in logs even at DEBUG level."""

from __future__ import annotations

import importlib
import logging

import pytest

from fin_infra.banking.exceptions import ItemLoginRequiredError
from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.testing.plaid import PlaidEmulator

PUBLIC = {
    "fin_infra.providers.banking.plaid": {
        "PlaidClient",
        "PlaidEnvironmentWarning",
        "PlaidProvider",
        "PlaidSettings",
        "SyncResult",
        "TransactionsSyncMutationError",
    },
    "fin_infra.providers.banking.plaid_client": {"PlaidClient", "PlaidProvider", "PlaidSettings", "SyncResult"},
    "fin_infra.emulators.plaid": {
        "DEFAULT_CLIENT_ID",
        "DEFAULT_SECRET",
        "Fault",
        "PlaidBackend",
        "SentWebhook",
        "WebhookKeys",
        "create_app",
    },
    "fin_infra.testing.plaid": {"PlaidEmulator", "serve_plaid_emulator"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_surface(module: str) -> None:
    assert set(importlib.import_module(module).__all__) == PUBLIC[module]


def test_testing_exports_serve_plaid_emulator() -> None:
    from fin_infra.testing import serve_plaid_emulator
    from fin_infra.testing.plaid import serve_plaid_emulator as direct

    assert serve_plaid_emulator is direct


def test_the_pytest_plugin_fixture(plaid_emulator: PlaidEmulator) -> None:
    token = plaid_emulator.create_access_token()
    assert plaid_emulator.backend.item_for(token).institution_id == "ins_109508"
    client = plaid_emulator.client(max_retries=0)
    assert client.settings.max_retries == 0 and len(client.accounts(token)) == 3
    client.close()


async def test_no_token_or_secret_in_debug_logs(
    plaid_provider: PlaidProvider, plaid: PlaidEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "plaid", "urllib3", "fin_infra"):
        caplog.set_level(logging.DEBUG, logger=name)
    public = await plaid_provider.create_sandbox_public_token()
    token = (await plaid_provider.exchange_public_token(public)).access_token
    await plaid_provider.get_identity(token)
    plaid.backend.reset_login(token)
    plaid.backend.inject_fault("RATE_LIMIT", endpoint="/accounts/get")  # one retry, logged
    with pytest.raises(ItemLoginRequiredError):
        await plaid_provider.get_accounts(token)
    text = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert caplog.records, "debug logging was on"
    for secret in (token, public, plaid.secret, "Alberta Bobbeth Charleson"):
        assert secret not in text
