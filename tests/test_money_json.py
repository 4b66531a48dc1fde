"""One money form: fin-infra's routes and a user's own routes (with the documented one-line opt-in) write the
same exact JSON numbers, and the JSON schema of the models says number."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from fin_infra.banking import add_banking, easy_banking
from fin_infra.banking.exact_json import ExactJSONResponse, ExactJSONRoute
from fin_infra.models import Balance, BankAccount, Transaction
from fin_infra.providers.banking.sandbox import DEMO_ACCESS_TOKEN

AUTH = {"Authorization": f"Bearer {DEMO_ACCESS_TOKEN}"}
BIG = Decimal("123456789012345678.10")  # more digits than a float holds


def exact(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


def user_app() -> FastAPI:
    app = FastAPI()
    app.router.route_class = ExactJSONRoute  # the documented one-line opt-in
    add_banking(app, provider="sandbox")
    banking = easy_banking(provider="sandbox")

    @app.get("/accounts")  # the documentation's own route: a dict holding models, no response model
    async def get_accounts(access_token: str) -> Any:
        return {"accounts": await banking.get_accounts(access_token)}

    @app.get("/sync-accounts", response_model=list[BankAccount], response_model_exclude_none=True)
    def sync_accounts(access_token: str) -> Any:
        return banking.accounts(access_token=access_token)

    @app.post("/big", status_code=201)
    async def big() -> Balance:
        return Balance(account_id="a", current=BIG, available=Decimal("0.10"), currency="USD")

    router = APIRouter(route_class=ExactJSONRoute)

    @router.get("/txn")
    async def txn() -> Transaction:
        return Transaction(id="t", account_id="a", amount=Decimal("-45.670"), date=dt.date(2025, 1, 2),
                           description="x")

    app.include_router(router)
    return app


async def test_the_users_route_writes_what_the_banking_route_writes() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=user_app()), base_url="http://t") as client:
        ours = await client.get("/banking/accounts", headers=AUTH)
        theirs = await client.get("/accounts", params={"access_token": DEMO_ACCESS_TOKEN})
        assert theirs.status_code == ours.status_code == 200
        ours_accounts = exact(ours)["accounts"]
        assert exact(theirs)["accounts"] == ours_accounts
        assert isinstance(ours_accounts[0]["balance"], Decimal)  # a JSON number, not a string
        assert '"balance":"' not in theirs.text
        filtered = await client.get("/sync-accounts", params={"access_token": DEMO_ACCESS_TOKEN})
        assert filtered.status_code == 200
        assert [a["balance"] for a in exact(filtered)] == [a["balance"] for a in ours_accounts]


async def test_any_amount_stays_exact_and_status_codes_are_kept() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=user_app()), base_url="http://t") as client:
        big = await client.post("/big")
        assert big.status_code == 201 and big.headers["content-type"] == "application/json"
        assert '"current":123456789012345678.10' in big.text and exact(big)["current"] == BIG
        txn = await client.get("/txn")
        assert '"amount":-45.670' in txn.text


def test_the_schema_says_number_everywhere() -> None:
    app = user_app()
    schemas = app.openapi()["components"]["schemas"]
    for model, field in (("BankAccount", "balance"), ("Balance", "current"), ("Transaction", "amount")):
        prop = schemas[model]["properties"][field]
        types = [prop.get("type")] + [alt.get("type") for alt in prop.get("anyOf", [])]
        assert "number" in types and "string" not in types, (model, prop)


def test_exact_response_writes_other_types_as_fastapi_would() -> None:
    import uuid

    body = ExactJSONResponse({"id": uuid.UUID(int=1), "n": Decimal("1.0"), "d": dt.date(2025, 1, 1)}).body
    assert body == b'{"id":"00000000-0000-0000-0000-000000000001","n":1.0,"d":"2025-01-01"}'
    fallback = ExactJSONResponse({"tags": {"a"}, "n": Decimal("2.50")}).body
    assert fallback == b'{"tags":["a"],"n":2.50}'
