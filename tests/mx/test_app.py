"""add_banking(app, provider="mx") end to end: routes over ASGITransport, the MX emulator over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking, easy_banking
from fin_infra.providers.banking.mx import MXClient
from fin_infra.providers.registry import detect_provider
from fin_infra.testing.mx import MXEmulator
from tests.mx.conftest import TODAY


@pytest.fixture
async def http(mx: MXEmulator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    for key, value in mx.env().items():
        monkeypatch.setenv(key, value)
    app = FastAPI()
    provider = add_banking(app, provider="mx", poll_interval=0.01)
    assert isinstance(provider, MXClient)
    transport = httpx.ASGITransport(app=app)
    # the lifespan closes the provider at the end, as on shutdown
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://app") as c:
        yield c


async def test_connect_then_read_everything(http: httpx.AsyncClient, mx: MXEmulator) -> None:
    link = (await http.post("/banking/link", json={"user_id": "user-1"})).json()
    assert link["provider"] == "mx" and link["mode"] == "create" and link["extra"]["widget_url"]

    event = mx.backend.connect(link["extra"]["widget_url"], password="anything")  # the user logs in at MX Bank
    exchanged = await http.post("/banking/exchange", json=event)
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["item_id"] == event["metadata"]["member_guid"] and body["institution_name"] == "MX Bank"
    auth = {"Authorization": f"Bearer {body['access_token']}"}

    accounts = (await http.get("/banking/accounts", headers=auth)).json()
    assert accounts["count"] == 3
    balances = await http.get("/banking/balances", headers=auth)
    raw = json.loads(balances.text, parse_float=Decimal)
    member = mx.backend.members[body["item_id"]]
    assert {b["account_id"]: b["current"] for b in raw["balances"]} == {a.guid: a.balance for a in member.accounts}

    params = {"start_date": str(TODAY.replace(day=1)), "end_date": str(TODAY), "page_size": 20, "page": 1}
    txns = (await http.get("/banking/transactions", headers=auth, params=params)).json()
    assert txns["count"] == 20 and txns["total"] > 20
    assert all(params["start_date"] <= t["date"] <= params["end_date"] for t in txns["transactions"])
    identity = (await http.get("/banking/identity", headers=auth)).json()
    assert identity["owners"][0]["name"]

    update = (await http.post("/banking/link", json={"user_id": "user-1"}, headers=auth)).json()
    assert update["mode"] == "update" and update["extra"]["user_guid"] == event["metadata"]["user_guid"]


async def test_member_needing_its_user_is_a_problem_asking_to_reconnect(
    http: httpx.AsyncClient, mx: MXEmulator
) -> None:
    token = mx.create_access_token("user-2")
    mx.set_status(mx.member_of(token), "EXPIRED")
    response = await http.get("/banking/balances", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "item_login_required" and problem["provider_code"] == "mx_expired"
    assert token not in response.text and mx.api_key not in response.text


async def test_bad_inputs_are_4xx(http: httpx.AsyncClient, mx: MXEmulator) -> None:
    forged = await http.get("/banking/accounts", headers={"Authorization": "Bearer mx1.forged.token"})
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_credentials"
    assert "mx1.forged.token" not in forged.text
    not_connected = await http.post("/banking/exchange", json=mx.connect("user-3", password="challenge"))
    assert not_connected.status_code == 422
    empty = await http.post("/banking/exchange", json={"type": "mx/connect/memberConnected"})
    assert empty.status_code == 422
    hooked = await http.post("/banking/link", json={"user_id": "u", "webhook": "https://example.com/hook"})
    assert hooked.status_code == 422 and "Client Dashboard" in hooked.json()["detail"]
    unknown = await http.post("/banking/link", json={"user_id": "u", "products": ["auth"]})
    assert unknown.status_code == 422 and "verification" in unknown.json()["detail"]
    token = mx.create_access_token("user-3")
    mx.faults.fail_next(429, retry_after=90, times=5)
    limited = await http.get("/banking/accounts", headers={"Authorization": f"Bearer {token}"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "90"


def test_easy_banking_detects_mx_after_plaid(mx: MXEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FIN_INFRA_BANKING_PROVIDER", "TELLER_CERTIFICATE_PATH", "TELLER_CERT_PATH", "PLAID_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    env = {k: v for k, v in mx.env().items() if k != "FIN_INFRA_BANKING_PROVIDER"}
    assert detect_provider(env) == "mx"
    assert detect_provider({**env, "PLAID_CLIENT_ID": "p"}) == "plaid", "Plaid first, then MX"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    banking = easy_banking()
    try:
        assert isinstance(banking, MXClient)
        token = mx.create_access_token("script-user")
        assert banking.transactions(access_token=token, start_date=TODAY - dt.timedelta(days=7), end_date=TODAY)
    finally:
        banking.close()
    monkeypatch.delenv("MX_API_KEY")
    with pytest.raises(ValueError, match="MX_CLIENT_ID and MX_API_KEY"):
        easy_banking()
