"""add_banking(app, provider="plaid") end to end: the app's routes -> our provider -> the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.testing.plaid import PlaidEmulator


@pytest.fixture
async def client(plaid: PlaidEmulator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    for key, value in plaid.env().items():
        monkeypatch.setenv(key, value)
    app = FastAPI()
    provider = add_banking(app, provider="plaid", retry_backoff=0.01)  # credentials from PLAID_* variables
    assert provider.name == "plaid"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        yield c
    await provider.aclose()


async def test_link_exchange_and_data_routes(client: httpx.AsyncClient, plaid: PlaidEmulator) -> None:
    link = await client.post("/banking/link", json={"user_id": "user-42", "products": ["transactions"]})
    assert link.status_code == 200, link.text
    assert link.json()["link_token"].startswith("link-sandbox-") and link.json()["mode"] == "create"

    # the front end runs Link with that token; the emulator plays the user logging in
    public_token = plaid.backend.complete_link(link.json()["link_token"])
    exchange = await client.post("/banking/exchange", json={"public_token": public_token})
    assert exchange.status_code == 200, exchange.text
    body = exchange.json()
    assert body["institution_id"] == "ins_109508" and body["item_id"]
    auth = {"Authorization": f"Bearer {body['access_token']}"}

    accounts = (await client.get("/banking/accounts", headers=auth)).json()
    assert accounts["count"] == 3
    card = accounts["accounts"][2]
    assert card["subtype"] == "credit_card" and card["available_balance"] is None and card["balance"] == 410

    today = dt.date.today()
    params = {"start_date": (today - dt.timedelta(days=13)).isoformat(), "end_date": today.isoformat()}
    raw = await client.get("/banking/transactions", headers=auth, params=params)
    assert raw.status_code == 200, raw.text
    txns = raw.json()["transactions"]
    assert txns and all(params["start_date"] <= t["date"] <= params["end_date"] for t in txns)
    # money is written as exact JSON numbers, negative for money out
    assert any(Decimal(str(t["amount"])) < 0 for t in txns)
    assert b'"amount":"' not in raw.content

    balances = (await client.get("/banking/balances", headers=auth)).json()
    assert [b["limit"] for b in balances["balances"]] == [None, None, 2000]
    identity = (await client.get("/banking/identity", headers=auth)).json()
    assert identity["owners"][0]["name"] == "Alberta Bobbeth Charleson"

    update = await client.post("/banking/link", json={"user_id": "user-42"}, headers=auth)
    assert update.status_code == 200 and update.json()["mode"] == "update"


async def test_plaid_errors_become_problems(client: httpx.AsyncClient, plaid: PlaidEmulator) -> None:
    token = plaid.create_access_token()
    auth = {"Authorization": f"Bearer {token}"}
    plaid.backend.reset_login(token)
    response = await client.get("/banking/accounts", headers=auth)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "item_login_required" and problem["provider_code"] == "ITEM_LOGIN_REQUIRED"
    assert problem["request_id"] and problem["display_message"] and token not in response.text

    bad = await client.get("/banking/accounts", headers={"Authorization": "Bearer access-sandbox-unknown"})
    assert bad.status_code == 401 and bad.json()["provider_code"] == "INVALID_ACCESS_TOKEN"

    plaid.backend.inject_fault("RATE_LIMIT", endpoint="/accounts/balance/get", times=None)
    fresh = plaid.create_access_token()
    limited = await client.get("/banking/balances", headers={"Authorization": f"Bearer {fresh}"})
    plaid.backend.clear_faults()
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"

    expired = await client.post("/banking/exchange", json={"public_token": "public-sandbox-not-real"})
    assert expired.status_code == 401 and expired.json()["provider_code"] == "INVALID_PUBLIC_TOKEN"
