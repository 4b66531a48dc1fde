"""add_banking(app, provider="teller") end to end: routes over ASGITransport, Teller emulator over mTLS."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.providers.banking.teller import TellerClient
from fin_infra.testing.teller import TellerEmulator
from tests.teller.conftest import TODAY


@pytest.fixture
async def http(teller: TellerEmulator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    for key, value in teller.env().items():
        monkeypatch.setenv(key, value)
    app = FastAPI()
    provider = add_banking(app, provider="teller")
    assert isinstance(provider, TellerClient)
    async with app.router.lifespan_context(app):  # closes the provider at the end, as on shutdown
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client


async def test_connect_then_read_everything(http: httpx.AsyncClient, teller: TellerEmulator) -> None:
    link = (await http.post("/banking/link", json={"user_id": "user-1"})).json()
    assert link["provider"] == "teller" and link["application_id"] and link["environment"] == "sandbox"

    on_success = teller.connect()  # what Teller Connect hands the front end
    exchanged = await http.post("/banking/exchange", json=on_success)
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["item_id"] == on_success["enrollment"]["id"]
    auth = {"Authorization": f"Bearer {body['access_token']}"}

    accounts = (await http.get("/banking/accounts", headers=auth)).json()
    assert accounts["count"] == 3
    balances = await http.get("/banking/balances", headers=auth)
    raw = json.loads(balances.text, parse_float=Decimal)
    token = body["access_token"]
    expected = {a.id: teller.backend.balances(token, a.id)[1] for a in teller.backend.accounts(token)}
    assert {b["account_id"]: b["current"] for b in raw["balances"]} == expected, "exact money in the JSON"

    params = {"start_date": str(TODAY.replace(day=1)), "end_date": str(TODAY)}
    txns = (await http.get("/banking/transactions", headers=auth, params=params)).json()
    assert txns["count"] > 0
    assert all(params["start_date"] <= t["date"] <= params["end_date"] for t in txns["transactions"])
    identity = (await http.get("/banking/identity", headers=auth)).json()
    assert identity["owners"][0]["name"]

    update = (await http.post("/banking/link", json={"user_id": "user-1"}, headers=auth)).json()
    assert update["mode"] == "update" and update["enrollment_id"] == body["item_id"]


async def test_disconnected_enrollment_is_a_problem_asking_to_reconnect(
    http: httpx.AsyncClient, teller: TellerEmulator
) -> None:
    token = teller.enroll("mfa_required", "password")
    response = await http.get("/banking/balances", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "item_login_required"
    assert problem["provider_code"] == "enrollment.disconnected.user_action.mfa_required"
    assert token not in response.text


async def test_bad_token_and_rate_limit(http: httpx.AsyncClient, teller: TellerEmulator) -> None:
    response = await http.get("/banking/accounts", headers={"Authorization": "Bearer test_token_forged"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    assert "test_token_forged" not in response.text

    token = teller.enroll()
    teller.faults.fail_next(429, retry_after=90)
    limited = await http.get("/banking/identity", headers={"Authorization": f"Bearer {token}"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "90"


async def test_exchange_of_a_forged_token_is_refused(http: httpx.AsyncClient) -> None:
    forged = {"accessToken": "test_token_forged", "enrollment": {"id": "enr_1"}}
    response = await http.post("/banking/exchange", json=forged)
    assert response.status_code == 401 and "test_token_forged" not in response.text


async def test_bad_link_and_exchange_bodies_are_422(http: httpx.AsyncClient) -> None:
    link = await http.post("/banking/link", json={"user_id": "user-1", "products": ["auth"]})
    assert link.status_code == 422 and "unknown Teller products" in link.json()["detail"]
    exchange = await http.post("/banking/exchange", json={"enrollment": {"id": "enr_1"}})
    assert exchange.status_code == 422
