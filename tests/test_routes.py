"""Every banking route through httpx.AsyncClient(transport=ASGITransport(app)), on a fresh app per test."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from fin_infra.banking import add_banking
from fin_infra.banking.history import get_store, track_balance
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN, SandboxProvider
from tests.conftest import AUTH

PROBLEM = "application/problem+json"


def decimals(response: httpx.Response) -> object:
    return json.loads(response.text, parse_float=Decimal)


async def test_accounts(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/accounts", headers=AUTH)
    assert r.status_code == 200
    body = decimals(r)
    assert isinstance(body, dict) and body["count"] == len(body["accounts"]) == 3
    kinds = {(a["type"], a["subtype"]) for a in body["accounts"]}
    assert kinds == {("depository", "checking"), ("depository", "savings"), ("credit", "credit_card")}
    assert all(isinstance(a["balance"], Decimal) for a in body["accounts"])
    assert "raw" not in body["accounts"][0]


async def test_transactions_in_range(client: httpx.AsyncClient) -> None:
    # the whole month on one page (the default page holds 50; the month has more)
    r = await client.get("/banking/transactions?start_date=2025-01-01&end_date=2025-01-31&page_size=200", headers=AUTH)
    assert r.status_code == 200
    body = r.json()
    txns = body["transactions"]
    assert body["total"] == body["count"] == len(txns) > 50
    assert txns and all("2025-01-01" <= t["date"] <= "2025-01-31" for t in txns)
    assert {t["category"] for t in txns} >= {"Food & Drink", "Income", "Rent & Housing"}
    assert any(t["amount"] < 0 for t in txns) and any(t["amount"] > 0 for t in txns)


async def test_transactions_for_one_account(client: httpx.AsyncClient) -> None:
    accounts = (await client.get("/banking/accounts", headers=AUTH)).json()["accounts"]
    card = next(a for a in accounts if a["type"] == "credit")
    r = await client.get(
        "/banking/transactions", params={"start_date": "2025-03-01", "end_date": "2025-03-31",
                                         "account_id": card["id"]}, headers=AUTH,
    )
    txns = r.json()["transactions"]
    assert txns and all(t["account_id"] == card["id"] for t in txns)
    # card charges are money out (< 0); the autopay is money in (> 0)
    assert any(t["amount"] < 0 for t in txns)
    assert any(t["amount"] > 0 and t["category"] == "Transfer" for t in txns)


async def test_balances(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/balances", headers=AUTH)
    assert r.status_code == 200
    balances = r.json()["balances"]
    assert len(balances) == 3 and all({"account_id", "current", "available"} <= b.keys() for b in balances)


async def test_identity(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/identity", headers=AUTH)
    owner = r.json()["owners"][0]
    assert owner["name"] and "@" in owner["email"] and owner["phone"].startswith("+1") and owner["address"]["city"]


async def test_link_then_exchange_gives_a_working_token(client: httpx.AsyncClient) -> None:
    link = await client.post("/banking/link", json={"user_id": "user_123"})
    assert link.status_code == 200 and link.json()["link_token"].startswith("link-sandbox-")
    institution = link.json()["institutions"][1]["id"]
    public = await SandboxProvider().create_sandbox_public_token(institution)
    exchanged = await client.post("/banking/exchange", json={"public_token": public})
    assert exchanged.status_code == 200
    token = exchanged.json()["access_token"]
    assert exchanged.json()["institution_id"] == institution
    accounts = await client.get("/banking/accounts", headers={"Authorization": f"Bearer {token}"})
    assert accounts.status_code == 200 and accounts.json()["accounts"][0]["institution_id"] == institution


async def test_link_update_mode_with_bearer(client: httpx.AsyncClient) -> None:
    r = await client.post("/banking/link", json={"user_id": "user_123"}, headers=AUTH)
    assert r.json()["mode"] == "update"


async def test_exchange_refuses_a_bad_public_token(client: httpx.AsyncClient) -> None:
    r = await client.post("/banking/exchange", json={"public_token": "public-sandbox-nope"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert (await client.post("/banking/exchange", json={})).status_code == 422


@pytest.mark.parametrize("path", ["/banking/accounts", "/banking/transactions", "/banking/balances",
                                  "/banking/identity", "/banking/balance-history?account_id=acc_1"])
async def test_no_token_is_401_problem(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "missing_access_token" and r.headers["www-authenticate"] == "Bearer"


async def test_bad_token_is_401_without_echoing_it(client: httpx.AsyncClient) -> None:
    token = "access-sandbox-ins_sandbox_chase-0123456789abcdef-00000000"
    r = await client.get("/banking/accounts", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    assert token not in r.text


async def test_deprecated_query_token_still_works(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/banking/accounts?access_token={DEMO_ACCESS_TOKEN}")
    assert r.status_code == 200 and r.json()["count"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [("start_date=2025-13-01", "start_date"), ("end_date=yesterday", "end_date"),
     ("start_date=2025-02-01&end_date=2025-01-01", "start_date")],
)
async def test_bad_dates_are_422_naming_the_field(client: httpx.AsyncClient, query: str, field: str) -> None:
    r = await client.get(f"/banking/transactions?{query}", headers=AUTH)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in r.json()["errors"]]


async def test_unknown_account_balance_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/banking/balances?account_id=acc_nope", headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "account_not_found"


async def test_balance_history_only_for_visible_accounts(client: httpx.AsyncClient) -> None:
    accounts = (await client.get("/banking/accounts", headers=AUTH)).json()["accounts"]
    mine = accounts[0]["id"]
    try:
        track_balance(account_id=mine, balance=Decimal("100.10"), date=dt.date(2025, 1, 1), currency="USD")
        track_balance(account_id=mine, balance=Decimal("90.05"), date=dt.date(2025, 1, 2), currency="USD")
        track_balance(account_id="acc_someone_else", balance=1, date=dt.date(2025, 1, 1))
        r = await client.get(
            f"/banking/balance-history?account_id={mine}&start_date=2025-01-01&end_date=2025-01-31", headers=AUTH
        )
        assert r.status_code == 200
        body = decimals(r)
        assert isinstance(body, dict)
        assert body["account_id"] == mine and body["count"] == 2
        assert body["history"][:2] == [
            {"date": "2025-01-01", "balance": Decimal("100.10"), "currency": "USD"},
            {"date": "2025-01-02", "balance": Decimal("90.05"), "currency": "USD"},
        ]
        other = await client.get("/banking/balance-history?account_id=acc_someone_else", headers=AUTH)
        assert other.status_code == 404
    finally:
        get_store().clear()


async def test_openapi_of_the_banking_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/banking/openapi.json")).json()
    assert set(schema["paths"]) == {
        "/banking/link", "/banking/exchange", "/banking/accounts", "/banking/transactions", "/banking/balances",
        "/banking/identity", "/banking/balance-history",
    }
    params = {p["name"]: p for p in schema["paths"]["/banking/accounts"]["get"]["parameters"]}
    assert params["access_token"]["deprecated"] is True
    assert "ProviderAccessToken" in schema["components"]["securitySchemes"]
    docs = await client.get("/banking/docs")
    assert docs.status_code == 200 and "/banking/openapi.json" in docs.text


async def test_provider_is_stored_and_closed_on_shutdown() -> None:
    closed: list[str] = []

    class Tracked(SandboxProvider):
        async def aclose(self) -> None:
            closed.append(self.name)

    app = FastAPI()
    provider = add_banking(app, provider=Tracked())
    assert app.state.banking_provider is provider
    async with app.router.lifespan_context(app):
        assert closed == []
    assert closed == ["sandbox"]


async def test_two_mounts_side_by_side() -> None:
    app = FastAPI()
    first = add_banking(app, provider="sandbox", prefix="/bank-a")
    second = add_banking(app, provider=SandboxProvider(), prefix="/bank-b")
    assert first is not second and app.state.banking_providers == {"/bank-a": first, "/bank-b": second}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for prefix in ("/bank-a", "/bank-b"):
            assert (await c.get(f"{prefix}/accounts", headers=AUTH)).status_code == 200
            paths = (await c.get(f"{prefix}/openapi.json")).json()["paths"]
            assert all(p.startswith(prefix) for p in paths)


async def test_odd_input_never_500(client: httpx.AsyncClient) -> None:
    junk = "' OR 1=1; --\u202e\U0001f4b8" + "x" * 10_000
    for path in ("/banking/transactions", "/banking/balances", "/banking/balance-history"):
        r = await client.get(path, params={"account_id": junk, "start_date": junk}, headers=AUTH)
        assert r.status_code == 422, (path, r.status_code)
    r = await client.post("/banking/link", json={"user_id": junk})
    assert r.status_code == 422


async def test_dates_near_year_one_never_500(client: httpx.AsyncClient) -> None:
    accounts = (await client.get("/banking/accounts", headers=AUTH)).json()["accounts"]
    r = await client.get(
        "/banking/balance-history", params={"account_id": accounts[0]["id"], "end_date": "0001-01-05"}, headers=AUTH
    )
    assert r.status_code == 200 and r.json()["count"] == 0



class _Refusing(SandboxProvider):
    async def create_link_token(self, user_id: str, *, access_token: str | None = None, **options: object) -> object:
        raise ValueError("unknown product 'nope'; use one of: transactions, identity")

    async def get_accounts(self, access_token: str) -> list[object]:
        from fin_infra.models import BankAccount

        BankAccount.model_validate({"id": "acc_1"})  # what a malformed provider payload does
        return []


async def test_a_value_the_provider_refuses_is_422_and_bad_provider_data_is_502() -> None:
    app = FastAPI()
    add_banking(app, provider=_Refusing())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        link = await c.post("/banking/link", json={"user_id": "u1", "products": ["nope"]})
        assert link.status_code == 422 and "unknown product 'nope'" in link.json()["detail"]
        accounts = await c.get("/banking/accounts", headers=AUTH)
        assert accounts.status_code == 502 and accounts.json()["code"] == "invalid_response"
