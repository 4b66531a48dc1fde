"""The sandbox provider passes the provider contract."""

from __future__ import annotations

import datetime as dt

import pytest

from fin_infra.banking import easy_banking
from fin_infra.providers.base import BankingProvider
from tests.contract import ProviderContract


@pytest.fixture
def provider() -> BankingProvider:
    return easy_banking(provider="sandbox")


@pytest.fixture
async def access_token(provider: BankingProvider) -> str:
    public = await provider.create_sandbox_public_token()
    return (await provider.exchange_public_token(public)).access_token


@pytest.fixture
def known_range() -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    return today - dt.timedelta(days=60), today


class TestSandboxContract(ProviderContract):
    pass
