"""Apps over live emulators (Teller over HTTPS + mTLS, Plaid over HTTP) with small retry and time budgets."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.providers.banking.teller import RetryPolicy
from fin_infra.testing.plaid import PlaidEmulator, serve_plaid_emulator
from fin_infra.testing.teller import TellerEmulator, serve_teller_emulator

TODAY = dt.date(2025, 6, 18)
# Bounded on purpose: a failing upstream must end within these, whatever it answers.
TELLER_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, total_timeout=1.0)
PLAID_OPTIONS: dict[str, Any] = {"retry_backoff": 0.01, "max_retries": 2, "timeout": 0.8, "total_timeout": 1.0}


@pytest.fixture(scope="session")
def teller_emulator() -> Iterator[TellerEmulator]:
    with serve_teller_emulator(today=lambda: TODAY) as teller:
        yield teller


@pytest.fixture(scope="session")
def plaid_emulator() -> Iterator[PlaidEmulator]:
    with serve_plaid_emulator() as plaid:
        yield plaid


@dataclass
class Live:
    """An app on one provider's emulator, a client for it, and a valid token."""

    name: str
    app: FastAPI
    client: httpx.AsyncClient
    token: str
    account_id: str
    exchange_body: dict[str, Any]
    emulator: Any

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _first_accounts(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    # The small time budgets are for the faults under test; on a busy machine the first TLS handshakes
    # may not fit in them, so the warm-up call is simply repeated.
    for _ in range(5):
        response = await client.get("/banking/accounts", headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200:
            return dict(response.json())
    raise AssertionError(f"the emulator did not answer: {response.text}")


@contextlib.asynccontextmanager
async def _teller_app(teller_emulator: TellerEmulator) -> AsyncIterator[Live]:
    teller_emulator.reset()
    connect = teller_emulator.connect("username", "password", seed="fin-infra-hardening")
    token = str(connect["accessToken"])
    app = FastAPI()
    provider = teller_emulator.client(retry=TELLER_RETRY, account_cache_ttl=0)
    add_banking(app, provider=provider)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        first = await _first_accounts(client, token)
        live = Live("teller", app, client, token, first["accounts"][0]["id"], connect, teller_emulator)
        teller_emulator.backend.requests.clear()
        yield live
    await provider.aclose()
    teller_emulator.faults.clear()


@contextlib.asynccontextmanager
async def _plaid_app(plaid_emulator: PlaidEmulator) -> AsyncIterator[Live]:
    plaid_emulator.reset()
    token = plaid_emulator.create_access_token()
    app = FastAPI()
    provider = plaid_emulator.client(**PLAID_OPTIONS)
    add_banking(app, provider=provider)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        first = await _first_accounts(client, token)
        body = {"public_token": plaid_emulator.create_public_token()}
        live = Live("plaid", app, client, token, first["accounts"][0]["id"], body, plaid_emulator)
        plaid_emulator.http_faults.clear()
        yield live
    await provider.aclose()
    plaid_emulator.reset()


@pytest.fixture
async def teller_live(teller_emulator: TellerEmulator) -> AsyncIterator[Live]:
    async with _teller_app(teller_emulator) as live:
        yield live


@pytest.fixture
async def plaid_live(plaid_emulator: PlaidEmulator) -> AsyncIterator[Live]:
    async with _plaid_app(plaid_emulator) as live:
        yield live


@pytest.fixture(params=["teller", "plaid"])
async def live(
    request: pytest.FixtureRequest, teller_emulator: TellerEmulator, plaid_emulator: PlaidEmulator
) -> AsyncIterator[Live]:
    """Each provider in turn."""
    opened = _teller_app(teller_emulator) if request.param == "teller" else _plaid_app(plaid_emulator)
    async with opened as value:
        yield value


def recorded(live: Live) -> list[str]:
    """Every request the provider's emulator received since the fixture was built: path, query and body."""
    if live.name == "teller":
        return [f"{r.path}?{sorted(r.query.items())}" for r in live.emulator.backend.requests]
    return [f"{r.path} {r.body.decode('utf-8', 'replace')}" for r in live.emulator.http_faults.requests]
