"""Partner authentication over real HTTP: one token shared by concurrent calls, refreshed once, never logged."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fin_infra.banking.exceptions import BankingProviderError, ProviderConfigurationError
from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.testing.finicity import FinicityEmulator
from tests.finicity.conftest import FAST_RETRY

AUTH = "/aggregation/v2/partners/authentication"


def _auth_calls(finicity: FinicityEmulator) -> int:
    return sum(1 for r in finicity.backend.requests if r.path == AUTH)


async def test_fifty_concurrent_calls_fetch_one_token(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    results = await asyncio.gather(*(client.get_balances(token) for _ in range(50)))
    assert all(len(r) == 3 for r in results)
    assert _auth_calls(finicity) == 1 and client.partner_token.refreshes == 1


async def test_expired_token_under_fifty_concurrent_calls_is_refreshed_once(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    await client.get_accounts(token)
    assert finicity.expire_tokens() == 1  # Finicity now answers 401 10023 to the token the client holds
    results = await asyncio.gather(*(client.get_accounts(token) for _ in range(50)))
    assert all(len(r) == 3 for r in results)
    assert _auth_calls(finicity) == 2, "exactly one refresh for 50 calls that all hit the expired token"
    assert client.partner_token.refreshes == 2


async def test_token_is_renewed_before_it_expires(finicity: FinicityEmulator, token: str) -> None:
    async with finicity.client(retry=FAST_RETRY, token_lifetime=0.2) as client:
        await client.get_accounts(token)
        await asyncio.sleep(0.3)  # past our lifetime, well within Finicity's two hours: renewed without a 401
        await client.get_accounts(token)
    assert _auth_calls(finicity) == 2
    assert not [r for r in finicity.backend.requests if r.path != AUTH and r.query.get("status") == "401"]


async def test_a_refused_fresh_token_is_not_retried_forever(
    client: FinicityClient, token: str, finicity: FinicityEmulator
) -> None:
    await client.get_accounts(token)
    finicity.faults.fail_next(401, "10023", times=2, path="/aggregation/v1/customers")
    with pytest.raises(BankingProviderError) as info:
        await client.get_accounts(token)
    assert info.value.code == "10023"
    assert _auth_calls(finicity) == 2, "one refresh, then the error"


async def test_wrong_partner_secret_is_a_configuration_error(finicity: FinicityEmulator, token: str) -> None:
    async with finicity.client(retry=FAST_RETRY, partner_secret="not-the-secret", token_key="k") as client:
        with pytest.raises(ProviderConfigurationError, match="FINICITY_SECRET"):
            await client.get_accounts(client.access_token_for(*token.split(".")[1:3]))


async def test_wrong_app_key_is_a_configuration_error(finicity: FinicityEmulator, token: str) -> None:
    async with finicity.client(retry=FAST_RETRY, app_key="wrong-key") as client:
        with pytest.raises(ProviderConfigurationError, match="FINICITY_APP_KEY"):
            await client.get_accounts(token)


async def test_partner_is_locked_after_five_failures(finicity: FinicityEmulator, token: str) -> None:
    async with finicity.client(retry=FAST_RETRY, partner_secret="wrong", token_key="k") as bad:
        for _ in range(5):
            with pytest.raises(ProviderConfigurationError):
                await bad.get_accounts(bad.access_token_for("1005000000"))
    async with finicity.client(retry=FAST_RETRY) as good:
        with pytest.raises(ProviderConfigurationError):
            await good.get_accounts(token)


async def test_secrets_and_tokens_never_reach_logs(
    client: FinicityClient, token: str, finicity: FinicityEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.get_transactions(token)
    finicity.expire_tokens()
    finicity.faults.fail_next(503)
    await client.get_identity(token)
    issued = list(finicity.backend.tokens)
    text = "\n".join(r.getMessage() for r in caplog.records) + repr(client.settings) + repr(client.partner_token)
    for secret in (finicity.backend.partner_secret, finicity.backend.app_key, token, *issued):
        assert secret not in text
    assert "Finicity partner token refreshed" in text
