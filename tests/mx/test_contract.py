"""The MX client passes the provider contract, through the MX emulator over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.base import BankingProvider
from fin_infra.testing.mx import MXEmulator
from tests.contract import ProviderContract
from tests.mx.conftest import FAST, TODAY


@pytest.fixture
async def provider(mx: MXEmulator) -> AsyncIterator[BankingProvider]:
    client = mx.client(**FAST)
    yield client
    client.close()  # the synchronous face's loop
    await client.aclose()  # this test's loop


@pytest.fixture
def access_token(mx: MXEmulator) -> str:
    return mx.create_access_token("contract-user")


@pytest.fixture
def known_range() -> tuple[dt.date, dt.date]:
    return TODAY - dt.timedelta(days=60), TODAY


class TestMXContract(ProviderContract):
    pass
