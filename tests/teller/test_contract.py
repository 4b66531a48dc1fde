"""The Teller client passes the provider contract, through the emulator over mTLS."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.base import BankingProvider
from fin_infra.testing.teller import TellerEmulator
from tests.contract import ProviderContract
from tests.teller.conftest import FAST_RETRY, TODAY


@pytest.fixture
async def provider(teller: TellerEmulator) -> AsyncIterator[BankingProvider]:
    client = teller.client(retry=FAST_RETRY)
    yield client
    client.close()  # the synchronous face's loop
    await client.aclose()  # this test's loop


@pytest.fixture
def access_token(teller: TellerEmulator) -> str:
    return teller.enroll("username", "password")


@pytest.fixture
def known_range() -> tuple[dt.date, dt.date]:
    return TODAY - dt.timedelta(days=60), TODAY


class TestTellerContract(ProviderContract):
    pass
