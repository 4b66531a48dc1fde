"""Shared fixtures: one Finicity emulator (real HTTP on 127.0.0.1) for the session, reset per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.banking.finicity import FinicityClient
from fin_infra.providers.retrying import RetryPolicy
from fin_infra.testing.finicity import FinicityEmulator, serve_finicity_emulator
from tests.emulator_fixtures import fresh, served

# Fast retries: the behaviour is the same, the tests don't wait seconds for it.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=3.0)
TODAY = dt.date(2025, 6, 18)


finicity_server = served(serve_finicity_emulator, today=lambda: TODAY)
finicity = fresh("finicity_server", reset_after=True)


@pytest.fixture
def token(finicity: FinicityEmulator) -> str:
    return finicity.create_access_token()


@pytest.fixture
async def client(finicity: FinicityEmulator) -> AsyncIterator[FinicityClient]:
    async with finicity.client(retry=FAST_RETRY) as c:
        assert isinstance(c, FinicityClient)
        yield c
