"""Shared fixtures: one Teller emulator (real HTTPS + mTLS on 127.0.0.1) for the module, reset per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.banking.teller import RetryPolicy, TellerClient
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator
from tests.emulator_fixtures import fresh, served

# Fast retries: the behaviour is the same, the tests don't wait seconds for it.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=3.0)
TODAY = dt.date(2025, 6, 18)


teller_server = served(serve_teller_emulator, today=lambda: TODAY)
teller = fresh("teller_server", reset_after=True)


@pytest.fixture
def token(teller: TellerEmulator) -> str:
    # A fixed seed: the same accounts and transactions every run (pending ones on TODAY included).
    return teller.enroll("username", "password", seed="fin-infra-tests")


@pytest.fixture
async def client(teller: TellerEmulator) -> AsyncIterator[TellerClient]:
    async with teller.client(retry=FAST_RETRY, account_cache_ttl=0) as c:
        assert isinstance(c, TellerClient)
        yield c
