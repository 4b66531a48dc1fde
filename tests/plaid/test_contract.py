"""The Plaid provider passes the shared provider contract, through the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.banking.plaid import PlaidProvider
from fin_infra.testing.plaid import PlaidEmulator
from tests.contract import ProviderContract


@pytest.fixture
async def provider(plaid: PlaidEmulator) -> AsyncIterator[PlaidProvider]:
    provider = PlaidProvider(**plaid.provider_options(), retry_backoff=0.01)
    yield provider
    await provider.aclose()


@pytest.fixture
async def access_token(provider: PlaidProvider) -> str:
    public = await provider.create_sandbox_public_token("ins_109508")
    return (await provider.exchange_public_token(public)).access_token


@pytest.fixture
def known_range() -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    return today - dt.timedelta(days=60), today


class TestPlaidContract(ProviderContract):
    pass
