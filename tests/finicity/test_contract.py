"""The Finicity client passes the provider contract, through the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.base import BankingProvider
from fin_infra.testing.finicity import FinicityEmulator
from tests.contract import ProviderContract
from tests.finicity.conftest import FAST_RETRY, TODAY


@pytest.fixture
async def provider(finicity: FinicityEmulator) -> AsyncIterator[BankingProvider]:
    client = finicity.client(retry=FAST_RETRY)
    yield client
    client.close()  # the synchronous face's loop
    await client.aclose()  # this test's loop


@pytest.fixture
def access_token(finicity: FinicityEmulator) -> str:
    return finicity.create_access_token()


@pytest.fixture
def known_range() -> tuple[dt.date, dt.date]:
    return TODAY - dt.timedelta(days=60), TODAY


class TestFinicityContract(ProviderContract):
    pass
