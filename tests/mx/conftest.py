"""Shared fixtures: one MX emulator (real HTTP on 127.0.0.1) for the session, reset before each test."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from fin_infra.providers.banking.mx import MXClient, RetryPolicy
from fin_infra.testing.mx import MXEmulator, serve_mx_emulator
from tests.emulator_fixtures import fresh, served

# Fast retries and polls: the behaviour is the same, the tests don't wait seconds for it.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=3.0)
FAST = {"retry": FAST_RETRY, "poll_interval": 0.01, "job_timeout": 2.0}
TODAY = dt.date(2026, 2, 14)


mx_server = served(serve_mx_emulator, today=lambda: TODAY)
mx = fresh("mx_server", reset_after=True)


@pytest.fixture
def token(mx: MXEmulator) -> str:
    # A fixed seed: the same accounts and transactions every run (pending ones on TODAY included).
    return mx.create_access_token("app-user-1", seed="fin-infra-tests")


@pytest.fixture
async def client(mx: MXEmulator) -> AsyncIterator[MXClient]:
    async with mx.client(**FAST) as c:
        assert isinstance(c, MXClient)
        yield c
